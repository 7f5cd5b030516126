"""Rules about how resources relate: flow logs for every VPC, every workload autoscaled and
disruption-safe, every application namespace default-deny."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.rules._base import get, kind_of, listify, stack_rule
from policies.rules.kubernetes import is_workload

Found = Iterable[tuple[str, str | None]]


def _of(args: StackValidationArgs, *types: str) -> Iterator[PolicyResource]:
    return (r for r in args.resources if r.resource_type in types)


def _depends_on(resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
    return any(d.urn == target.urn for d in resource.property_dependencies.get(prop, []))


def _flow_logs(args: StackValidationArgs) -> Found:
    logs = list(_of(args, "aws:ec2/flowLog:FlowLog"))
    for vpc in _of(args, "aws:ec2/vpc:Vpc"):
        if not any(_depends_on(log, "vpcId", vpc) for log in logs):
            yield "the VPC has no flow log", vpc.urn


def _workload_key(resource: PolicyResource) -> tuple[str, str, str]:
    meta = get(resource.props, "metadata", default={})
    return (
        str(get(resource.props, "kind", default="")),
        str(get(meta, "namespace", default="default")),
        str(get(meta, "name", default="")),
    )


def _pod_labels(resource: PolicyResource) -> dict[str, str]:
    return dict(get(resource.props, "spec", "template", "metadata", "labels", default={}))


def _scaling(args: StackValidationArgs) -> Found:
    scalers: set[tuple[str, str, str]] = set()
    for hpa in (r for r in args.resources if kind_of(r.resource_type) in ("HorizontalPodAutoscaler", "ScaledObject")):
        namespace = str(get(hpa.props, "metadata", "namespace", default="default"))
        target = get(hpa.props, "spec", "scaleTargetRef", default={})
        scalers.add((str(get(target, "kind", default="Deployment")), namespace, str(get(target, "name", default=""))))
    budgets = [r for r in args.resources if kind_of(r.resource_type) == "PodDisruptionBudget"]
    for workload in (r for r in args.resources if kind_of(r.resource_type) in ("Deployment", "Rollout")):
        kind, namespace, name = _workload_key(workload)
        if (kind, namespace, name) not in scalers:
            yield f"{kind} {namespace}/{name} has no HorizontalPodAutoscaler or ScaledObject", workload.urn
        labels = _pod_labels(workload)
        covered = [
            b for b in budgets
            if get(b.props, "metadata", "namespace", default="default") == namespace
            and (selector := get(b.props, "spec", "selector", "matchLabels", default={}))
            and all(labels.get(k) == v for k, v in selector.items())
        ]  # fmt: skip
        if not covered:
            yield f"{kind} {namespace}/{name} has no PodDisruptionBudget", workload.urn


def _default_deny(args: StackValidationArgs) -> Found:
    namespaces = {
        str(get(w.props, "metadata", "namespace", default="default")): w.urn
        for w in args.resources
        if is_workload(w.resource_type)
    }
    denied: set[str] = set()
    for policy in (r for r in args.resources if kind_of(r.resource_type) == "NetworkPolicy"):
        spec = get(policy.props, "spec", default={})
        selects_all = not get(spec, "podSelector", default={})
        types = set(listify(get(spec, "policyTypes")))
        if selects_all and {"Ingress", "Egress"} <= types and not get(spec, "ingress") and not get(spec, "egress"):
            denied.add(str(get(policy.props, "metadata", "namespace", default="default")))
    for namespace, urn in sorted(namespaces.items()):
        if namespace not in denied:
            yield f"namespace {namespace} runs workloads without a default-deny NetworkPolicy", urn


VPC_FLOW_LOGS = stack_rule(
    "vpc-flow-logs",
    "Every VPC records flow logs.",
    Severity.MEDIUM,
    "Create an aws.ec2.FlowLog for the VPC (components/network.py does).",
    _flow_logs,
)

WORKLOADS_SCALED = stack_rule(
    "workloads-autoscaled-and-disruption-safe",
    "Every Deployment or Rollout has a HorizontalPodAutoscaler (or KEDA ScaledObject) and a PodDisruptionBudget.",
    Severity.MEDIUM,
    "Build services with components.service.ServiceDeployment, which creates both.",
    _scaling,
)

NAMESPACE_DEFAULT_DENY = stack_rule(
    "namespace-default-deny",
    "Every namespace that runs workloads has a default-deny NetworkPolicy (ingress and egress).",
    Severity.HIGH,
    "Add a NetworkPolicy with an empty podSelector and policyTypes [Ingress, Egress], then allow what is needed.",
    _default_deny,
)

POLICIES = (VPC_FLOW_LOGS, WORKLOADS_SCALED, NAMESPACE_DEFAULT_DENY)
