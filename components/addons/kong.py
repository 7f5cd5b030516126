"""Kong (Kong/charts, chart ``kong``): the API gateway, DB-less, with the Kong Ingress Controller and
its CRDs (``configuration.konghq.com``). The proxy listens on 8000 behind a ClusterIP Service; the admin
API has no Service; Kong Manager and the portal are off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import SMALL, AddOnArgs, ChartPin, HelmAddOn
from components.addons.nginx_ingress import zone_spread
from components.contracts import PeerPods

PIN = ChartPin(
    chart="kong",
    version="3.4.1",
    repository="https://charts.konghq.com",
    app_version="3.9",
    known_keys=frozenset(
        {
            "env.database",
            "env.nginx_worker_processes",
            "env.trusted_ips",
            "env.real_ip_header",
            "env.real_ip_recursive",
            "replicaCount",
            "podDisruptionBudget.enabled",
            "podDisruptionBudget.minAvailable",
            "topologySpreadConstraints",
            "resources.requests.cpu",
            "resources.requests.memory",
            "resources.limits.cpu",
            "resources.limits.memory",
            "proxy.enabled",
            "proxy.type",
            "proxy.nameOverride",
            "proxy.http.enabled",
            "proxy.http.servicePort",
            "proxy.http.containerPort",
            "proxy.tls.enabled",
            "admin.enabled",
            "admin.type",
            "admin.http.enabled",
            "manager.enabled",
            "portal.enabled",
            "portalapi.enabled",
            "status.enabled",
            "serviceMonitor.enabled",
            "serviceMonitor.trustCRDsExist",
            "ingressController.enabled",
            "ingressController.resources",
            "ingressController.image.tag",
            "image.tag",
            "ingressController.ingressClass",
            "ingressController.createIngressClass",
            "ingressController.watchNamespaces",
        }
    ),
    free_form=frozenset({"topologySpreadConstraints", "ingressController.resources"}),
)
# Images: the chart's defaults float on minor tags (kong:3.9, kong/kubernetes-ingress-controller:3.5), which
# move with every patch release. Pinned to the first patch release of those minors, which the floating tags
# were cut from: an exact, existing tag (raise them deliberately, with the chart).
KONG_IMAGE_TAG = "3.9.0"
INGRESS_CONTROLLER_IMAGE_TAG = "3.5.0"
NAMESPACE = "kong"
RELEASE = "kong"
# The chart labels its proxy pods with the chart's name.
POD_LABELS = {"app.kubernetes.io/name": "kong"}


@dataclass(frozen=True)
class KongSettings:
    release: str
    replicas: int
    min_available: int
    proxy_service: str
    proxy_port: int = 8000
    ingress_class: str = "kong"
    # Proxies whose X-Forwarded-For Kong believes (ALB and NGINX, inside the VPC): per-IP limits then count
    # the real client, not NGINX's pod address.
    trusted_cidrs: tuple[str, ...] = ()
    service_monitor: bool = False  # only once the Prometheus Operator's CRDs are in the cluster
    # Where its routes, plugins and consumers live (the services' namespace) besides its own: the chart then
    # grants namespaced Roles there only; empty: every namespace.
    watch_namespaces: tuple[pulumi.Input[str], ...] = ()

    def values(self) -> dict[str, Any]:
        env: dict[str, Any] = {"database": "off", "nginx_worker_processes": "2"}
        if self.trusted_cidrs:
            env.update(
                {
                    "trusted_ips": ",".join(self.trusted_cidrs),
                    "real_ip_header": "X-Forwarded-For",
                    "real_ip_recursive": "on",
                }
            )
        return {
            "image": {"tag": KONG_IMAGE_TAG},
            "env": env,
            "replicaCount": self.replicas,
            "podDisruptionBudget": (
                {"enabled": True, "minAvailable": self.min_available} if self.min_available > 0 else {"enabled": False}
            ),
            "topologySpreadConstraints": zone_spread({**POD_LABELS, "app.kubernetes.io/instance": self.release}),
            "resources": {
                "requests": {"cpu": "500m", "memory": "512Mi"},
                "limits": {"cpu": "2000m", "memory": "2Gi"},
            },
            # Reached only by NGINX inside the cluster: a ClusterIP Service on the proxy port itself.
            "proxy": {
                "enabled": True,
                "type": "ClusterIP",
                "nameOverride": self.proxy_service,
                "http": {"enabled": True, "servicePort": self.proxy_port, "containerPort": self.proxy_port},
                "tls": {"enabled": False},
            },
            # The admin API listens on localhost only (for the controller sidecar): no Service, no GUI.
            "admin": {"enabled": False, "type": "ClusterIP", "http": {"enabled": False}},
            "manager": {"enabled": False},
            "portal": {"enabled": False},
            "portalapi": {"enabled": False},
            "status": {"enabled": True},
            "ingressController": {
                "enabled": True,
                "ingressClass": self.ingress_class,
                "createIngressClass": True,
                **({"watchNamespaces": [NAMESPACE, *self.watch_namespaces]} if self.watch_namespaces else {}),
                "image": {"tag": INGRESS_CONTROLLER_IMAGE_TAG},
                "resources": SMALL,
            },
            # Scrapes Kong's status port (the global prometheus plugin's metrics) and the controller's.
            **({"serviceMonitor": {"enabled": True, "trustCRDsExist": True}} if self.service_monitor else {}),
        }


@dataclass(frozen=True)
class KongArgs(AddOnArgs):
    settings: KongSettings


class Kong(HelmAddOn):
    """Publishes the proxy pods (``pod_selector``) that services admit."""

    PIN = PIN
    CRD_GROUPS = frozenset({"configuration.konghq.com"})

    pod_selector: PeerPods

    def __init__(self, name: str, args: KongArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        namespace = self._namespace(f"{name}-ns", NAMESPACE, enforce="baseline")
        self._install(name, args.settings.release, args.settings.values(), depends_on=[namespace])
        self.pod_selector = PeerPods(namespace=self.namespace, pod_labels=POD_LABELS)
        self._publish()
