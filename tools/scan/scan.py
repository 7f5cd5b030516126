"""``infra scan``: checkov over a plan, its findings held against the accepted findings.

What is scanned, each a *target*:
- ``kubernetes``: every Kubernetes object of the plan, as ``infra plan`` writes it to manifests/
  (checkov's ``kubernetes`` framework). checkov has no checks for Argo Rollouts, so each Rollout's pod
  template is scanned too, as a Deployment of the same name (its findings are named ``Rollout.<ns>.<name>``);
- ``aws``: the plan's AWS resources exported as a Terraform plan (``tools.scan.terraform_export``,
  checkov's ``terraform_plan`` framework);
- ``rendered``: with ``--rendered DIR``, the objects ``infra render`` wrote (``kubernetes`` framework).

checkov runs as a subprocess from its own environment (``make scan-setup``: ``.venv-scan``, pinned in
``tools/scan/requirements.lock``), offline: no download of policies or guidelines, no version check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.config.errors import escaped
from tools.offline.manifests import _dump, is_manifest, manifest
from tools.scan import accepted as acc
from tools.scan.terraform_export import export

CHECKOV_VERSION = "3.3.30"
ROLLOUT = "Rollout"
SHIM_PREFIX = "rollout-pods-"  # the Deployment a Rollout's pod template is scanned as
TIMEOUT_SECONDS = 600


class ScanInputError(ValueError):
    """checkov missing or broken, an unreadable input: one line, exit 2."""


@dataclass(frozen=True)
class Finding:
    check: str
    name: str
    target: str  # aws | kubernetes | rendered
    resource: str  # aws_s3_bucket.backups-primary, Job.logging.elasticsearch-setup-1fed146a11, ...
    file: str
    urn: str | None = None  # the Pulumi resource of an aws finding
    reason: str | None = None  # the accepted entry's reason, when accepted

    @property
    def accepted(self) -> bool:
        return self.reason is not None


@dataclass
class ScanResult:
    targets: list[str]
    passed: dict[str, int]  # per target
    findings: list[Finding]
    stale: list[acc.Accepted]
    unmapped: dict[str, int]  # AWS Pulumi types not exported, with counts
    seconds: float
    skipped: int = 0  # checks skipped by an object's annotation, also counted among the findings
    accepted_entries: list[acc.Accepted] = field(default_factory=list)

    @property
    def unaccepted(self) -> list[Finding]:
        return [f for f in self.findings if not f.accepted]

    @property
    def failed(self) -> bool:
        return bool(self.unaccepted)


def checkov_binary(root: Path) -> str:
    """The pinned checkov: ``INFRA_CHECKOV``, else ``.venv-scan/bin/checkov``; checked for its version."""
    configured = os.environ.get("INFRA_CHECKOV")
    candidate = Path(configured) if configured else root / ".venv-scan" / "bin" / "checkov"
    if not candidate.is_file() or not os.access(candidate, os.X_OK):
        where = "INFRA_CHECKOV" if configured else ".venv-scan/bin/checkov"
        raise ScanInputError(f"checkov is not installed ({where} not found): run `make scan-setup`")
    # checkov's own environment records its version (a dist-info folder): reading it saves a start of
    # checkov (seconds); a checkov elsewhere is asked.
    installed = sorted(candidate.parent.parent.glob("lib/python*/site-packages/checkov-*.dist-info"))
    if installed:
        version = installed[-1].name.removeprefix("checkov-").removesuffix(".dist-info")
        if version != CHECKOV_VERSION:
            raise ScanInputError(
                f"checkov at {candidate} is not {CHECKOV_VERSION} ({escaped(version)[:40]}): run `make scan-setup`"
            )
        return str(candidate.resolve())
    try:
        done = subprocess.run(
            [str(candidate), "--version"], capture_output=True, text=True, timeout=120, env=_environment(), check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ScanInputError(
            f"checkov at {candidate} does not run ({type(error).__name__}): run `make scan-setup`"
        ) from None
    version = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or version != CHECKOV_VERSION:
        found = escaped(version[:40]) or f"exit {done.returncode}"
        raise ScanInputError(f"checkov at {candidate} is not {CHECKOV_VERSION} ({found}): run `make scan-setup`")
    return str(candidate.resolve())


def _environment() -> dict[str, str]:
    """checkov offline: no policy or guideline download, no package version check, quiet logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_", "CKV_"))}
    env.update(
        BC_SKIP_MAPPING="TRUE",
        CKV_SKIP_PACKAGE_UPDATE_CHECK="TRUE",
        LOG_LEVEL="ERROR",
        PYTHONWARNINGS="ignore",
        CHECKOV_CREATE_GRAPH="True",
    )
    return env


