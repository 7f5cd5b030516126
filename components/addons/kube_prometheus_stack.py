"""kube-prometheus-stack (prometheus-community, chart ``kube-prometheus-stack``): the Prometheus
Operator (acting on ServiceMonitor, PodMonitor, PrometheusRule ..., whose CRDs the release
``prometheus-operator-crds`` brings first: ``crds.enabled: false`` here), Prometheus on an encrypted volume,
Alertmanager and Grafana. Prometheus selects every ServiceMonitor of the cluster, not only this
release's. Alertmanager (replicas, a volume each) merges the AlertmanagerConfig objects labelled
``ALERTMANAGER_CONFIG_LABELS``, matching alerts of every namespace. Grafana keeps its database on a
volume, has Prometheus as its explicit default datasource and loads dashboards from ConfigMaps
labelled ``grafana_dashboard: "1"`` in its own namespace, each filed in the folder its ``grafana_folder``
annotation names (published as a ``DashboardSink``); its sidecar reads ConfigMaps and Secrets of that
namespace only (a Role, not the chart's default ClusterRole over every Secret of the cluster: Grafana is
reachable through the consoles' login). Grafana's admin credentials come from an existing Secret, by name
only. Keys read in the chart's ``values.yaml`` at 88.5.3 and the grafana subchart's at 12.11.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import JOB, SMALL, AddOnArgs, ChartPin, HelmAddOn, resources
from components.contracts import DashboardSink, PeerPods, WebConsole

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
            "alertmanager.alertmanagerSpec.replicas",
            "alertmanager.alertmanagerSpec.storage",
            "alertmanager.alertmanagerSpec.resources",
            "alertmanager.alertmanagerSpec.podAntiAffinity",
            "alertmanager.alertmanagerSpec.alertmanagerConfigSelector",
            "alertmanager.alertmanagerSpec.alertmanagerConfigMatcherStrategy",
            "grafana.enabled",
            "prometheusOperator.resources",
            "prometheusOperator.prometheusConfigReloader.resources",
            "prometheusOperator.admissionWebhooks.patch.resources",
            "kube-state-metrics.resources",
            "prometheus-node-exporter.resources",
            "prometheus-node-exporter.containerSecurityContext",
            "grafana.resources",
            "grafana.initChownData.resources",
            "grafana.sidecar.resources",
            # The grafana subchart (grafana-community/helm-charts, grafana 12.11.1, as Chart.yaml pins).
            "grafana.persistence.enabled",
            "grafana.persistence.type",
            "grafana.persistence.storageClassName",
            "grafana.persistence.accessModes",
            "grafana.persistence.size",
            "grafana.deploymentStrategy.type",
            "grafana.sidecar.dashboards.enabled",
            "grafana.sidecar.dashboards.label",
            "grafana.sidecar.dashboards.labelValue",
            "grafana.rbac.namespaced",
            "grafana.sidecar.dashboards.folderAnnotation",
            "grafana.sidecar.dashboards.provider.foldersFromFilesStructure",
            "grafana.sidecar.datasources.enabled",
            "grafana.sidecar.datasources.defaultDatasourceEnabled",
            "grafana.sidecar.datasources.isDefaultDatasource",
            "grafana.sidecar.datasources.name",
            "grafana.sidecar.datasources.uid",
            "grafana.admin.existingSecret",
            "grafana.admin.userKey",
            "grafana.admin.passwordKey",
        }
    ),
    free_form=frozenset(
        {
            "prometheus.prometheusSpec.resources",
            "prometheus.prometheusSpec.storageSpec",
            "prometheusOperator.resources",
            "prometheusOperator.prometheusConfigReloader.resources",
            "prometheusOperator.admissionWebhooks.patch.resources",
            "kube-state-metrics.resources",
            "prometheus-node-exporter.resources",
            "prometheus-node-exporter.containerSecurityContext",
            "grafana.resources",
            "grafana.initChownData.resources",
            "grafana.sidecar.resources",
            "alertmanager.alertmanagerSpec.storage",
            "alertmanager.alertmanagerSpec.resources",
            "alertmanager.alertmanagerSpec.alertmanagerConfigSelector",  # a label selector
            "alertmanager.alertmanagerSpec.alertmanagerConfigMatcherStrategy",  # the operator's {type: ...}
        }
    ),
)
# The chart's fullname is the release name when it contains the chart name (templates/_helpers.tpl),
# so Prometheus's Service is "<release>-prometheus" on the chart's default port 9090, and its pods
# carry the operator's label app.kubernetes.io/name: prometheus.
RELEASE = "kube-prometheus-stack"
PROMETHEUS_SERVICE = f"{RELEASE}-prometheus"
PROMETHEUS_PORT = 9090
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}
# The UIs' Services (ClusterIP, the charts' defaults): "<release>-alertmanager" on 9093, and the grafana
# subchart's "<release>-grafana" (its fullname: the release name plus "grafana") on port 80.
ALERTMANAGER_SERVICE = f"{RELEASE}-alertmanager"
ALERTMANAGER_PORT = 9093
GRAFANA_SERVICE = f"{RELEASE}-grafana"
GRAFANA_PORT = 80
# Alertmanager merges the AlertmanagerConfig objects of its namespace that carry this label.
ALERTMANAGER_CONFIG_LABELS = {"platform.example.com/alertmanager-config": "platform"}
# Grafana's sidecar loads dashboards from ConfigMaps of its namespace labelled grafana_dashboard: "1".
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARD_LABEL_VALUE = "1"
# The sidecar files a ConfigMap's dashboards in the folder its annotation names (Grafana makes the
# folder from the sidecar's sub-directory: provider.foldersFromFilesStructure).
DASHBOARD_FOLDER_ANNOTATION = "grafana_folder"
DATASOURCE_UID = "prometheus"


@dataclass(frozen=True)
class KubePrometheusStackSettings:
    grafana_admin_secret: str  # an existing Secret with keys admin-user / admin-password (never a value here)
    storage_class: pulumi.Input[str]
    replicas: int = 1
    retention_days: int = 15
    storage_gib: int = 50
    alertmanager_replicas: int = 1
    alertmanager_storage_gib: int = 10
    grafana_storage_gib: int = 10

    def _claim(self, gib: int) -> dict[str, Any]:
        return {
            "storageClassName": self.storage_class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{gib}Gi"}},
        }

    def values(self) -> dict[str, Any]:
        return {
            # The CRDs are a release of their own (prometheus_operator_crds), installed first.
            "crds": {"enabled": False},
            "prometheus": {
                "prometheusSpec": {
                    "replicas": self.replicas,
                    "retention": f"{self.retention_days}d",
                    # Leave 10% of the volume free: Prometheus drops old blocks before the disk fills.
                    "retentionSize": f"{int(self.storage_gib * 0.9)}GiB",
                    "resources": resources("500m", "2Gi", "2000m", "4Gi"),
                    "storageSpec": {"volumeClaimTemplate": {"spec": self._claim(self.storage_gib)}},
                    # Select every ServiceMonitor / PodMonitor / rule of the cluster, not only this release's.
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                }
            },
            "alertmanager": {
                "enabled": True,
                "alertmanagerSpec": {
                    # The replicas gossip and deduplicate notifications; "hard" keeps them on two nodes.
                    "replicas": self.alertmanager_replicas,
                    "podAntiAffinity": "hard" if self.alertmanager_replicas > 1 else "soft",
                    # Silences and the notification log survive a restart.
                    "storage": {"volumeClaimTemplate": {"spec": self._claim(self.alertmanager_storage_gib)}},
                    "resources": resources("50m", "128Mi", "500m", "256Mi"),
                    "alertmanagerConfigSelector": {"matchLabels": dict(ALERTMANAGER_CONFIG_LABELS)},
                    # Routes match alerts of every namespace, not only the AlertmanagerConfig's own.
                    "alertmanagerConfigMatcherStrategy": {"type": "None"},
                },
            },
            "prometheusOperator": {
                "resources": SMALL,
                "prometheusConfigReloader": {"resources": resources("10m", "32Mi", "200m", "64Mi")},
                "admissionWebhooks": {"patch": {"resources": JOB}},
            },
            "kube-state-metrics": {"resources": resources("50m", "128Mi", "500m", "512Mi")},
            "prometheus-node-exporter": {
                "resources": resources("20m", "32Mi", "250m", "128Mi"),
                # The host's namespaces it needs (excepted in tools/render/exceptions.py); nothing more.
                "containerSecurityContext": {
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
            },
            "grafana": {
                "enabled": True,
                "resources": resources("100m", "256Mi", "1000m", "1Gi"),
                "initChownData": {"resources": JOB},
                "persistence": {
                    "enabled": True,
                    "type": "pvc",
                    "storageClassName": self.storage_class,
                    "accessModes": ["ReadWriteOnce"],
                    "size": f"{self.grafana_storage_gib}Gi",
                },
                # A ReadWriteOnce volume attaches to one node: a rolling update's new pod elsewhere would
                # wait for it forever (Multi-Attach), so the old pod goes first.
                "deploymentStrategy": {"type": "Recreate"},
                # A Role in its namespace for the sidecars (ConfigMaps and Secrets there), no ClusterRole; with
                # no searchNamespace the sidecars watch that namespace only, where the dashboards live.
                "rbac": {"namespaced": True},
                "sidecar": {
                    "resources": resources("20m", "64Mi", "200m", "256Mi"),
                    "dashboards": {
                        "enabled": True,
                        "label": DASHBOARD_LABEL,
                        "labelValue": DASHBOARD_LABEL_VALUE,
                        "folderAnnotation": DASHBOARD_FOLDER_ANNOTATION,
                        "provider": {"foldersFromFilesStructure": True},
                    },
                    # Prometheus as the explicit default datasource (the chart's sidecar provisions it).
                    "datasources": {
                        "enabled": True,
                        "defaultDatasourceEnabled": True,
                        "isDefaultDatasource": True,
                        "name": "Prometheus",
                        "uid": DATASOURCE_UID,
                    },
                },
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
    consoles: tuple[WebConsole, ...]
    dashboards: DashboardSink

    def __init__(self, name: str, args: KubePrometheusStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        release = self._install(name, RELEASE, args.settings.values(), timeout=900)
        self.prometheus_address = release.namespace.apply(
            lambda ns: f"http://{PROMETHEUS_SERVICE}.{ns}.svc.cluster.local:{PROMETHEUS_PORT}"
        )
        self.scrapers = PeerPods(namespace=self.namespace, pod_labels=PROMETHEUS_POD_LABELS)
        # The web UIs, for whoever publishes them (through the release: they exist once it is installed).
        installed_in = release.namespace.apply(lambda ns: ns or "")
        self.consoles = (
            WebConsole("grafana", installed_in, GRAFANA_SERVICE, GRAFANA_PORT),
            WebConsole("prometheus", installed_in, PROMETHEUS_SERVICE, PROMETHEUS_PORT),
            WebConsole("alertmanager", installed_in, ALERTMANAGER_SERVICE, ALERTMANAGER_PORT),
        )
        # Where dashboards go: ConfigMaps in the release's namespace (the sidecar searches every namespace).
        self.dashboards = DashboardSink(
            namespace=installed_in,
            label=DASHBOARD_LABEL,
            label_value=DASHBOARD_LABEL_VALUE,
            folder_annotation=DASHBOARD_FOLDER_ANNOTATION,
            datasource_uid=DATASOURCE_UID,
        )
        self._publish(prometheus_address=self.prometheus_address)
