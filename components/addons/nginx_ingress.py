"""NGINX Inc's nginx-ingress (nginx/kubernetes-ingress, chart ``nginx-ingress``): the cluster's public
ingress, reached by the ALB on fixed NodePorts, balancing by least connections and accepting TLS 1.3
only. Not the community ingress-nginx: that one has no least-connections method and is out of
maintenance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import JOB, AddOnArgs, ChartPin, HelmAddOn

PIN = ChartPin(
    chart="nginx-ingress",
    version="2.6.4",
    repository="https://helm.nginx.com/stable",
    app_version="5.5.4",
    known_keys=frozenset(
        {
            "controller.kind",
            "controller.replicaCount",
            "controller.ingressClass.name",
            "controller.ingressClass.create",
            "controller.watchNamespace",
            "controller.watchSecretNamespace",
            "controller.config.entries",
            "controller.defaultTLS.secret",
            "controller.wildcardTLS.secret",
            "controller.healthStatus",
            "controller.healthStatusURI",
            "controller.enableLatencyMetrics",
            "controller.readOnlyRootFilesystem",
            "controller.podDisruptionBudget.enabled",
            "controller.podDisruptionBudget.minAvailable",
            "controller.topologySpreadConstraints",
            "controller.priorityClassName",
            "controller.telemetryReporting.enable",
            "controller.initContainerResources",
            "controller.resources.requests.cpu",
            "controller.resources.requests.memory",
            "controller.resources.limits.cpu",
            "controller.resources.limits.memory",
            "controller.service.type",
            "controller.service.externalTrafficPolicy",
            "controller.service.httpPort.nodePort",
            "controller.service.httpsPort.nodePort",
            "prometheus.create",
            "prometheus.port",
            "prometheus.service.create",
            "prometheus.serviceMonitor.create",
        }
    ),
    free_form=frozenset(
        {"controller.config.entries", "controller.topologySpreadConstraints", "controller.initContainerResources"}
    ),
)
RELEASE = "nginx-ingress"
# TLS 1.3 only towards clients of NGINX (nginx's ssl_protocols syntax).
SSL_PROTOCOLS = "TLSv1.3"


def zone_spread(labels: dict[str, str], max_skew: int = 1) -> list[dict[str, Any]]:
    """Spread pods over availability zones (soft: a lost zone must not block scheduling) and hosts."""
    return [
        {
            "maxSkew": max_skew,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]


@dataclass(frozen=True)
class NginxIngressSettings:
    release: str
    replicas: int
    min_available: int
    default_tls_secret: str  # "<namespace>/<name>": presented to the ALB (which sends no SNI)
    http_node_port: int
    https_node_port: int
    hsts_max_age_seconds: int
    ingress_class: str = "nginx"
    metrics_port: int = 9113
    service_monitor: bool = False  # only once the Prometheus Operator's CRDs are in the cluster
    # The namespaces whose Ingresses (and their Secrets) it serves, its own (the default certificate)
    # included; empty: every namespace. An internet-facing pod then watches no other namespace's Secrets.
    watch_namespaces: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        watched = ",".join(sorted(set(self.watch_namespaces)))
        return {
            "controller": {
                **({"watchNamespace": watched, "watchSecretNamespace": watched} if watched else {}),
                "kind": "deployment",
                "replicaCount": self.replicas,
                "ingressClass": {"name": self.ingress_class, "create": True},
                "config": {
                    # ConfigMap data: strings only.
                    "entries": {
                        "lb-method": "least_conn",
                        "ssl-protocols": SSL_PROTOCOLS,
                        "ssl-redirect": "true",
                        "redirect-to-https": "false",
                        "http-redirect-code": "301",
                        "hsts": "true",
                        "hsts-max-age": str(self.hsts_max_age_seconds),
                        "hsts-include-subdomains": "true",
                        "hsts-behind-proxy": "false",
                        "server-tokens": "false",
                    }
                },
                "defaultTLS": {"secret": self.default_tls_secret},
                "wildcardTLS": {"secret": self.default_tls_secret},
                "healthStatus": True,
                "healthStatusURI": "/nginx-health",
                "enableLatencyMetrics": True,
                "readOnlyRootFilesystem": True,
                "podDisruptionBudget": (
                    {"enabled": True, "minAvailable": self.min_available}
                    if self.min_available > 0
                    else {"enabled": False}
                ),
                "topologySpreadConstraints": zone_spread(
                    {"app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": self.release}
                ),
                "priorityClassName": "system-cluster-critical",
                # The controller reports usage data to the vendor unless told not to.
                "telemetryReporting": {"enable": False},
                "initContainerResources": JOB,
                "resources": {
                    "requests": {"cpu": "500m", "memory": "512Mi"},
                    "limits": {"cpu": "2000m", "memory": "2Gi"},
                },
                "service": {
                    "type": "NodePort",
                    "externalTrafficPolicy": "Local",
                    "httpPort": {"nodePort": self.http_node_port},
                    "httpsPort": {"nodePort": self.https_node_port},
                },
            },
            "prometheus": {
                "create": True,
                "port": self.metrics_port,
                "service": {"create": True},
                **({"serviceMonitor": {"create": True}} if self.service_monitor else {}),
            },
        }


@dataclass(frozen=True)
class NginxIngressArgs(AddOnArgs):
    namespace: pulumi.Input[str]  # made by its owner (the ingress component, with the TLS certificate)
    settings: NginxIngressSettings


class NginxIngress(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: NginxIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        self._install(name, args.settings.release, args.settings.values(), timeout=900)
        self._publish()