def write_inputs(
    resources: Sequence[Mapping[str, Any]], work: Path, rendered: Sequence[Mapping[str, Any]] | None
) -> tuple[dict[str, str], dict[str, int]]:
    """The scanner's input folders under ``work``: kubernetes/, aws/plan.json, rendered/. Returns the
    Terraform addresses' URNs and the unmapped AWS types."""
    try:
        _clear(work)
        return _write_inputs(resources, work, rendered)
    except OSError as error:
        raise ScanInputError(f"--out: cannot write under {work} ({error.strerror or error})") from None


OWNED = ("kubernetes", "aws", "rendered")


def _clear(work: Path) -> None:
    """Empty the scan's own folders; a folder holding anything else is refused, never emptied."""
    if work.exists():
        others = sorted(p.name for p in work.iterdir() if p.name not in OWNED)
        if not work.is_dir() or others:
            raise ScanInputError(
                f"--out: {work} is not a folder of infra scan (it holds {others[:1] or 'a file'}); give a new one"
            )
    for name in OWNED:
        if (work / name).exists():
            shutil.rmtree(work / name)


def _write_inputs(
    resources: Sequence[Mapping[str, Any]], work: Path, rendered: Sequence[Mapping[str, Any]] | None
) -> tuple[dict[str, str], dict[str, int]]:
    kube = work / "kubernetes"
    kube.mkdir(parents=True)
    for index, resource in enumerate(r for r in resources if is_manifest(dict(r))):
        obj = manifest(dict(resource))
        meta = obj.get("metadata") or {}
        stem = f"{index:04d}-{obj.get('kind', 'object')}-{meta.get('name', '')}".lower()
        (kube / f"{_safe(stem)}.yaml").write_text(_dump(obj), encoding="utf-8")
        if obj.get("kind") == ROLLOUT and isinstance((obj.get("spec") or {}).get("template"), dict):
            (kube / f"{_safe(stem)}-pods.yaml").write_text(_dump(_rollout_pods(obj)), encoding="utf-8")
    result = export(resources)
    (work / "aws").mkdir()
    (work / "aws" / "plan.json").write_text(json.dumps(result.document, indent=1, sort_keys=True), encoding="utf-8")
    if rendered is not None:
        folder = work / "rendered"
        folder.mkdir()
        for release in rendered:
            for index, entry in enumerate(release.get("objects") or []):
                obj = entry.get("object")
                if isinstance(obj, dict):
                    stem = _safe(f"{release.get('release', 'release')}-{index:04d}")
                    (folder / f"{stem}.yaml").write_text(yaml.safe_dump(obj, sort_keys=True), encoding="utf-8")
    return result.addresses, result.unmapped


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _rollout_pods(rollout: Mapping[str, Any]) -> dict[str, Any]:
    """A Rollout's pod template as the Deployment checkov can read (the same selector and template)."""
    meta = dict(rollout.get("metadata") or {})
    spec = rollout.get("spec") or {}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {**meta, "name": f"{SHIM_PREFIX}{meta.get('name', '')}"},
        "spec": {"selector": spec.get("selector") or {}, "template": spec["template"]},
    }


def run_checkov(binary: str, work: Path) -> list[dict[str, Any]]:
    """checkov over the folders of ``work``: one report per framework (kubernetes, terraform_plan)."""
    command = [
        binary, "--directory", ".", "--framework", "kubernetes", "terraform_plan", "--output", "json",
        "--compact", "--skip-download", "--soft-fail",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=_environment(), cwd=work, check=False
        )
    except subprocess.TimeoutExpired:
        raise ScanInputError(f"checkov did not finish in {TIMEOUT_SECONDS} s") from None
    try:
        document = json.loads(done.stdout)
    except ValueError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ScanInputError(f"checkov failed (exit {done.returncode}): {escaped(last)[:300]}") from None
    reports = document if isinstance(document, list) else [document]
    return [r for r in reports if isinstance(r, dict) and "check_type" in r]


def _target(file_path: str) -> str:
    top = file_path.lstrip("/").split("/", 1)[0]
    return {"kubernetes": "kubernetes", "rendered": "rendered", "aws": "aws"}.get(top, "kubernetes")


