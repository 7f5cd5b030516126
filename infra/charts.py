"""Every Helm chart the platform installs: repository, pinned version, and its typed settings.

Helm ignores a values key the chart does not know, without a word, so a typo ships a default. Each
chart here therefore has:

- a :class:`ChartPin` (repository, chart, exact version);
- a settings class whose ``values()`` builds the only values the project passes to it;
- ``known_keys``: the dotted key paths the project sets, each read in the chart's ``values.yaml`` at
  the pinned version (tests check that ``values()`` sets nothing outside them, so a new key needs a
  new look at the chart first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s


@dataclass(frozen=True)
class ChartPin:
    chart: str
    version: str
    repository: str
    app_version: str
    # Dotted paths (below which a map's own keys are free-form) read in values.yaml at ``version``.
    known_keys: frozenset[str]
    # Keys whose value is a free-form map (annotations, extraArgs ...): their children are not checked.
    free_form: frozenset[str] = frozenset()


def helm_release(
    resource_name: str,
    pin: ChartPin,
    release: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    timeout: int = 600,
) -> k8s.helm.v3.Release:
    """A Helm release of a pinned chart, as the platform installs every chart: atomic (a failed install
    or upgrade rolls back), cleaned up on failure, with the values built by the chart's settings class."""
    return k8s.helm.v3.Release(
        resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=release,
            chart=pin.chart,
            version=pin.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
            namespace=namespace,
            values=dict(values),
            atomic=True,
            cleanup_on_fail=True,
            timeout=timeout,
        ),
        opts=opts,
    )


