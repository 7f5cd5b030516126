"""Metrics for the platform: the Prometheus Operator stack, in its own namespace.

- the add-on ``kube-prometheus-stack`` (``components/addons/kube_prometheus_stack.py``) in the
  ``monitoring`` namespace: the Prometheus Operator (acts on the ServiceMonitors), Prometheus on an
  encrypted gp3 volume (the rollouts' analyses query it), Alertmanager, Grafana;
- Grafana's admin password, generated in the cluster by the External Secrets Operator (a ``Password``
  generator and an ``ExternalSecret`` that renders it, with the user name, into the Secret
  ``grafana-admin``, once): it never passes through Pulumi, its state or the plan. The chart reads that
  Secret through ``grafana.admin.existingSecret``; its values carry the Secret's *name* only. The
  generator needs the operator's CRDs: give the operator's release in ``opts.depends_on``;
- where alerts go (``spec.alerting``): an ``ExternalSecret`` pulls each receiver's Secrets Manager
  secret (a webhook URL, a routing key, an SMTP password) through the platform's ``ClusterSecretStore``
  into the Secret ``alertmanager-receivers`` (one key per receiver), and an ``AlertmanagerConfig``
  (``monitoring.coreos.com/v1alpha1``) names the receivers and routes, referencing that Secret by
  name and key. Without receivers neither is made: alerts stay visible in Alertmanager only. The store
  must admit this namespace (its ``conditions``) and exist first: give it in ``opts.depends_on``.

Published for the others: Prometheus's address, the pods that scrape (``scrapers``), the release
of the Prometheus Operator (``prometheus_release``), the release of its CRDs given in
``operator_crds`` (``crds_release``: what a ServiceMonitor or PrometheusRule waits for), the web UIs
(``consoles``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.kube_prometheus_stack import (
    ALERTMANAGER_CONFIG_LABELS,
    KubePrometheusStack,
    KubePrometheusStackArgs,
    KubePrometheusStackSettings,
)
from components.contracts import DashboardSink, PeerPods, WebConsole
from components.parts import (
    GENERATORS_API,
    crds_for,
    depends_on_of,
    external_secret,
    from_generator,
    from_store,
    generated_password,
    namespace,
)
from infra.config.monitoring import AlertingConfig, MonitoringConfig, ReceiverConfig

NAMESPACE = "monitoring"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
MONITORING_API = "monitoring.coreos.com/v1alpha1"
RECEIVERS_SECRET = "alertmanager-receivers"
ALERTMANAGER_CONFIG = "platform"
# The receiver every alert reaches when no route matches: no integrations, visible in Alertmanager only.
UNROUTED = "unrouted"


def receiver_secret_data(alerting: AlertingConfig) -> list[dict[str, Any]]:
    """The ExternalSecret's ``data``: each receiver's Secrets Manager secret (its whole string value)
    under the receiver's name as the key of the Secret ``alertmanager-receivers``."""
    return [
        {"secretKey": name, "remoteRef": {"key": receiver.secret_name}}
        for name, receiver in sorted(alerting.receivers.items())
    ]


def _integration(name: str, receiver: ReceiverConfig) -> dict[str, Any]:
    ref = {"name": RECEIVERS_SECRET, "key": name}
    if receiver.kind == "slack":
        return {"slackConfigs": [{"apiURL": ref, "channel": receiver.channel, "sendResolved": receiver.send_resolved}]}
    if receiver.kind == "pagerduty":
        return {"pagerdutyConfigs": [{"routingKey": ref, "sendResolved": receiver.send_resolved}]}
    return {
        "emailConfigs": [
            {
                "to": receiver.to,
                "from": receiver.from_,
                "smarthost": receiver.smarthost,
                "authUsername": receiver.username,
                "authPassword": ref,
                "sendResolved": receiver.send_resolved,
            }
        ]
    }


def alertmanager_config_spec(alerting: AlertingConfig) -> dict[str, Any]:
    """The AlertmanagerConfig's spec: the receivers (secrets by reference only) and the routes, in order."""
    receivers = [{"name": UNROUTED}] + [
        {"name": name, **_integration(name, receiver)} for name, receiver in sorted(alerting.receivers.items())
    ]
    routes = [
        {
            "receiver": route.receiver,
            "matchers": [{"name": k, "value": v, "matchType": "="} for k, v in sorted(route.matchers.items())],
            "continue": route.continue_,
        }
        for route in alerting.routes
    ]
    return {
        "route": {
            "receiver": UNROUTED,
            "groupBy": ["alertname", "namespace"],
            "groupWait": "30s",
            "groupInterval": "5m",
            "repeatInterval": "4h",
            "routes": routes,
        },
        "receivers": receivers,
    }


