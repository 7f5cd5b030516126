"""Metrics for the platform: the Prometheus Operator stack and the metrics-server.

- ``kube-prometheus-stack`` (pinned in ``infra/charts.py``) in the ``monitoring`` namespace: the
  Prometheus Operator (acts on the services' ServiceMonitors), Prometheus on an encrypted gp3 volume
  (the rollouts' analyses query it), Alertmanager, Grafana. Prometheus selects every ServiceMonitor of
  the cluster, not only its own release's.
- Grafana's admin password is generated in the cluster by the External Secrets Operator (a ``Password``
  generator and an ``ExternalSecret`` that renders it, with the user name, into the Secret
  ``grafana-admin``, once): it never passes through Pulumi, its state or the plan. The chart reads that
  Secret through ``grafana.admin.existingSecret``; its values carry the Secret's *name* only.
- ``metrics-server`` in ``kube-system``: the resource metrics API that HorizontalPodAutoscalers use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.charts import (
    KUBE_PROMETHEUS_STACK,
    KUBE_PROMETHEUS_STACK_RELEASE,
    METRICS_SERVER,
    PROMETHEUS_PORT,
    PROMETHEUS_SERVICE,
    ChartPin,
    KubePrometheusStackSettings,
    MetricsServerSettings,
    helm_release,
)

GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
ESO_API = "external-secrets.io/v1"
GENERATORS_API = "generators.external-secrets.io/v1alpha1"


@dataclass(frozen=True)
class MonitoringArgs:
    kubernetes_provider: k8s.Provider
    storage_class: pulumi.Input[str]
    namespace: str = "monitoring"
    prometheus_replicas: int = 1
    retention_days: int = 15
    storage_gib: int = 50
    metrics_server_replicas: int = 2
    secrets_operator: Sequence[pulumi.Resource] = ()  # the External Secrets Operator (its CRDs)

    def __post_init__(self) -> None:
        if not 1 <= self.prometheus_replicas <= 5:
            raise ValueError("prometheus_replicas must be 1 to 5")
        if self.storage_gib < 10:
            raise ValueError("Prometheus needs at least 10 GiB")


def _release(
    name: str, pin: ChartPin, release: str, namespace: pulumi.Input[str], values: dict, opts: pulumi.ResourceOptions
) -> k8s.helm.v3.Release:
    return helm_release(name, pin, release, namespace, values, opts, timeout=900)


class Monitoring(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    prometheus_address: pulumi.Output[str]
    prometheus_release: k8s.helm.v3.Release
    metrics_server_release: k8s.helm.v3.Release

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:monitoring:Monitoring", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)

        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels={
                    # node-exporter reads the host (hostNetwork, hostPID): only this namespace may.
                    "pod-security.kubernetes.io/enforce": "privileged",
                    "pod-security.kubernetes.io/warn": "baseline",
                    "pod-security.kubernetes.io/audit": "baseline",
                },
            ),
            opts=on_cluster,
        )
        generator = k8s.apiextensions.CustomResource(
            f"{name}-grafana-password",
            api_version=GENERATORS_API,
            kind="Password",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=namespace.metadata.name),
            spec={"length": 32, "digits": 8, "symbols": 0, "noUpper": False, "allowRepeat": True},
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.kubernetes_provider, depends_on=list(args.secrets_operator)
            ),
        )
        admin = k8s.apiextensions.CustomResource(
            f"{name}-grafana-admin",
            api_version=ESO_API,
            kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=namespace.metadata.name),
            spec={
                "refreshPolicy": "CreatedOnce",  # generated once; a refresh would change the password
                "target": {
                    "name": GRAFANA_ADMIN_SECRET,
                    "creationPolicy": "Owner",
                    "template": {
                        "engineVersion": "v2",
                        "data": {"admin-user": GRAFANA_ADMIN_USER, "admin-password": "{{ .password }}"},
                    },
                },
                "dataFrom": [
                    {
                        "sourceRef": {
                            "generatorRef": {
                                "apiVersion": GENERATORS_API,
                                "kind": "Password",
                                "name": GRAFANA_ADMIN_SECRET,
                            }
                        }
                    }
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[generator]),
        )
        settings = KubePrometheusStackSettings(
            grafana_admin_secret=GRAFANA_ADMIN_SECRET,
            storage_class=args.storage_class,
            replicas=args.prometheus_replicas,
            retention_days=args.retention_days,
            storage_gib=args.storage_gib,
        )
        stack = _release(
            f"{name}-kube-prometheus-stack",
            KUBE_PROMETHEUS_STACK,
            KUBE_PROMETHEUS_STACK_RELEASE,
            namespace.metadata.name,
            settings.values(),
            pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[admin]),
        )
        metrics_server = _release(
            f"{name}-metrics-server",
            METRICS_SERVER,
            "metrics-server",
            "kube-system",
            MetricsServerSettings(replicas=args.metrics_server_replicas).values(),
            # Its ServiceMonitor needs the Prometheus Operator's CRDs.
            pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[stack]),
        )

        self.namespace = namespace.metadata.name
        self.prometheus_address = stack.namespace.apply(
            lambda ns: f"http://{PROMETHEUS_SERVICE}.{ns}.svc.cluster.local:{PROMETHEUS_PORT}"
        )
        self.prometheus_release = stack
        self.metrics_server_release = metrics_server
        self.register_outputs({"namespace": self.namespace, "prometheus_address": self.prometheus_address})