def leaf_paths(values: Mapping[str, Any], free_form: frozenset[str] = frozenset(), prefix: str = "") -> Iterator[str]:
    """Dotted paths of the leaves of a values mapping (free-form maps count as one leaf)."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and path not in free_form:
            yield from leaf_paths(value, free_form, f"{path}.")
        else:
            yield path


def unknown_keys(pin: ChartPin, values: Mapping[str, Any]) -> list[str]:
    """Keys in ``values`` that were not verified against the chart (should always be empty)."""
    return sorted(p for p in leaf_paths(values, pin.free_form) if p not in pin.known_keys)


# ---------------------------------------------------------------------------------------------
# cluster-autoscaler (kubernetes/autoscaler, cluster-autoscaler/charts/cluster-autoscaler)
# ---------------------------------------------------------------------------------------------
CLUSTER_AUTOSCALER = ChartPin(
    chart="cluster-autoscaler",
    version="9.59.0",
    repository="https://kubernetes.github.io/autoscaler",
    app_version="1.35.0",
    known_keys=frozenset(
        {
            "cloudProvider",
            "awsRegion",
            "autoDiscovery.clusterName",
            "rbac.serviceAccount.create",
            "rbac.serviceAccount.name",
            "rbac.serviceAccount.annotations",
            "image.tag",
            "replicaCount",
            "extraArgs",
            "resources.requests.cpu",
            "resources.requests.memory",
            "resources.limits.cpu",
            "resources.limits.memory",
            "podDisruptionBudget.maxUnavailable",
            "priorityClassName",
            "securityContext",
            "containerSecurityContext",
        }
    ),
    free_form=frozenset(
        {"rbac.serviceAccount.annotations", "extraArgs", "securityContext", "containerSecurityContext"}
    ),
)

# The autoscaler's minor must match the cluster's (its scheduler simulation is version-specific).
# Newest release of each line, from the autoscaler's release tags.
CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, str] = {
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}


@dataclass(frozen=True)
class ClusterAutoscalerSettings:
    cluster_name: str
    region: str
    kubernetes_version: str
    service_account: str
    role_arn: pulumi.Input[str]
    replicas: int = 1  # leader election makes a second replica idle; the PDB keeps one up

    def values(self) -> dict[str, Any]:
        try:
            tag = CLUSTER_AUTOSCALER_IMAGE_TAGS[self.kubernetes_version]
        except KeyError:
            raise ValueError(
                f"no cluster-autoscaler release is pinned for Kubernetes {self.kubernetes_version}"
            ) from None
        return {
            "cloudProvider": "aws",
            "awsRegion": self.region,
            "autoDiscovery": {"clusterName": self.cluster_name},
            "rbac": {
                "serviceAccount": {
                    "create": True,
                    "name": self.service_account,
                    "annotations": {"eks.amazonaws.com/role-arn": self.role_arn},
                }
            },
            "image": {"tag": tag},
            "replicaCount": self.replicas,
            "extraArgs": {
                "balance-similar-node-groups": True,
                "skip-nodes-with-system-pods": False,
                "expander": "least-waste",
            },
            "resources": {
                "requests": {"cpu": "100m", "memory": "300Mi"},
                "limits": {"cpu": "500m", "memory": "600Mi"},
            },
            "podDisruptionBudget": {"maxUnavailable": 1},
            "priorityClassName": "system-cluster-critical",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
        }


# ---------------------------------------------------------------------------------------------
# external-secrets (external-secrets/external-secrets, deploy/charts/external-secrets), see
# /work/research/charts.md section 5: keys read in values.yaml at tag helm-chart-2.9.0.
# ---------------------------------------------------------------------------------------------
EXTERNAL_SECRETS = ChartPin(
    chart="external-secrets",
    version="2.9.0",
    repository="https://charts.external-secrets.io",
    app_version="v2.9.0",
    known_keys=frozenset(
        {
            "installCRDs",
            "replicaCount",
            "serviceAccount.create",
            "serviceAccount.name",
            "serviceAccount.annotations",
            "resources.requests.cpu",
            "resources.requests.memory",
            "resources.limits.cpu",
            "resources.limits.memory",
            "webhook.create",
            "webhook.replicaCount",
            "certController.create",
            "certController.replicaCount",
        }
    ),
    free_form=frozenset({"serviceAccount.annotations"}),
)


@dataclass(frozen=True)
class ExternalSecretsSettings:
    """The External Secrets Operator: its controller's service account carries the IRSA role that
    may read exactly the platform's datastore secrets. CRDs come with the chart (``installCRDs``), so
    ``external-secrets.io/v1`` exists before the ClusterSecretStore is created."""

    service_account: str
    role_arn: pulumi.Input[str]
    replicas: int = 1  # one active controller; Kubernetes restarts it, secrets already synced stay

    def values(self) -> dict[str, Any]:
        return {
            "installCRDs": True,
            "replicaCount": self.replicas,
            "serviceAccount": {
                "create": True,
                "name": self.service_account,
                "annotations": {"eks.amazonaws.com/role-arn": self.role_arn},
            },
            "resources": {
                "requests": {"cpu": "50m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "512Mi"},
            },
            "webhook": {"create": True, "replicaCount": 1},
            "certController": {"create": True, "replicaCount": 1},
        }


# ---------------------------------------------------------------------------------------------
# NGINX Inc's nginx-ingress (nginx/kubernetes-ingress, charts/nginx-ingress @ v5.5.4). Not the
# community ingress-nginx: that one has no least-connections method and is out of maintenance.
# ---------------------------------------------------------------------------------------------
NGINX_INGRESS = ChartPin(
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
    free_form=frozenset({"controller.config.entries", "controller.topologySpreadConstraints"}),
)

# TLS 1.3 only towards clients of NGINX (nginx's ssl_protocols syntax).
NGINX_SSL_PROTOCOLS = "TLSv1.3"


def zone_spread(labels: dict[str, str], max_skew: int = 1) -> list[dict[str, Any]]:
    """Spread pods over availability zones (soft: a lost zone must not block scheduling) and hosts."""
    return [
        {
            "maxSkew": max_skew,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        },
        {
            "maxSkew": max_skew,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        },
    ]


@dataclass(frozen=True)
class NginxIngressSettings:
    """NGINX as the cluster's public ingress, reached by the ALB on fixed NodePorts."""

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

    def values(self) -> dict[str, Any]:
        return {
            "controller": {
                "kind": "deployment",
                "replicaCount": self.replicas,
                "ingressClass": {"name": self.ingress_class, "create": True},
                "config": {
                    # ConfigMap data: strings only.
                    "entries": {
                        "lb-method": "least_conn",
                        "ssl-protocols": NGINX_SSL_PROTOCOLS,
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


# ---------------------------------------------------------------------------------------------
# cert-manager (cert-manager/cert-manager, deploy/charts/cert-manager @ v1.21.1; strict schema)
# ---------------------------------------------------------------------------------------------
CERT_MANAGER = ChartPin(
    chart="cert-manager",
    version="v1.21.1",
    repository="https://charts.jetstack.io",
    app_version="v1.21.1",
    known_keys=frozenset(
        {
            "crds.enabled",
            "crds.keep",
            "replicaCount",
            "podDisruptionBudget.enabled",
            "podDisruptionBudget.minAvailable",
            "serviceAccount.create",
            "serviceAccount.name",
            "serviceAccount.annotations",
            "webhook.replicaCount",
            "webhook.podDisruptionBudget.enabled",
            "webhook.podDisruptionBudget.minAvailable",
            "cainjector.replicaCount",
            "prometheus.enabled",
            "dns01RecursiveNameserversOnly",
            "dns01RecursiveNameservers",
        }
    ),
    free_form=frozenset({"serviceAccount.annotations"}),
)


@dataclass(frozen=True)
class CertManagerSettings:
    service_account: str
    role_arn: pulumi.Input[str]
    replicas: int = 1

    def values(self) -> dict[str, Any]:
        ha = self.replicas > 1
        return {
            "crds": {"enabled": True, "keep": True},
            "replicaCount": self.replicas,
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1} if ha else {"enabled": False},
            "serviceAccount": {
                "create": True,
                "name": self.service_account,
                "annotations": {"eks.amazonaws.com/role-arn": self.role_arn},
            },
            "webhook": {
                "replicaCount": self.replicas,
                "podDisruptionBudget": {"enabled": True, "minAvailable": 1} if ha else {"enabled": False},
            },
            "cainjector": {"replicaCount": self.replicas},
            "prometheus": {"enabled": True},
            # DNS-01 self-checks ask public resolvers, not the VPC resolver (which may see a private zone).
            "dns01RecursiveNameserversOnly": True,
            "dns01RecursiveNameservers": "8.8.8.8:53,1.1.1.1:53",
        }


# ---------------------------------------------------------------------------------------------
# Kong (Kong/charts, charts/kong @ kong-3.4.1): DB-less, with the Kong Ingress Controller.
# ---------------------------------------------------------------------------------------------
KONG = ChartPin(
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
            "ingressController.ingressClass",
            "ingressController.createIngressClass",
        }
    ),
    free_form=frozenset({"topologySpreadConstraints"}),
)
# Images: the chart's own tags for its appVersion (kong:3.9, kong/kubernetes-ingress-controller:3.5); pin a
# patch release here once its image is confirmed in the registry.


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
            "env": env,
            "replicaCount": self.replicas,
            "podDisruptionBudget": (
                {"enabled": True, "minAvailable": self.min_available} if self.min_available > 0 else {"enabled": False}
            ),
            "topologySpreadConstraints": zone_spread(
                {"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": self.release}
            ),
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
            },
            # Scrapes Kong's status port (the global prometheus plugin's metrics) and the controller's.
            **({"serviceMonitor": {"enabled": True, "trustCRDsExist": True}} if self.service_monitor else {}),
        }


