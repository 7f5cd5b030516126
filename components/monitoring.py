"""Metrics for the platform: the Prometheus Operator stack, in its own namespace.

- the add-on ``kube-prometheus-stack`` (``components/addons/kube_prometheus_stack.py``) in the
  ``monitoring`` namespace: the Prometheus Operator (acts on the ServiceMonitors), Prometheus on an
  encrypted gp3 volume (the rollouts' analyses query it), Alertmanager, Grafana;
- Grafana's admin password, generated in the cluster by the External Secrets Operator (a ``Password``
  generator and an ``ExternalSecret`` that renders it, with the user name, into the Secret
  ``grafana-admin``, once): it never passes through Pulumi, its state or the plan. The chart reads that
  Secret through ``grafana.admin.existingSecret``; its values carry the Secret's *name* only. The
  generator needs the operator's CRDs: give the operator's release in ``opts.depends_on``.

Published for the others: Prometheus's address, the pods that scrape (``scrapers``), the release
whose CRDs ServiceMonitors need (``prometheus_release``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.addons.kube_prometheus_stack import (
    KubePrometheusStack,
    KubePrometheusStackArgs,
    KubePrometheusStackSettings,
)
from components.contracts import PeerPods
from components.parts import depends_on_of, namespace
from infra.config.monitoring import MonitoringConfig

NAMESPACE = "monitoring"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
ESO_API = "external-secrets.io/v1"
GENERATORS_API = "generators.external-secrets.io/v1alpha1"


@dataclass(frozen=True)
class MonitoringArgs:
    spec: MonitoringConfig
    kubernetes_provider: k8s.Provider
    storage_class: pulumi.Input[str]


class Monitoring(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    prometheus_address: pulumi.Output[str]
    prometheus_release: k8s.helm.v3.Release
    scrapers: PeerPods

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:monitoring:Monitoring", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)

        # node-exporter reads the host (hostNetwork, hostPID): only this namespace may.
        created = namespace(
            f"{name}-ns", NAMESPACE, on_cluster, enforce="privileged", warn="baseline", audit="baseline"
        )
        generator = k8s.apiextensions.CustomResource(
            f"{name}-grafana-password",
            api_version=GENERATORS_API,
            kind="Password",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=created.metadata.name),
            spec={"length": 32, "digits": 8, "symbols": 0, "noUpper": False, "allowRepeat": True},
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=depends_on_of(opts)),
        )
        admin = k8s.apiextensions.CustomResource(
            f"{name}-grafana-admin",
            api_version=ESO_API,
            kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=created.metadata.name),
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
        spec = args.spec
        settings = KubePrometheusStackSettings(
            grafana_admin_secret=GRAFANA_ADMIN_SECRET,
            storage_class=args.storage_class,
            replicas=spec.prometheus_replicas,
            retention_days=spec.retention_days,
            storage_gib=spec.storage_gib,
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=[admin]),
        )

        self.namespace = created.metadata.name
        self.prometheus_address = stack.prometheus_address
        self.prometheus_release = stack.release
        self.scrapers = stack.scrapers
        self.register_outputs({"namespace": self.namespace, "prometheus_address": self.prometheus_address})
