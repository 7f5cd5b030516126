"""The isolation table: every namespace the platform creates -> who may reach it and where it may go.

One row per namespace (``NAMESPACE_RULES``); a namespace an add-on adds is one more row here. Each row
becomes a default deny of every pod of the namespace (ingress and egress), DNS egress, and the allows
it names (``components/isolation.py``). Ports are the pods' own (what a NetworkPolicy sees after the
Service), read in each chart's values at its pinned version.

The services' namespace and ``logging`` are not rows: each has its own default deny and allows
(``components/workload_namespace.py`` with ``components/service_objects.py``; ``components/logging_network.py``).
``kube-system`` is a row like the others, with allows per workload (CoreDNS, metrics-server, the
autoscaler, the EBS driver's controller); its pods already run when the policies land, so its default
deny comes after its allows. The host-network pods there (the VPC CNI, kube-proxy) are outside any
NetworkPolicy. The policy pack requires a default deny in every namespace of the plan and in
``kube-system``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.addons.argo_rollouts import NAMESPACE as ROLLOUTS
from components.addons.cert_manager import NAMESPACE as CERT_MANAGER
from components.addons.cloudwatch_exporter import RELEASE as CLOUDWATCH_EXPORTER_RELEASE
from components.addons.cluster_autoscaler import METRICS_PORT as AUTOSCALER_METRICS
from components.addons.cluster_autoscaler import NAMESPACE as KUBE_SYSTEM
from components.addons.cluster_autoscaler import POD_LABELS as AUTOSCALER_PODS
from components.addons.eck_operator import NAMESPACE as ECK_OPERATOR
from components.addons.external_secrets import NAMESPACE as EXTERNAL_SECRETS
from components.addons.istio_base import NAMESPACE as ISTIO_SYSTEM
from components.addons.istio_istiod import POD_LABELS as ISTIOD_PODS
from components.addons.istio_istiod import WEBHOOK_PORT as ISTIOD_WEBHOOK
from components.addons.kong import NAMESPACE as KONG
from components.addons.kong import POD_LABELS as KONG_PODS
from components.addons.kube_prometheus_stack import PROMETHEUS_POD_LABELS
from components.addons.metrics_server import POD_LABELS as METRICS_SERVER_PODS
from components.addons.metrics_server import PORT as METRICS_SERVER
from components.addons.reloader import METRICS_PORT as RELOADER_METRICS
from components.addons.reloader import NAMESPACE as RELOADER
from components.cluster import EBS_CSI_CONTROLLER_PODS
from components.consoles import NAMESPACE as CONSOLES
from components.ingress import NGINX_NAMESPACE
from components.isolation import DNS, Allow, NamespaceIsolation, NamespaceIsolationArgs, NamespaceRules, Pods
from components.logging import NAMESPACE as LOGGING
from components.mesh import AMBIENT_TRAFFIC
from components.monitoring import NAMESPACE as MONITORING
from infra.config import DEFAULT_INTERFACE_ENDPOINTS, PlatformConfig
from stacks.mesh import enrolled_namespaces

NGINX_PODS = {"app.kubernetes.io/name": "nginx-ingress"}
PROMETHEUS = Pods(MONITORING, PROMETHEUS_POD_LABELS)
ALERTMANAGER_PODS = {"app.kubernetes.io/name": "alertmanager"}
# The CloudWatch exporter, by its release (the chart's standard instance label).
CLOUDWATCH_EXPORTER_PODS = {"app.kubernetes.io/instance": CLOUDWATCH_EXPORTER_RELEASE}
# Container ports (charts' defaults at the pinned versions).
KONG_PROXY = 8000  # the gateway's port
KONG_STATUS, KONG_CONTROLLER_METRICS, KONG_ADMISSION = 8100, 10255, 8080
NGINX_HTTP, NGINX_HTTPS, NGINX_METRICS = 80, 443, 9113
OAUTH2_PROXY, OAUTH2_PROXY_METRICS = 4180, 44180
GRAFANA, PROMETHEUS_PORT, ALERTMANAGER = 3000, 9090, 9093
WEBHOOK = 10250  # cert-manager's, External Secrets' and the Prometheus Operator's admission webhooks
CERT_MANAGER_METRICS, EXTERNAL_SECRETS_METRICS, ROLLOUTS_METRICS = 9402, 8080, 8090
KUBELET, NODE_EXPORTER = 10250, 9100
ECK_WEBHOOK, ELASTICSEARCH_HTTP = 9443, 9200
COREDNS_PODS = dict(DNS.labels)
DNS_PORT, COREDNS_METRICS = 53, 9153  # the EKS CoreDNS add-on's Corefile: `.:53`, `prometheus :9153`
UDP_TCP = ("UDP", "TCP")


# The AWS APIs each kube-system controller calls (interface endpoint suffixes).
AUTOSCALER_APIS = ("autoscaling", "ec2", "eks", "sts")
EBS_CSI_APIS = ("ec2", "sts")


def _aws_apis(who: str, pods: Mapping[str, str], apis: Sequence[str], endpoints: Sequence[str]) -> tuple[Allow, ...]:
    """Egress to the interface endpoints on 443, and to the internet on 443 only when one of ``apis`` has no
    endpoint in this network (``endpoints``)."""
    found: tuple[Allow, ...] = (Allow(f"{who}-to-aws-endpoints", "aws-endpoints", (443,), pods),)
    if set(apis) - set(endpoints):
        found += (Allow(f"{who}-to-aws-apis", "internet", (443,), pods),)
    return found


def namespace_rules(
    services_namespace: str, endpoints: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS
) -> dict[str, NamespaceRules]:
    """The table. ``services_namespace`` is where the gateway's upstreams live, ``endpoints`` the network's
    interface endpoints (from config)."""
    return {
        NGINX_NAMESPACE: NamespaceRules(
            ingress=(Allow("from-load-balancer", "load-balancer", (NGINX_HTTP, NGINX_HTTPS), NGINX_PODS),),
            egress=(
                Allow("to-gateway", Pods(KONG, KONG_PODS), (KONG_PROXY,), NGINX_PODS),
                Allow("to-console-logins", Pods(CONSOLES), (OAUTH2_PROXY,), NGINX_PODS),
            ),
            api_server=True,
            metrics_ports=(NGINX_METRICS,),
        ),
        KONG: NamespaceRules(
            # Nothing but the edge reaches Kong's proxy.
            ingress=(Allow("from-edge", Pods(NGINX_NAMESPACE, NGINX_PODS), (KONG_PROXY,), KONG_PODS),),
            egress=(Allow("to-services", Pods(services_namespace), (), KONG_PODS),),
            api_server=True,
            webhook_ports=(KONG_ADMISSION,),
            metrics_ports=(KONG_STATUS, KONG_CONTROLLER_METRICS),
        ),
        MONITORING: NamespaceRules(
            ingress=(
                Allow("from-console-logins", Pods(CONSOLES), (GRAFANA, PROMETHEUS_PORT, ALERTMANAGER)),
                Allow("from-rollouts-analysis", Pods(ROLLOUTS), (PROMETHEUS_PORT,), PROMETHEUS_POD_LABELS),
            ),
            egress=(
                Allow("to-scrape-targets", Pods(None), (), PROMETHEUS_POD_LABELS),
                Allow("to-nodes", "control-plane", (KUBELET, NODE_EXPORTER), PROMETHEUS_POD_LABELS),
                Allow("to-receivers", "internet", (443,), ALERTMANAGER_PODS),
                # CloudWatch and the tagging API have no interface endpoint here; STS has.
                Allow("exporter-to-aws-apis", "internet", (443,), CLOUDWATCH_EXPORTER_PODS),
                Allow("exporter-to-aws-endpoints", "aws-endpoints", (443,), CLOUDWATCH_EXPORTER_PODS),
            ),
            api_server=True,
            webhook_ports=(WEBHOOK,),
        ),
        CERT_MANAGER: NamespaceRules(
            egress=(
                Allow("to-acme-and-route53", "internet", (443,)),
                Allow("to-aws-endpoints", "aws-endpoints", (443,)),
            ),
            api_server=True,
            webhook_ports=(WEBHOOK,),
            metrics_ports=(CERT_MANAGER_METRICS,),
        ),
        EXTERNAL_SECRETS: NamespaceRules(
            egress=(
                Allow("to-secrets-manager", "internet", (443,)),
                Allow("to-aws-endpoints", "aws-endpoints", (443,)),
            ),
            api_server=True,
            webhook_ports=(WEBHOOK,),
            metrics_ports=(EXTERNAL_SECRETS_METRICS,),
        ),
        ROLLOUTS: NamespaceRules(
            egress=(Allow("to-prometheus", PROMETHEUS, (PROMETHEUS_PORT,)),),
            api_server=True,
            metrics_ports=(ROLLOUTS_METRICS,),
        ),
        # Elastic's operator manages the cluster in `logging` (which isolates itself, admitting the operator).
        ECK_OPERATOR: NamespaceRules(
            egress=(Allow("to-elasticsearch", Pods(LOGGING), (ELASTICSEARCH_HTTP,)),),
            api_server=True,
            webhook_ports=(ECK_WEBHOOK,),
        ),
        # The cluster's own namespace: EKS's add-ons and the platform's metrics-server and autoscaler. Its pods
        # run already when these land: the deny comes last. Every pod there is a controller of the API.
        KUBE_SYSTEM: NamespaceRules(
            ingress=(
                Allow("dns-from-pods", Pods(None), (DNS_PORT,), COREDNS_PODS, UDP_TCP),
                # host-network pods (ClusterFirstWithHostNet) of the other nodes ask from their node's address
                Allow("dns-from-nodes", "nodes", (DNS_PORT,), COREDNS_PODS, UDP_TCP),
                Allow("dns-metrics-from-scrapers", PROMETHEUS, (COREDNS_METRICS,), COREDNS_PODS),
                # the API server's aggregation layer, from the control plane's interfaces in the private subnets
                Allow("metrics-server-from-control-plane", "control-plane", (METRICS_SERVER,), METRICS_SERVER_PODS),
                Allow("metrics-server-from-scrapers", PROMETHEUS, (METRICS_SERVER,), METRICS_SERVER_PODS),
                Allow("autoscaler-from-scrapers", PROMETHEUS, (AUTOSCALER_METRICS,), AUTOSCALER_PODS),
            ),
            egress=(
                Allow("dns-to-vpc-resolver", "vpc-resolver", (DNS_PORT,), COREDNS_PODS, UDP_TCP),
                Allow("metrics-server-to-kubelets", "nodes", (KUBELET,), METRICS_SERVER_PODS),
                # AWS's APIs through their interface endpoints; the internet only for an API without one
                *_aws_apis("autoscaler", AUTOSCALER_PODS, AUTOSCALER_APIS, endpoints),
                *_aws_apis("ebs-csi", EBS_CSI_CONTROLLER_PODS, EBS_CSI_APIS, endpoints),
            ),
            same_namespace=False,
            api_server=True,
            deny_after_allows=True,
        ),
        CONSOLES: NamespaceRules(
            ingress=(Allow("from-edge", Pods(NGINX_NAMESPACE, NGINX_PODS), (OAUTH2_PROXY,)),),
            egress=(
                Allow("to-consoles", Pods(MONITORING), (GRAFANA, PROMETHEUS_PORT, ALERTMANAGER)),
                Allow("to-identity-provider", "internet", (443,)),
            ),
            metrics_ports=(OAUTH2_PROXY_METRICS,),
        ),
        # Reloader talks to the API server only (watch Secrets, restart Rollouts); only Prometheus reaches it.
        RELOADER: NamespaceRules(api_server=True, metrics_ports=(RELOADER_METRICS,)),
        # The mesh: istiod (control plane, CA, webhooks), ztunnel (reaches istiod on 15012: within the
        # namespace), the CNI agent (host network: outside any NetworkPolicy). Only the API server reaches in.
        ISTIO_SYSTEM: NamespaceRules(
            ingress=(Allow("istiod-from-control-plane", "control-plane", (ISTIOD_WEBHOOK,), ISTIOD_PODS),),
            api_server=True,
        ),
    }


def build_isolation(
    cfg: PlatformConfig,
    kubernetes_provider: k8s.Provider,
    public_cidrs: Sequence[str],
    private_cidrs: Sequence[str],
    namespaces_made_by: Mapping[str, pulumi.Resource | None],
) -> NamespaceIsolation:
    """Isolate each namespace of the table that this stack creates (``namespaces_made_by``: namespace ->
    the component that makes it, None when this stack does not), once it exists."""
    table = namespace_rules(cfg.datastores.namespace, cfg.network.interface_endpoints)
    present = {ns: rules for ns, rules in table.items() if namespaces_made_by.get(ns) is not None}
    made_by = [r for r in namespaces_made_by.values() if r is not None]
    # The control plane's network interfaces and the interface endpoints live in the private subnets,
    # the load balancer in the public ones.
    places = {
        "control-plane": [*private_cidrs, _first_address(cfg.cluster.service_cidr)],
        "aws-endpoints": list(private_cidrs),
        "load-balancer": list(public_cidrs),
        "nodes": list(private_cidrs),
        # Route 53 Resolver: the VPC's base address plus two, and its link-local address (both the same resolver)
        "vpc-resolver": [_resolver(cfg.network.cidr), "169.254.169.253/32"],
    }
    return NamespaceIsolation(
        "isolation",
        NamespaceIsolationArgs(
            kubernetes_provider=kubernetes_provider,
            rows=present,
            places=places,
            scrapers=PROMETHEUS,
            vpc_cidr=cfg.network.cidr,
            # each namespace's policies wait for what makes that namespace, not for every maker
            made_by={ns: maker for ns, maker in namespaces_made_by.items() if maker is not None and ns in present},
            meshed=frozenset(enrolled_namespaces(cfg)),  # HBONE between meshed pods, the probes' new source
            mesh=AMBIENT_TRAFFIC,
        ),
        opts=pulumi.ResourceOptions(depends_on=made_by),
    )


def _first_address(cidr: str) -> str:
    """The ``kubernetes`` Service's cluster IP: the first address of the service range."""
    return f"{next(ipaddress.IPv4Network(cidr).hosts())}/32"


def _resolver(vpc_cidr: str) -> str:
    """The VPC's Route 53 Resolver: the network's base address plus two."""
    return f"{ipaddress.IPv4Network(vpc_cidr).network_address + 2}/32"