ALL_CHARTS: tuple[ChartPin, ...] = (CLUSTER_AUTOSCALER, EXTERNAL_SECRETS, NGINX_INGRESS, CERT_MANAGER, KONG)


# ---------------------------------------------------------------------------------------------
# Progressive delivery and metrics (issue 5): Argo Rollouts (blue-green), kube-prometheus-stack
# (Prometheus Operator, Prometheus for the rollout analysis, Grafana), metrics-server (HPA).
# Keys from /work/research/charts.md sections 6, 7, 8a (read in each chart's values.yaml at the tag).
# ---------------------------------------------------------------------------------------------
ARGO_ROLLOUTS = ChartPin(
    chart="argo-rollouts",
    version="2.41.0",
    repository="https://argoproj.github.io/argo-helm",
    app_version="v1.9.0",
    known_keys=frozenset(
        {
            "installCRDs",
            "keepCRDs",
            "controller.replicas",
            "controller.resources",
            "controller.metrics.enabled",
            "controller.metrics.serviceMonitor.enabled",
            "controller.pdb.enabled",
            "controller.pdb.minAvailable",
            "podSecurityContext",
            "containerSecurityContext",
            "dashboard.enabled",
        }
    ),
    free_form=frozenset({"controller.resources", "podSecurityContext", "containerSecurityContext"}),
)


