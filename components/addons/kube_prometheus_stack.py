"""kube-prometheus-stack (prometheus-community, chart ``kube-prometheus-stack``): the Prometheus
Operator (its CRDs: ServiceMonitor, PodMonitor, PrometheusRule ...), Prometheus on an encrypted volume,
Alertmanager and Grafana. Prometheus selects every ServiceMonitor of the cluster, not only this
release's. Grafana's admin credentials come from an existing Secret, by name only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn
from components.contracts import PeerPods

PIN = ChartPin(
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
# so Prometheus's Service is "<release>-prometheus" on the chart's default port 9090, and its pods
# carry the operator's label app.kubernetes.io/name: prometheus.
RELEASE = "kube-prometheus-stack"
PROMETHEUS_SERVICE = f"{RELEASE}-prometheus"
PROMETHEUS_PORT = 9090
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}


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


@dataclass(frozen=True)
class KubePrometheusStackArgs(AddOnArgs):
    namespace: pulumi.Input[str]  # made by its owner (the monitoring component)
    settings: KubePrometheusStackSettings


class KubePrometheusStack(HelmAddOn):
    """Publishes Prometheus's address and the pods that scrape (for NetworkPolicies)."""

    PIN = PIN

    prometheus_address: pulumi.Output[str]
    scrapers: PeerPods

    def __init__(self, name: str, args: KubePrometheusStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        release = self._install(name, RELEASE, args.settings.values(), timeout=900)
        self.prometheus_address = release.namespace.apply(
            lambda ns: f"http://{PROMETHEUS_SERVICE}.{ns}.svc.cluster.local:{PROMETHEUS_PORT}"
        )
        self.scrapers = PeerPods(namespace=self.namespace, pod_labels=PROMETHEUS_POD_LABELS)
        self._publish(prometheus_address=self.prometheus_address)
