"""The composition of the edge: cert-manager, the public entry (ALB + WAF, NGINX) and the Kong gateway."""

from __future__ import annotations

import pulumi

from components.addons.cert_manager import CertManager, CertManagerArgs
from components.addons.kong import NAMESPACE as KONG_NAMESPACE
from components.addons.nginx_ingress import RELEASE as NGINX_RELEASE
from components.cluster import Cluster
from components.consoles import NAMESPACE as CONSOLES_NAMESPACE
from components.gateway import Gateway, GatewayArgs
from components.ingress import NGINX_NAMESPACE, Ingress, IngressArgs
from components.ingress_access import IngressAccess, IngressAccessArgs
from components.monitoring import Monitoring
from components.network import Network
from components.workload_namespace import WorkloadNamespace
from infra.aws_context import AwsContext
from infra.config import PlatformConfig
from stacks import moved
from stacks.mesh import mesh_labels


def build_edge(
    cfg: PlatformConfig,
    context: AwsContext,
    network: Network,
    cluster: Cluster,
    apps: WorkloadNamespace,
    monitoring: Monitoring,
    with_primary: pulumi.ResourceOptions,
) -> tuple[Ingress | None, Gateway | None]:
    """The public entry (ALB + WAF, NGINX, cert-manager) and the Kong gateway behind it, if configured."""
    edge = cfg.ingress
    if edge is None:
        return None, None
    consoles = tuple(cfg.consoles.published.values())  # the UIs published on this edge (platform:consoles)
    cert_manager = CertManager(
        "cert-manager",
        CertManagerArgs(
            kubernetes_provider=cluster.provider,
            identity=cluster.identity,
            partition=context.partition,
            dns_zone_id=edge.dns_zone_id,
            hostnames=(*edge.hostnames, *consoles),
            replicas=edge.cert_manager_replicas,
            moved=moved.cert_manager(),
        ),
        # Its ServiceMonitor needs the Prometheus Operator's CRDs.
        opts=pulumi.ResourceOptions.merge(with_primary, pulumi.ResourceOptions(depends_on=[monitoring.crds_release])),
    )
    ingress = Ingress(
        "ingress",
        IngressArgs(
            spec=edge,
            name_prefix=cfg.name_prefix,
            aws=context,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            node_security_group_id=cluster.cluster_security_group_id,
            node_autoscaling_group_name=cluster.node_autoscaling_group_name,
            kubernetes_provider=cluster.provider,
            protection=cfg.protection,
            extra_hostnames=consoles,
            served_namespaces=served_namespaces(cfg),
            namespace_labels=mesh_labels(cfg, NGINX_NAMESPACE),  # enrolled in the mesh
        ),
        # The ClusterIssuer needs cert-manager's CRDs, NGINX's ServiceMonitor the Prometheus Operator's.
        opts=pulumi.ResourceOptions.merge(
            with_primary, pulumi.ResourceOptions(depends_on=[cert_manager.release, monitoring.crds_release])
        ),
    )
    gateway = Gateway(
        "gateway",
        GatewayArgs(
            spec=cfg.gateway,
            hostnames=edge.hostnames,
            kubernetes_provider=cluster.provider,
            public_ingress_class=ingress.ingress_class_name,
            trusted_cidrs=(cfg.network.cidr,),
            service_namespace=apps.name,
            namespace_labels=mesh_labels(cfg, KONG_NAMESPACE),  # enrolled in the mesh
        ),
        opts=pulumi.ResourceOptions.merge(  # Kong's ServiceMonitor needs the Prometheus Operator's CRDs
            with_primary, pulumi.ResourceOptions(depends_on=[monitoring.crds_release])
        ),
    )
    pulumi.export("publicHostnames", list(edge.hostnames))
    pulumi.export("loadBalancerDnsName", ingress.load_balancer_dns_name)
    pulumi.export("webAclArn", ingress.web_acl_arn)
    return ingress, gateway


def served_namespaces(cfg: PlatformConfig) -> tuple[str, ...]:
    """The namespaces whose Ingresses NGINX serves (besides its own): the gateway's public Ingress and,
    when published, the consoles' logins."""
    return (KONG_NAMESPACE, *((CONSOLES_NAMESPACE,) if cfg.consoles.published else ()))


def build_ingress_access(
    cfg: PlatformConfig, cluster: Cluster, made_by: dict[str, pulumi.Resource | None]
) -> IngressAccess | None:
    """NGINX's Roles in the namespaces it serves, each once ``made_by`` has made it."""
    if cfg.ingress is None:
        return None
    namespaces = {ns: made_by[ns] for ns in served_namespaces(cfg)}
    missing = sorted(ns for ns, maker in namespaces.items() if maker is None)
    if missing:
        raise ValueError(f"NGINX serves {', '.join(missing)}, which this stack does not make")
    return IngressAccess(
        "ingress-access",
        IngressAccessArgs(
            kubernetes_provider=cluster.provider,
            release=NGINX_RELEASE,
            controller_namespace=NGINX_NAMESPACE,
            namespaces={ns: maker for ns, maker in namespaces.items() if maker is not None},
        ),
    )
