"""The policy pack's rules over what the charts render (``infra check --render`` / ``--rendered``).

Rendered objects become resources of the plan, children of their release: the Kubernetes rules of the
pack run over them (resources in the platform range for add-ons, probes, restricted pod security,
pinned images), each violation either failing or covered by an entry of ``tools.render.exceptions``
(reported with its reason); the stack rules of readiness and of internet-facing controllers' Secrets
(``internet-facing-no-cluster-secrets``) run over the plan and the rendered objects together. Built-in
kinds are validated against the Kubernetes schema of the cluster's version, custom resources against the
CRDs the charts ship.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policies.rules import kubernetes, readiness, scoping
from tools.check import Violation, check
from tools.render.exceptions import EXCEPTIONS, RuleException, exception_for

# The range every add-on container must sit in (the application range is the rule's default).
PLATFORM_RANGE = {"cpuMin": "10m", "cpuMax": "2000m", "memoryMin": "32Mi", "memoryMax": "4Gi"}


@dataclass
class RenderedCheck:
    violations: list[Violation] = field(default_factory=list)  # failing
    excepted: list[tuple[Violation, RuleException]] = field(default_factory=list)
    schema_problems: list[str] = field(default_factory=list)
    unused_exceptions: list[RuleException] = field(default_factory=list)
    objects: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.violations or self.schema_problems)


def type_token(obj: Mapping[str, Any]) -> str:
    api_version = str(obj.get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{obj.get('kind')}"


def as_resources(releases: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Rendered objects as plan resources (children of their release), and each one's chart by URN."""
    made: list[dict[str, Any]] = []
    chart_of: dict[str, str] = {}
    for release in releases:
        urn = str(release["urn"])
        head, _, rest = urn.partition("::")
        project, _, rest = rest.partition("::")
        parent_type = rest.rpartition("::")[0]
        for entry in release["objects"]:
            obj = entry["object"]
            meta = obj.get("metadata") or {}
            token = type_token(obj)
            name = "/".join(
                str(p) for p in (release["release"], obj.get("kind"), meta.get("namespace"), meta.get("name")) if p
            )
            child = f"{head}::{project}::{parent_type}${token}::{name}"
            made.append({"urn": child, "type": token, "custom": True, "inputs": obj, "parent": urn,
                         "dependencies": [urn], "outputs": {}})  # fmt: skip
            chart_of[child] = str(release["chart"])
    return made, chart_of


def _schema_problems(rendered: Sequence[Mapping[str, Any]], version: str) -> list[str]:
    from tools.offline import schema
    from tools.render.crd_schema import CrdSchemas

    crds = CrdSchemas([r["inputs"] for r in rendered if r["inputs"].get("kind") == "CustomResourceDefinition"])
    problems = []
    for r in rendered:
        obj = r["inputs"]
        where = r["urn"].rsplit("::", 1)[-1]
        if schema.is_built_in(obj):
            problem = schema.validate(obj, version)
            if problem is not None:
                problems.append(f"{where}: does not match the Kubernetes {version} schema: {problem.message}")
        else:
            message = crds.validate(obj)
            if message:
                problems.append(f"{where}: does not match its CRD: {message}")
    return problems


def check_rendered(
    plan: Sequence[Mapping[str, Any]], releases: Sequence[Mapping[str, Any]], version: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> RenderedCheck:  # fmt: skip
    rendered, chart_of = as_resources(releases)
    result = RenderedCheck(objects=len(rendered))
    settings = {**(config or {})}
    settings[kubernetes.CONTAINER_RESOURCES.name] = {
        **PLATFORM_RANGE,
        **settings.get(kubernetes.CONTAINER_RESOURCES.name, {}),
    }
    by_urn = {r["urn"]: r for r in rendered}
    used: set[RuleException] = set()
    found = check(rendered, kubernetes.POLICIES, settings)
    found += [v for v in check([*map(dict, plan), *rendered], readiness.POLICIES, config) if v.urn in by_urn]
    found += [v for v in check([*map(dict, plan), *rendered], (scoping.NO_CLUSTER_SECRETS,), config) if v.urn in by_urn]
    for violation in found:
        obj = by_urn[violation.urn or ""]["inputs"] if violation.urn in by_urn else {}
        meta = obj.get("metadata") or {}
        chart = chart_of.get(violation.urn or "", "")
        covered = exception_for(chart, violation.policy, str(obj.get("kind")), str(meta.get("name")), violation.message)
        if covered is not None:
            result.excepted.append((violation, covered))
            used.add(covered)
        elif violation.mandatory:
            result.violations.append(violation)
    charts = set(chart_of.values())
    result.unused_exceptions = [e for e in EXCEPTIONS if e not in used and e.chart in charts]
    result.schema_problems = _schema_problems(rendered, version)
    return result


def format_text(result: RenderedCheck) -> str:
    lines = [f"Rendered objects checked: {result.objects}"]
    for violation in sorted(result.violations, key=lambda v: (v.policy, v.urn or "")):
        lines.append(
            f"MANDATORY [{violation.severity}] {violation.policy}: {(violation.urn or '').rsplit('::', 1)[-1]}"
        )
        lines.append(f"    {violation.message}")
    for problem in result.schema_problems:
        lines.append(f"SCHEMA {problem}")
    for violation, exception in result.excepted:
        lines.append(f"excepted {violation.policy}: {(violation.urn or '').rsplit('::', 1)[-1]}: {violation.message}")
        lines.append(f"    reason: {exception.reason}")
    for exception in result.unused_exceptions:
        lines.append(
            f"note: exception for {exception.chart} {exception.kind} {exception.name} "
            f"({exception.rule}) matched nothing"
        )
    lines.append(
        f"{len(result.violations)} violation(s) in rendered objects, {len(result.excepted)} excepted, "
        f"{len(result.schema_problems)} schema problem(s)."
    )
    return "\n".join(lines)
