"""How long ``pulumi up`` takes, and which of the waits are really needed.

Two graphs over the same plan:

- **declared**: what Pulumi waits on (``dependencies``: inputs read from other resources and every
  ``depends_on``, components expanded to their children; and the provider). Pulumi's default
  parallelism is unbounded (``pulumi up --parallel`` defaults to 2147483647), so the estimate of
  ``pulumi up`` is the longest path of this graph weighted by ``tools.offline.estimate``'s table.
- **needed**: the edges a resource cannot do without: the inputs it reads from another resource
  (``propertyDependencies``), its provider, the chart release that installs the CRD of a custom
  resource (and so its webhook: releases are atomic), and the nodes, for what runs pods and is awaited
  (Helm releases, EKS add-ons, workloads); a Kubernetes object another one names (an ExternalSecret
  names its store, a Certificate its issuer, a chart a Secret); the orderings in ``ORDERING_NEEDS``.
  Its longest path is what no ordering can beat.

The ratio estimate / needed critical path says how much time false chains cost. ``false_waits``
names the declared edges on the estimate's critical path that the needed graph does not have.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tools.insights.plans import Resource, name, provider_urn
from tools.offline.estimate import DEFAULT_SECONDS, TYPICAL_SECONDS

UNBOUNDED = 2_147_483_647  # Pulumi's default --parallel

# API groups of custom resources and the chart that installs their CRDs (the chart's name in the release).
CRD_CHARTS: dict[str, tuple[str, ...]] = {
    "cert-manager.io": ("cert-manager",),
    "acme.cert-manager.io": ("cert-manager",),
    "external-secrets.io": ("external-secrets",),
    "generators.external-secrets.io": ("external-secrets",),
    # kube-prometheus-stack runs with crds.enabled false: its own release installs none of them.
    "monitoring.coreos.com": ("prometheus-operator-crds",),
    "argoproj.io": ("argo-rollouts",),
    "configuration.konghq.com": ("kong",),
    # Istio's CRDs (the PeerAuthentication) come with its ``base`` chart; istiod acts on them and serves
    # the webhook that validates them (fail-open until it is up).
    "security.istio.io": ("base", "istiod"),
    "networking.istio.io": ("base", "istiod"),
}
# Charts that install only CRDs: another chart waiting for one needs it (its templates create
# custom resources of those kinds, such as a ServiceMonitor).
# Istio's ``base`` is its CRDs (and a fail-open webhook): istiod, the CNI agent and ztunnel read them.
CRD_ONLY_CHARTS = {"prometheus-operator-crds", "base"}
NODE_TYPE = "aws:eks/nodeGroup:NodeGroup"
# Orderings that no input shows but the service requires: (waiting type, waited-for type).
ORDERING_NEEDS = {
    # EKS writes its control-plane logs to /aws/eks/<name>/cluster: made first, its retention and key apply.
    ("aws:eks/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup"),
    # The logs' setup Job reads the Secrets ECK makes for the cluster (the elastic user, the HTTP CA) and
    # talks to its API: created before Elasticsearch, it would only wait in the cluster for the same time.
    ("kubernetes:batch/v1:Job", "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"),
}
RUNS_PODS = {
    "kubernetes:helm.sh/v3:Release",
    "aws:eks/addon:Addon",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:argoproj.io/v1alpha1:Rollout",
}


@dataclass(frozen=True)
class Step:
    urn: str
    type: str
    seconds: float  # its own time
    finish: float  # when it is done, from the start


@dataclass(frozen=True)
class Timing:
    total_seconds: float
    path: list[Step]


def _group(kind: str) -> str:
    if not kind.startswith("kubernetes:"):
        return ""
    return kind.split(":")[1].rsplit("/", 1)[0]


def declared_edges(r: Resource) -> set[str]:
    needs = set(r.get("dependencies") or [])
    if provider_urn(r):
        needs.add(provider_urn(r))
    return needs


def needed_edges(r: Resource, by_urn: Mapping[str, Resource]) -> set[str]:
    needs: set[str] = set()
    for urns in (r.get("propertyDependencies") or {}).values():
        needs |= set(urns)
    if provider_urn(r):
        needs.add(provider_urn(r))
    charts = CRD_CHARTS.get(_group(r["type"]), ())
    strings = _strings(r.get("inputs") or {})
    for dep in r.get("dependencies") or []:
        other = by_urn.get(dep)
        if other is None:
            continue
        if (r["type"], other["type"]) in ORDERING_NEEDS:
            needs.add(dep)
        if other["type"].startswith("kubernetes:") and _object_name(other) in strings:
            needs.add(dep)  # names it (a store, an issuer, a Secret): it must exist first
        release = other["type"] == "kubernetes:helm.sh/v3:Release"
        other_chart = str((other.get("inputs") or {}).get("chart", "")) if release else ""
        if other_chart and (other_chart in charts or (r["type"] == other["type"] and other_chart in CRD_ONLY_CHARTS)):
            needs.add(dep)
        if r["type"] in RUNS_PODS and other["type"] == NODE_TYPE:
            needs.add(dep)
    if r["type"] in RUNS_PODS:  # through the provider the nodes were waited for; they still are
        needs |= {u for u, o in by_urn.items() if o["type"] == NODE_TYPE and u in _ancestry(r, by_urn)}
    return needs & set(by_urn)


def _strings(value: object) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.add(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _object_name(r: Resource) -> str:
    metadata = (r.get("inputs") or {}).get("metadata") or {}
    return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""


def _ancestry(r: Resource, by_urn: Mapping[str, Resource]) -> set[str]:
    """Everything ``r`` waits for through declared edges (transitively)."""
    seen: set[str] = set()
    stack = list(declared_edges(r))
    while stack:
        urn = stack.pop()
        if urn in seen or urn not in by_urn:
            continue
        seen.add(urn)
        stack.extend(declared_edges(by_urn[urn]))
    return seen


def seconds_of(r: Resource, table: Mapping[str, float] = TYPICAL_SECONDS) -> float:
    return table.get(r["type"], DEFAULT_SECONDS) if r.get("custom") else 0.0


def longest_path(
    resources: Sequence[Resource],
    edges: Mapping[str, set[str]],
    weights: Mapping[str, float],
    parallelism: int = UNBOUNDED,
) -> Timing:
    """When the last resource is done if each starts once all its edges are done (at most
    ``parallelism`` at once, ready ones first in plan order), and the chain that decided it."""
    order = {r["urn"]: i for i, r in enumerate(resources)}
    kind = {r["urn"]: r["type"] for r in resources}
    waiting = {u: {d for d in edges.get(u, set()) if d in order and d != u} for u in order}
    dependents: dict[str, list[str]] = {u: [] for u in order}
    for u, needs in waiting.items():
        for d in needs:
            dependents[d].append(u)
    remaining = {u: len(n) for u, n in waiting.items()}
    ready_at: dict[str, float] = {u: 0.0 for u in order}
    last_need: dict[str, str | None] = {u: None for u in order}
    ready = [(0.0, order[u], u) for u, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    running: list[tuple[float, int, str]] = []
    finish: dict[str, float] = {}
    clock = 0.0
    while ready or running:
        while ready and len(running) < parallelism and ready[0][0] <= clock:
            _, index, urn = heapq.heappop(ready)
            heapq.heappush(running, (clock + weights.get(urn, 0.0), index, urn))
        if not running:
            clock = ready[0][0]
            continue
        done, _, urn = heapq.heappop(running)
        clock = max(clock, done)
        finish[urn] = done
        for dependent in dependents[urn]:
            remaining[dependent] -= 1
            if done >= ready_at[dependent]:
                ready_at[dependent], last_need[dependent] = done, urn
            if remaining[dependent] == 0:
                heapq.heappush(ready, (ready_at[dependent], order[dependent], dependent))
    if not finish:
        return Timing(0.0, [])
    end = max(finish, key=lambda u: (finish[u], -order[u]))
    chain: list[Step] = []
    node: str | None = end
    while node is not None:
        chain.append(Step(node, kind[node], weights.get(node, 0.0), finish[node]))
        node = last_need[node]
    return Timing(finish[end], list(reversed(chain)))


@dataclass(frozen=True)
class Insight:
    estimate: Timing  # declared edges
    needed: Timing  # needed edges
    false_waits: list[tuple[str, str]]  # (resource, what it waited for without needing it), on the estimate's path

    @property
    def ratio(self) -> float:
        return self.estimate.total_seconds / self.needed.total_seconds if self.needed.total_seconds else 1.0


def insight(
    resources: Sequence[Resource],
    weights: Mapping[str, float] | None = None,
    parallelism: int = UNBOUNDED,
) -> Insight:
    by_urn = {r["urn"]: r for r in resources}
    weights = dict(weights) if weights is not None else {r["urn"]: seconds_of(r) for r in resources}
    declared = {r["urn"]: declared_edges(r) for r in resources}
    needed = {r["urn"]: needed_edges(r, by_urn) for r in resources}
    estimate = longest_path(resources, declared, weights, parallelism)
    best = longest_path(resources, needed, weights, parallelism)
    false: list[tuple[str, str]] = []
    for before, after in zip(estimate.path, estimate.path[1:], strict=False):
        if before.urn not in needed[after.urn]:
            false.append((after.urn, before.urn))
    return Insight(estimate, best, false)


def format_steps(timing: Timing) -> list[str]:
    return [
        f"  {step.finish / 60:6.1f} min  +{step.seconds:5.0f} s  {name(step.urn)} ({step.type})"
        for step in timing.path
        if step.seconds or step is timing.path[-1]
    ]


def format_text(stack: str, result: Insight, update: bool = False) -> str:
    what = "update" if update else "from scratch"
    lines = [
        f"Estimated `pulumi up` of {stack!r} {what}, default parallelism (unbounded): "
        f"{result.estimate.total_seconds / 60:.1f} min",
        "Critical path (done at, own time, resource):",
        *format_steps(result.estimate),
        f"Critical path of the dependencies really needed: {result.needed.total_seconds / 60:.1f} min",
        *format_steps(result.needed),
        f"Ratio estimate / needed critical path: {result.ratio:.3f}",
    ]
    if result.false_waits:
        lines.append("Waits on the critical path that no input, CRD or node requires:")
        lines += [f"  {name(a)} waits for {name(b)}" for a, b in result.false_waits]
    return "\n".join(lines)
