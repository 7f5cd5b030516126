"""The composition of the mesh: Istio in ambient mode (``platform:mesh``) and the namespaces enrolled in it.

The namespaces that carry user traffic are enrolled: the edge (NGINX), the gateway (Kong) and the
services. Monitoring is enrolled too, so Prometheus scrapes the STRICT pods' metrics ports through the
mesh (mutual TLS) rather than through holes in STRICT. Who is STRICT, who PERMISSIVE:

- ``kong`` and the services' namespace: STRICT; the one port of Kong's pods the API server calls (the
  admission webhook, 8080) is PERMISSIVE on that port alone;
- ``nginx-ingress``: PERMISSIVE (the load balancer reaches NGINX from outside the mesh; NGINX's own
  connections to Kong are mutual TLS through ztunnel);
- ``monitoring``: PERMISSIVE (the consoles' logins, Argo Rollouts' analysis and the control plane reach
  it from outside the mesh).

Only the PeerAuthentications wait for the mesh (for the ``base`` chart's CRDs); nothing else waits for
istiod, the CNI agent or ztunnel: a namespace labelled before ztunnel runs is simply not redirected yet.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.addons.istio_base import IstioBase, IstioBaseArgs
from components.addons.istio_cni import IstioCni, IstioCniArgs
from components.addons.istio_istiod import Istiod, IstiodArgs
from components.addons.istio_ztunnel import Ztunnel, ZtunnelArgs
from components.addons.kong import NAMESPACE as KONG
from components.addons.kong import POD_LABELS as KONG_PODS
from components.ingress import NGINX_NAMESPACE
from components.mesh import AMBIENT_LABELS, EnrolledNamespace, MeshEnrolment, MeshEnrolmentArgs, PortException
from components.monitoring import NAMESPACE as MONITORING
from infra.config import PlatformConfig

KONG_ADMISSION = 8080  # Kong's admission webhook (its controller's container port), called by the API server


def enrolled_namespaces(cfg: PlatformConfig) -> dict[str, EnrolledNamespace]:
    """The namespaces in the mesh and how each accepts traffic (none when the mesh is off)."""
    if not cfg.mesh.enabled:
        return {}
    return {
        NGINX_NAMESPACE: EnrolledNamespace("PERMISSIVE"),
        KONG: EnrolledNamespace(
            "STRICT",
            (
                PortException(
                    "admission-webhook",
                    KONG_PODS,
                    (KONG_ADMISSION,),
                    "the API server calls Kong's admission webhook from outside the mesh",
                ),
            ),
        ),
        cfg.datastores.namespace: EnrolledNamespace("STRICT"),
        MONITORING: EnrolledNamespace("PERMISSIVE"),
    }


def mesh_labels(cfg: PlatformConfig, namespace: str) -> dict[str, str]:
    """The labels that enrol ``namespace`` in the mesh (none when it is not enrolled)."""
    return dict(AMBIENT_LABELS) if namespace in enrolled_namespaces(cfg) else {}


def build_mesh(
    cfg: PlatformConfig, kubernetes_provider: k8s.Provider, namespaces: Mapping[str, pulumi.Input[str] | None]
) -> IstioBase | None:
    """Istio's four charts and the PeerAuthentications of the enrolled namespaces this stack makes
    (``namespaces``: namespace -> its name as an output of its Namespace, None when not made), each once its
    namespace exists; the base chart's add-on (the mesh's namespace) or None when the mesh is off."""
    enrolled = {ns: how for ns, how in enrolled_namespaces(cfg).items() if namespaces.get(ns) is not None}
    if not cfg.mesh.enabled:
        return None
    base = IstioBase("istio-base", IstioBaseArgs(kubernetes_provider))
    after_base = pulumi.ResourceOptions(depends_on=[base.release])  # the CRDs istiod and the agents read
    istiod = Istiod(
        "istiod", IstiodArgs(kubernetes_provider, base.namespace, cfg.mesh.istiod_replicas), opts=after_base
    )
    IstioCni("istio-cni", IstioCniArgs(kubernetes_provider, base.namespace), opts=after_base)
    Ztunnel("ztunnel", ZtunnelArgs(kubernetes_provider, base.namespace), opts=after_base)
    MeshEnrolment(
        "mesh",
        MeshEnrolmentArgs(
            kubernetes_provider=kubernetes_provider,
            namespaces=enrolled,
            namespace_names={ns: name for ns, name in namespaces.items() if name is not None and ns in enrolled},
        ),
        # the PeerAuthentication's CRD, and istiod, which acts on it and validates it (its webhook fails
        # open until istiod is up)
        opts=pulumi.ResourceOptions(depends_on=[base.release, istiod.release]),
    )
    return base
