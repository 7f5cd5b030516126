"""The mesh's enrolment: which namespaces are in Istio's ambient mesh, and how each one accepts traffic.

Istio in ambient mode (``components/addons/istio_*.py``) needs no sidecar: a namespace labelled
``istio.io/dataplane-mode: ambient`` (:data:`AMBIENT_LABELS`, set on the namespace by its owner) has its
pods' traffic redirected, inside each pod's network namespace, to the node's ztunnel, which carries it
to the destination pod's ztunnel in an HBONE tunnel (HTTP CONNECT over mutual TLS 1.3) on port 15008.
Pod templates, probes and ports stay as they are.

:class:`MeshEnrolment` makes one ``PeerAuthentication`` (``security.istio.io/v1``) per enrolled namespace:

- ``STRICT``: ztunnel refuses plaintext into the namespace's pods (the gateway, the services): only a
  meshed peer, with its workload certificate, gets in. A port that a party outside the mesh must reach
  (an admission webhook the API server calls) is named per workload (``exceptions``), ``PERMISSIVE`` on
  that port alone;
- ``PERMISSIVE``: plaintext is still accepted, for a namespace reached from outside the mesh (the edge,
  which the load balancer reaches; monitoring, which the consoles and the delivery analysis reach); its
  own outbound connections to meshed pods are mutual TLS all the same.

The PeerAuthentication CRD comes with Istio's ``base`` chart: give its release in ``opts.depends_on``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import MeshTraffic
from components.parts import crds_for, depends_on_of

SECURITY_API = "security.istio.io/v1"
DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode"
AMBIENT_LABELS = {DATAPLANE_MODE_LABEL: "ambient"}
# ztunnel's HBONE listener inside every meshed pod, and the address its node rules give the kubelet's
# probes (Istio's ambient NetworkPolicy guide).
HBONE_PORT = 15008
PROBE_SOURCE_CIDR = "169.254.7.127/32"
AMBIENT_TRAFFIC = MeshTraffic(hbone_port=HBONE_PORT, probe_source_cidr=PROBE_SOURCE_CIDR)
MtlsMode = Literal["STRICT", "PERMISSIVE"]


@dataclass(frozen=True)
class PortException:
    """A workload of a STRICT namespace that accepts plaintext on ``ports`` only (who may reach them
    there is the NetworkPolicies' to say)."""

    name: str  # the PeerAuthentication's name suffix
    pod_labels: Mapping[str, str]
    ports: tuple[int, ...]
    why: str


@dataclass(frozen=True)
class EnrolledNamespace:
    mode: MtlsMode
    exceptions: tuple[PortException, ...] = ()


@dataclass(frozen=True)
class MeshEnrolmentArgs:
    kubernetes_provider: k8s.Provider
    namespaces: Mapping[str, EnrolledNamespace]  # namespace -> how it accepts traffic
    # namespace -> its name as an output of its Namespace: its PeerAuthentications wait for that alone
    # (and for the releases of opts.depends_on); a namespace not named here is taken to exist
    namespace_names: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for namespace, enrolled in self.namespaces.items():
            if enrolled.exceptions and enrolled.mode != "STRICT":
                raise ValueError(f"{namespace}: port exceptions only make sense in a STRICT namespace")
            if any(not e.pod_labels or not e.ports for e in enrolled.exceptions):
                raise ValueError(f"{namespace}: a port exception names its pods and its ports")


class MeshEnrolment(pulumi.ComponentResource):
    """The PeerAuthentications of the enrolled namespaces; ``policies`` by namespace, for tests."""

    policies: dict[str, list[k8s.apiextensions.CustomResource]]

    def __init__(self, name: str, args: MeshEnrolmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:mesh:MeshEnrolment", name, None, opts)
        crds = crds_for(depends_on_of(opts), SECURITY_API)
        self.policies = {}
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=crds)
        for namespace, enrolled in sorted(args.namespaces.items()):
            where = args.namespace_names.get(namespace, namespace)
            made = [_peer_authentication(f"{name}-{namespace}", "default", where, enrolled.mode, on_cluster)]
            for exception in enrolled.exceptions:
                made.append(
                    _peer_authentication(
                        f"{name}-{namespace}-{exception.name}",
                        exception.name,
                        where,
                        "STRICT",
                        on_cluster,
                        selector=exception.pod_labels,
                        permissive_ports=exception.ports,
                    )
                )
            self.policies[namespace] = made
        self.register_outputs({"namespaces": sorted(args.namespaces)})


def _peer_authentication(
    resource_name: str,
    name: str,
    namespace: pulumi.Input[str],
    mode: MtlsMode,
    opts: pulumi.ResourceOptions,
    selector: Mapping[str, str] | None = None,
    permissive_ports: Sequence[int] = (),
) -> k8s.apiextensions.CustomResource:
    """A PeerAuthentication: namespace-wide (``name`` default, no selector) or for the pods of
    ``selector``, ``mode`` on every port but ``permissive_ports``."""
    spec: dict[str, object] = {"mtls": {"mode": mode}}
    if selector:
        spec["selector"] = {"matchLabels": dict(selector)}
    if permissive_ports:
        spec["portLevelMtls"] = {str(port): {"mode": "PERMISSIVE"} for port in sorted(permissive_ports)}
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=SECURITY_API,
        kind="PeerAuthentication",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec=spec,
        opts=opts,
    )