@dataclass(frozen=True)
class ArgoRolloutsSettings:
    replicas: int = 2  # leader election: one works, one waits

    def values(self) -> dict[str, Any]:
        return {
            "installCRDs": True,
            "keepCRDs": True,  # uninstalling the controller must not delete every Rollout with its CRD
            "controller": {
                "replicas": self.replicas,
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
                "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}},
                "pdb": {"enabled": self.replicas > 1, "minAvailable": 1},
            },
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "dashboard": {"enabled": False},  # the dashboard has no authentication of its own
        }


KUBE_PROMETHEUS_STACK = ChartPin(
    chart="kube-prometheus-stack",
    version="88.5.3",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.93.1",
    known_keys=frozenset(
        {
            "crds.enabled",
            "prometheus.prometheusSpec.replicas",
            "prometheus.prometheusSpec.retention",
            "prometheus.prometheusSpec.retentionSize",
            "prometheus.prometheusSpec.resources",
            "prometheus.prometheusSpec.storageSpec",
            "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues",
            "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues",
            "prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues",
            "alertmanager.enabled",
            "grafana.enabled",
            "grafana.admin.existingSecret",
            "grafana.admin.userKey",
            "grafana.admin.passwordKey",
        }
    ),
    free_form=frozenset({"prometheus.prometheusSpec.resources", "prometheus.prometheusSpec.storageSpec"}),
)
# The chart's fullname is the release name when it contains the chart name (templates/_helpers.tpl),
# so Prometheus's Service is "<release>-prometheus" on the chart's default port 9090.
KUBE_PROMETHEUS_STACK_RELEASE = "kube-prometheus-stack"
PROMETHEUS_SERVICE = f"{KUBE_PROMETHEUS_STACK_RELEASE}-prometheus"
PROMETHEUS_PORT = 9090


@dataclass(frozen=True)
class KubePrometheusStackSettings:
    grafana_admin_secret: str  # an existing Secret with keys admin-user / admin-password (never a value here)
    storage_class: pulumi.Input[str]
    replicas: int = 1
    retention_days: int = 15
    storage_gib: int = 50

    def values(self) -> dict[str, Any]:
        return {
            "crds": {"enabled": True},
            "prometheus": {
                "prometheusSpec": {
                    "replicas": self.replicas,
                    "retention": f"{self.retention_days}d",
                    # Leave 10% of the volume free: Prometheus drops old blocks before the disk fills.
                    "retentionSize": f"{int(self.storage_gib * 0.9)}GiB",
                    "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
                    "storageSpec": {
                        "volumeClaimTemplate": {
                            "spec": {
                                "storageClassName": self.storage_class,
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": f"{self.storage_gib}Gi"}},
                            }
                        }
                    },
                    # Select every ServiceMonitor / PodMonitor / rule of the cluster, not only this release's.
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                }
            },
            "alertmanager": {"enabled": True},
            "grafana": {
                "enabled": True,
                "admin": {
                    "existingSecret": self.grafana_admin_secret,
                    "userKey": "admin-user",
                    "passwordKey": "admin-password",
                },
            },
        }


METRICS_SERVER = ChartPin(
    chart="metrics-server",
    version="3.13.1",
    repository="https://kubernetes-sigs.github.io/metrics-server/",
    app_version="0.8.1",
    known_keys=frozenset(
        {
            "replicas",
            "podDisruptionBudget.enabled",
            "podDisruptionBudget.minAvailable",
            "metrics.enabled",
            "serviceMonitor.enabled",
            "resources",
        }
    ),
    free_form=frozenset({"resources"}),
)


@dataclass(frozen=True)
class MetricsServerSettings:
    replicas: int = 2

    def values(self) -> dict[str, Any]:
        return {
            "replicas": self.replicas,
            "podDisruptionBudget": {"enabled": self.replicas > 1, "minAvailable": 1},
            "metrics": {"enabled": True},
            "serviceMonitor": {"enabled": True},
            "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}},
        }


ALL_CHARTS = (*ALL_CHARTS, ARGO_ROLLOUTS, KUBE_PROMETHEUS_STACK, METRICS_SERVER)