def _resource(check: Mapping[str, Any]) -> str:
    resource = str(check.get("resource", ""))
    kind, _, rest = resource.partition(".")
    namespace, _, name = rest.partition(".")
    if kind == "Deployment" and name.startswith(SHIM_PREFIX):
        return f"{ROLLOUT}.{namespace}.{name.removeprefix(SHIM_PREFIX)}"
    return resource


def scan(
    resources: Sequence[Mapping[str, Any]],
    work: Path,
    accepted: Sequence[acc.Accepted],
    binary: str,
    rendered: Sequence[Mapping[str, Any]] | None = None,
) -> ScanResult:
    """Scan ``resources`` (and ``rendered`` releases), each finding matched against ``accepted``."""
    start = time.perf_counter()
    addresses, unmapped = write_inputs(resources, work, rendered)
    reports = run_checkov(binary, work)
    targets = ["kubernetes", "aws", *(["rendered"] if rendered is not None else [])]
    passed = dict.fromkeys(targets, 0)
    findings: list[Finding] = []
    used: list[acc.Accepted] = []
    skipped = 0
    for report in reports:
        results = report.get("results") or {}
        skipped += len(results.get("skipped_checks") or [])
        for check in results.get("passed_checks") or []:
            passed[_target(str(check.get("file_path", "")))] += 1
        # A check an object skips with its own annotation (checkov.io/skip...) is a finding too: its
        # reason belongs in the accepted findings, not in a chart's template.
        skips = [{**c, "check_name": f"{c.get('check_name', '')} (skipped by the object's own annotation)"}
                 for c in results.get("skipped_checks") or []]  # fmt: skip
        for check in [*(results.get("failed_checks") or []), *skips]:
            target, resource = _target(str(check.get("file_path", ""))), _resource(check)
            entry = acc.acceptance(accepted, str(check["check_id"]), target, resource)
            if entry is not None:
                used.append(entry)
            findings.append(
                Finding(str(check["check_id"]), str(check.get("check_name", "")), target, resource,
                        str(check.get("file_path", "")), addresses.get(resource) if target == "aws" else None,
                        entry.reason if entry else None)
            )  # fmt: skip
    findings.sort(key=lambda f: (f.accepted, f.target, f.check, f.resource))
    return ScanResult(
        targets=targets,
        passed=passed,
        findings=findings,
        stale=acc.stale(accepted, used, targets),
        unmapped=unmapped,
        seconds=time.perf_counter() - start,
        skipped=skipped,
        accepted_entries=list(accepted),
    )


def format_text(result: ScanResult) -> str:
    lines = []
    for finding in result.unaccepted:
        urn = f" ({finding.urn})" if finding.urn else ""
        lines.append(f"FAILED   {finding.check} {finding.target} {finding.resource}{urn}: {finding.name}")
    for entry in result.stale:
        lines.append(
            f"STALE    {entry.check} {entry.target} {entry.resource} (accepted-findings line {entry.line}): "
            "accepts no finding any more; remove it"
        )
    for pulumi_type, count in result.unmapped.items():
        lines.append(f"UNMAPPED {pulumi_type} x{count}: no Terraform type known, not scanned")
    accepted = sum(1 for f in result.findings if f.accepted)
    for target in result.targets:
        failed = sum(1 for f in result.findings if f.target == target)
        taken = sum(1 for f in result.findings if f.target == target and f.accepted)
        lines.append(f"{target}: {result.passed[target]} passed, {failed} failed ({taken} accepted)")
    verdict = "FAILED" if result.failed else "clean"
    lines.append(
        f"Scan {verdict}: {len(result.unaccepted)} finding(s) not accepted, {accepted} accepted with a reason, "
        f"{len(result.stale)} stale entr{'y' if len(result.stale) == 1 else 'ies'} ({result.seconds:.1f} s)"
    )
    return "\n".join(lines)


def format_json(result: ScanResult) -> str:
    return json.dumps(
        {
            "targets": result.targets,
            "passed": result.passed,
            "failed": {t: sum(1 for f in result.findings if f.target == t) for t in result.targets},
            "findings": [
                {
                    "check": f.check,
                    "name": f.name,
                    "target": f.target,
                    "resource": f.resource,
                    "urn": f.urn,
                    "accepted": f.accepted,
                    "reason": f.reason,
                }
                for f in result.findings
            ],
            "stale": [
                {"check": a.check, "target": a.target, "resource": a.resource, "line": a.line} for a in result.stale
            ],
            "unmapped": result.unmapped,
            "clean": not result.failed,
        },
        indent=2,
    )
