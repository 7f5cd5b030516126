"""Lifecycle checks of ``infra insights``: the cluster's Kubernetes version against EKS's support
calendar, the pinned charts and images (with the day each pin entered the repository), and pieces the
project knows to be retired upstream.

EKS_VERSIONS is the Amazon EKS User Guide's "Kubernetes version lifecycle on EKS" calendar: standard
support runs 14 months from the version's release on EKS, extended support 12 months more (at $0.60
instead of $0.10 per cluster-hour). Rows marked ``projected`` apply that rule to the release date; the
calendar confirms them when AWS publishes it. Refresh the table with each new version.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tools.insights.plans import Resource, name

WARN_DAYS = 90


@dataclass(frozen=True)
class EksVersion:
    version: str
    released: date
    standard_end: date
    extended_end: date
    projected: bool = False


EKS_VERSIONS: dict[str, EksVersion] = {
    v.version: v
    for v in (
        EksVersion("1.28", date(2023, 9, 26), date(2024, 11, 26), date(2025, 11, 26)),
        EksVersion("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23)),
        EksVersion("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23)),
        EksVersion("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26)),
        EksVersion("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23)),
        EksVersion("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29)),
        EksVersion("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2), projected=True),
        EksVersion("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27), projected=True),
    )
}

# Charts and images retired upstream (no releases, no security fixes): matched on the chart's name and
# repository, or on an image's repository.
RETIRED: dict[str, str] = {
    "kubernetes.github.io/ingress-nginx": "the Kubernetes project retired ingress-nginx (best-effort "
    "maintenance ended March 2026; no further releases or security fixes): move to another controller",
    "docker.io/bitnami/": "Bitnami's free images moved to bitnamilegacy and receive no updates (August 2025)",
    "k8s.gcr.io/": "the k8s.gcr.io registry is frozen; images moved to registry.k8s.io",
}


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn", "fail"
    message: str


def kubernetes_findings(version: str, today: date) -> list[Finding]:
    row = EKS_VERSIONS.get(version)
    if row is None:
        return [Finding("warn", f"Kubernetes {version}: not in the EKS calendar of this tool; check its support dates")]
    note = " (dates projected from EKS's 14 + 12 month rule)" if row.projected else ""
    if today > row.extended_end:
        return [Finding("fail", f"Kubernetes {version} left EKS extended support on {row.extended_end}{note}: "
                                "EKS upgrades the cluster by itself; upgrade now")]  # fmt: skip
    if today > row.standard_end:
        extended = f"extended support since {row.standard_end} ($0.60 per cluster-hour instead of $0.10)"
        return [Finding("warn", f"Kubernetes {version} is in EKS {extended} until {row.extended_end}{note}")]
    if today >= row.standard_end - timedelta(days=WARN_DAYS):
        days = (row.standard_end - today).days
        return [Finding("warn", f"Kubernetes {version} leaves EKS standard support in {days} days, on "
                                f"{row.standard_end}{note}: plan the upgrade")]  # fmt: skip
    return [Finding("ok", f"Kubernetes {version}: EKS standard support until {row.standard_end}, extended until "
                          f"{row.extended_end}{note}")]  # fmt: skip


@dataclass(frozen=True)
class Pin:
    kind: str  # "chart" or "image"
    what: str  # chart@version, or image:tag
    where: str  # the resource that uses it
    pinned: str  # the day the pin entered the repository (git), or "unknown"


def pins(resources: Sequence[Resource], root: Path | None = None) -> list[Pin]:
    found: list[tuple[str, str, str, str]] = []  # kind, what, where, searched string
    for r in resources:
        inputs = r.get("inputs") or {}
        if r.get("type") == "kubernetes:helm.sh/v3:Release":
            repo = str((inputs.get("repositoryOpts") or {}).get("repo", ""))
            chart, version = str(inputs.get("chart", "")), str(inputs.get("version", ""))
            found.append(("chart", f"{repo.rstrip('/')}/{chart}@{version}", name(r["urn"]), version))
            for image in _value_images(inputs.get("values")):
                found.append(("image", image, name(r["urn"]), image.rsplit(":", 1)[-1]))
        spec = ((inputs.get("spec") or {}).get("template") or {}).get("spec") or {}
        for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
            ref = container.get("image") if isinstance(container, dict) else None
            if isinstance(ref, str):
                found.append(("image", ref, name(r["urn"]), ref.rsplit("@", 1)[-1].rsplit(":", 1)[-1]))
    unique = sorted(set(found))
    return [Pin(kind, what, where, _pinned(text, root)) for kind, what, where, text in unique]


def _value_images(values: object) -> list[str]:
    images: list[str] = []
    stack = [values]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            image = node.get("image")
            if isinstance(image, dict) and isinstance(image.get("tag"), str):
                images.append(f"{image.get('repository', '(chart default)')}:{image['tag']}")
            stack.extend(v for k, v in node.items() if k != "image" or not isinstance(v, dict))
        elif isinstance(node, list):
            stack.extend(node)
    return images


def _pinned(text: str, root: Path | None) -> str:
    """The day ``text`` first appeared in the repository's components/ or stacks/ (git's pickaxe)."""
    if not text or root is None or not (root / ".git").exists():
        return "unknown"
    try:
        out = subprocess.run(
            ["git", "log", "--format=%cs", "--reverse", "-S", text, "--", "components", "stacks"],
            cwd=root, capture_output=True, text=True, timeout=20, check=False,
        ).stdout.split()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out[0] if out else "unknown"


def retired(resources: Sequence[Resource]) -> list[Finding]:
    findings: list[Finding] = []
    for pin in pins(resources, None):
        for marker, why in RETIRED.items():
            if marker in pin.what:
                findings.append(Finding("warn", f"{pin.what} ({pin.where}): {why}"))
    return findings


def cluster_version(resources: Sequence[Resource]) -> str | None:
    for r in resources:
        if r.get("type") == "aws:eks/cluster:Cluster":
            version = (r.get("inputs") or {}).get("version")
            return str(version) if version is not None else None
    return None


def format_text(findings: Sequence[Finding], pinned: Sequence[Pin]) -> str:
    lines = ["Lifecycle:"]
    lines += [f"  {f.level.upper():<4} {f.message}" for f in findings]
    if pinned:
        lines.append("Pinned charts and images (pinned on):")
        lines += [f"  {p.pinned:<10}  {p.kind:<5}  {p.what}  ({p.where})" for p in pinned]
    return "\n".join(lines)
