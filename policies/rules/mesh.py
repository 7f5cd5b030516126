"""Mutual TLS inside the cluster: in protected environments (prod) the namespaces that carry user traffic are
in Istio's ambient mesh and refuse plaintext.

The rule reads the plan only: the edge is the namespace of an NGINX release (chart ``nginx-ingress``), the
gateway that of a Kong release (chart ``kong``), the services' the namespaces of ``Rollout`` objects. Each
must be a ``Namespace`` of the plan labelled ``istio.io/dataplane-mode: ambient`` with a namespace-wide
``PeerAuthentication`` (no selector) whose mode is ``STRICT`` (``PERMISSIVE`` is accepted for the edge
alone, which the load balancer reaches from outside the mesh); no workload's PeerAuthentication there may
lower it, but on the ports of ``permissivePorts`` (admission webhooks, which the API server calls from
outside the mesh). Istio's four charts are installed in ambient mode (``profile: ambient``), and ztunnel
is not given ``TLS12_ENABLED`` (without it, it speaks TLS 1.3 only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyConfigSchema, PolicyResource, Severity, StackValidationArgs

from policies.rules._base import config, environments_of, get, in_environments, kind_of, stack_rule
from policies.rules.protection import ENVIRONMENTS_PROPERTY

RELEASE = "kubernetes:helm.sh/v3:Release"
DATAPLANE_MODE = "istio.io/dataplane-mode"
ISTIO_CHARTS = ("base", "istiod", "cni", "ztunnel")
AMBIENT_CHARTS = ("istiod", "cni", "ztunnel")  # the charts whose profile turns ambient mode on
EDGE_CHARTS = ("nginx-ingress",)
GATEWAY_CHARTS = ("kong",)
STRICT, PERMISSIVE = "STRICT", "PERMISSIVE"


def _provider_props(resource: PolicyResource) -> Mapping[str, Any]:
    provider = getattr(resource, "provider", None)
    return dict(provider.props) if provider is not None and provider.props is not None else {}


def _releases(resources: Sequence[PolicyResource], charts: Iterable[str]) -> list[PolicyResource]:
    wanted = set(charts)
    return [r for r in resources if r.resource_type == RELEASE and str(get(r.props, "chart", default="")) in wanted]


def _namespace_of_release(release: PolicyResource) -> str:
    return str(get(release.props, "namespace", default="default"))


def _is_namespace_wide(props: Mapping[str, Any]) -> bool:
    selector = get(props, "spec", "selector", default={})
    return not get(selector, "matchLabels") and not get(selector, "matchExpressions")


def _mode(props: Mapping[str, Any]) -> str:
    return str(get(props, "spec", "mtls", "mode", default="UNSET")).upper()


def _user_namespaces(resources: Sequence[PolicyResource]) -> dict[str, set[str]]:
    """Namespace -> the modes it may have: the edge's STRICT or PERMISSIVE, the gateway's and the services'
    STRICT only (a namespace that is both is held to STRICT)."""
    found: dict[str, set[str]] = {}
    for release in _releases(resources, EDGE_CHARTS):
        found.setdefault(_namespace_of_release(release), {STRICT, PERMISSIVE})
    strict = {_namespace_of_release(r) for r in _releases(resources, GATEWAY_CHARTS)}
    strict |= {
        str(get(r.props, "metadata", "namespace", default="default"))
        for r in resources
        if kind_of(r.resource_type) == "Rollout"
    }
    for namespace in strict:
        found[namespace] = {STRICT}
    return found


def _permissive_ports(props: Mapping[str, Any]) -> list[str]:
    levels = get(props, "spec", "portLevelMtls", default={})
    if not isinstance(levels, Mapping):
        return []
    return sorted(
        str(port)
        for port, mtls in levels.items()
        if str(get(mtls, "mode", default="UNSET")).upper() not in (STRICT, "UNSET")
    )


def _port_number(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None


def _mesh_gaps(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    resources = list(args.resources)
    clusters = [r for r in resources if r.resource_type == "aws:eks/cluster:Cluster"]
    if not clusters:
        return
    cluster = clusters[0]
    settings = config(args)
    names = environments_of(cluster.urn, _provider_props(cluster), get(cluster.props, "tags", hidden_ok=True))
    if not in_environments(names, settings.get("environments", ["prod"])):
        return
    allowed_ports = {int(p) for p in settings.get("permissivePorts", [8080])}
    installed = {str(get(r.props, "chart")): r for r in _releases(resources, ISTIO_CHARTS)}
    for chart in ISTIO_CHARTS:
        release = installed.get(chart)
        if release is None:
            yield f"Istio's {chart} chart is not installed: the cluster has no mesh for mutual TLS", cluster.urn
        elif chart in AMBIENT_CHARTS and str(get(release.props, "values", "profile", default="")) != "ambient":
            yield f"Istio's {chart} chart is not installed in ambient mode (values.profile: ambient)", release.urn
    ztunnel = installed.get("ztunnel")
    # ztunnel turns TLS 1.2 on when the variable is exactly "true" (a boolean true renders as that)
    if ztunnel is not None and str(get(ztunnel.props, "values", "env", "TLS12_ENABLED", default="")).lower() == "true":
        yield "ztunnel is given TLS12_ENABLED=true: it would accept TLS 1.2 beside 1.3", ztunnel.urn
    namespaces = {
        str(get(r.props, "metadata", "name", default="")): r
        for r in resources
        if kind_of(r.resource_type) == "Namespace"
    }
    authentications = [r for r in resources if kind_of(r.resource_type) == "PeerAuthentication"]
    for namespace, modes in sorted(_user_namespaces(resources).items()):
        made = namespaces.get(namespace)
        if made is None:
            yield (
                f"namespace {namespace} carries user traffic but is not a Namespace of this plan to enrol",
                cluster.urn,
            )
            continue
        if get(made.props, "metadata", "labels", DATAPLANE_MODE) != "ambient":
            yield (
                f"namespace {namespace} carries user traffic but is not in the mesh ({DATAPLANE_MODE}: ambient)",
                made.urn,
            )
        own = [r for r in authentications if get(r.props, "metadata", "namespace") == namespace]
        wide = [r for r in own if _is_namespace_wide(r.props)]
        wanted = " or ".join(sorted(modes, reverse=True))
        if not wide:
            yield f"namespace {namespace} has no namespace-wide PeerAuthentication ({wanted})", made.urn
        for policy in wide:
            if _mode(policy.props) not in modes:
                yield (
                    f"PeerAuthentication {namespace}/{get(policy.props, 'metadata', 'name')} is "
                    f"{_mode(policy.props)}; {namespace} must be {wanted}",
                    policy.urn,
                )
        if modes != {STRICT}:
            continue
        for policy in own:
            name = f"{namespace}/{get(policy.props, 'metadata', 'name')}"
            if not _is_namespace_wide(policy.props) and _mode(policy.props) not in (STRICT, "UNSET"):
                yield f"PeerAuthentication {name} lowers {namespace}'s STRICT to {_mode(policy.props)}", policy.urn
            for port in _permissive_ports(policy.props):
                if _port_number(port) not in allowed_ports:
                    yield (
                        f"PeerAuthentication {name} accepts plaintext on port {port}, which is not one of "
                        f"permissivePorts ({', '.join(str(p) for p in sorted(allowed_ports))})",
                        policy.urn,
                    )


MESH_MTLS_STRICT = stack_rule(
    "mesh-mtls-strict",
    "In protected environments (prod) the namespaces that carry user traffic (the edge's NGINX, the gateway's "
    "Kong, the services' Rollouts) are in Istio's ambient mesh (istio.io/dataplane-mode: ambient) with a "
    "namespace-wide PeerAuthentication STRICT (PERMISSIVE for the edge only), no workload lowering it but on "
    "permissivePorts; Istio's base, istiod, cni and ztunnel charts are installed in ambient mode and ztunnel "
    "keeps to TLS 1.3 (no TLS12_ENABLED).",
    Severity.HIGH,
    "Keep platform:mesh.enabled true (stacks/mesh.py enrols the namespaces and makes their PeerAuthentications) "
    "and the Istio add-ons in components/addons/istio_*.py.",
    _mesh_gaps,
    PolicyConfigSchema(
        properties={
            "environments": ENVIRONMENTS_PROPERTY,
            "permissivePorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 65535},
                "default": [8080],
            },
        }
    ),
)

POLICIES = (MESH_MTLS_STRICT,)