@dataclass(frozen=True)
class MonitoringArgs:
    spec: MonitoringConfig
    kubernetes_provider: k8s.Provider
    storage_class: pulumi.Input[str]
    secret_store: pulumi.Input[str]  # the ClusterSecretStore (Secrets Manager) that admits this namespace
    # The Prometheus Operator's CRDs (their own release, installed before anything that uses them).
    operator_crds: pulumi.Resource
    # Labels of the namespace besides its Pod Security level (the mesh's enrolment).
    namespace_labels: Mapping[str, str] = field(default_factory=dict)


class Monitoring(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    prometheus_address: pulumi.Output[str]
    prometheus_release: k8s.helm.v3.Release
    crds_release: pulumi.Resource  # what a ServiceMonitor or PrometheusRule waits for
    scrapers: PeerPods
    consoles: tuple[WebConsole, ...]  # Grafana, Prometheus, Alertmanager
    dashboards: DashboardSink  # where Grafana's sidecar picks dashboards up

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:monitoring:Monitoring", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)

        # node-exporter reads the host (hostNetwork, hostPID): only this namespace may.
        created = namespace(
            f"{name}-ns",
            NAMESPACE,
            on_cluster,
            enforce="privileged",
            warn="baseline",
            audit="baseline",
            labels=args.namespace_labels,
        )
        generator = generated_password(
            f"{name}-grafana-password",
            GRAFANA_ADMIN_SECRET,
            created.metadata.name,
            # The generator's CRD only: the store (also given) is for the receivers' secret.
            pulumi.ResourceOptions(
                parent=self, provider=args.kubernetes_provider, depends_on=crds_for(depends_on_of(opts), GENERATORS_API)
            ),
        )
        admin = external_secret(
            f"{name}-grafana-admin",
            GRAFANA_ADMIN_SECRET,
            created.metadata.name,
            from_generator(GRAFANA_ADMIN_SECRET),
            pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[generator]),
            template={"data": {"admin-user": GRAFANA_ADMIN_USER, "admin-password": "{{ .password }}"}},
        )
        spec = args.spec
        settings = KubePrometheusStackSettings(
            grafana_admin_secret=GRAFANA_ADMIN_SECRET,
            storage_class=args.storage_class,
            replicas=spec.prometheus_replicas,
            retention_days=spec.retention_days,
            storage_gib=spec.storage_gib,
            alertmanager_replicas=spec.alertmanager_replicas,
            alertmanager_storage_gib=spec.alertmanager_storage_gib,
            grafana_storage_gib=spec.grafana_storage_gib,
        )
        stack = KubePrometheusStack(
            f"{name}-kube-prometheus-stack",
            KubePrometheusStackArgs(
                kubernetes_provider=args.kubernetes_provider,
                namespace=created.metadata.name,
                settings=settings,
                # The release was this component's own child before the add-on had a component.
                moved={f"{name}-kube-prometheus-stack": pulumi.Alias(parent=self)},
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[admin, args.operator_crds]),
        )

        if spec.alerting.receivers:
            receivers = external_secret(
                f"{name}-alertmanager-receivers",
                RECEIVERS_SECRET,
                created.metadata.name,
                from_store(args.secret_store, data=receiver_secret_data(spec.alerting)),
                pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=depends_on_of(opts)),
                retain=True,
            )
            k8s.apiextensions.CustomResource(
                f"{name}-alertmanager-config",
                api_version=MONITORING_API,
                kind="AlertmanagerConfig",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ALERTMANAGER_CONFIG, namespace=created.metadata.name, labels=dict(ALERTMANAGER_CONFIG_LABELS)
                ),
                spec=alertmanager_config_spec(spec.alerting),
                # Its CRD comes with the CRDs' release (not with the chart: crds.enabled is false there);
                # the Secret it references with the ExternalSecret. The operator merges it into
                # Alertmanager's configuration whenever both are up: it need not wait for the chart.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.kubernetes_provider,
                    depends_on=[*crds_for([args.operator_crds], MONITORING_API), receivers],
                ),
            )

        self.namespace = created.metadata.name
        self.prometheus_address = stack.prometheus_address
        self.prometheus_release = stack.release
        self.crds_release = args.operator_crds
        self.scrapers = stack.scrapers
        self.consoles = stack.consoles
        self.dashboards = stack.dashboards
        self.register_outputs({"namespace": self.namespace, "prometheus_address": self.prometheus_address})
