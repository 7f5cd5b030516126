"""Alerts: the platform's Prometheus rules as PrometheusRule objects (monitoring.coreos.com/v1).

One PrometheusRule per group, in the namespace Monitoring publishes: each service's SLOs (recorded
error ratios, burn-rate alerts), the platform's alerts, the edge's when there is an edge, and the
datastores', queues' and backups' when the CloudWatch exporter runs (``managed``). They need the
PrometheusRule CRD only (give the release of the Prometheus Operator's CRDs in ``opts.depends_on``; each
rule waits for that one): the operator and Prometheus pick them up whenever they start, and Prometheus
selects every PrometheusRule of the cluster (``ruleSelectorNilUsesHelmValues: false``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.alerts import promql as q
from components.alerts.aws_rules import ManagedServices, managed_groups
from components.alerts.rules import (
    RuleGroup,
    Slo,
    availability_slo,
    edge_group,
    latency_slo,
    platform_group,
    slo_group,
)
from components.parts import crds_for, depends_on_of
from infra.config.alerts import AlertsConfig
from infra.config.services import ServiceConfig

MONITORING_API = "monitoring.coreos.com/v1"


def service_slos(spec: AlertsConfig, services: Mapping[str, ServiceConfig], namespace: str) -> list[Slo]:
    """Availability for every service (its own error metric and selector), latency for web services."""
    slos: list[Slo] = []
    for name, svc in sorted(services.items()):
        error = q.Matcher.parse(svc.error_selector)
        slos.append(availability_slo(name, namespace, svc.error_metric, error, spec.availability_of(name)))
        if svc.port is not None:
            seconds, target = spec.latency_of(name)
            slos.append(latency_slo(name, namespace, seconds, target))
    return slos


def rule_groups(
    spec: AlertsConfig,
    services: Mapping[str, ServiceConfig],
    namespace: str,
    edge: bool,
    managed: ManagedServices | None = None,
) -> tuple[RuleGroup, ...]:
    groups = [slo_group(s) for s in service_slos(spec, services, namespace)]
    groups.append(platform_group(spec.restarts, spec.certificate_days))
    if edge:
        groups.append(edge_group(spec.edge_error_ratio))
    if managed is not None:  # the CloudWatch exporter is installed: datastores, queues, backups
        groups.extend(managed_groups(spec, managed))
    return tuple(groups)


class PrometheusRule(k8s.apiextensions.CustomResource):
    """A PrometheusRule whose groups are typed :class:`RuleGroup` values."""

    def __init__(
        self,
        resource_name: str,
        metadata: k8s.meta.v1.ObjectMetaArgs,
        groups: pulumi.Input[Sequence[RuleGroup]],
        opts: pulumi.ResourceOptions,
    ) -> None:
        spec = pulumi.Output.from_input(groups).apply(lambda gs: {"groups": [g.to_dict() for g in gs]})
        super().__init__(
            resource_name, api_version=MONITORING_API, kind="PrometheusRule", metadata=metadata, spec=spec, opts=opts
        )


@dataclass(frozen=True)
class AlertsArgs:
    spec: AlertsConfig
    services: Mapping[str, ServiceConfig]  # the enabled services
    service_namespace: pulumi.Input[str]  # where their series come from
    rules_namespace: pulumi.Input[str]  # Monitoring's namespace
    kubernetes_provider: k8s.Provider
    edge: bool  # Kong and NGINX are installed
    managed: ManagedServices | None = None  # the CloudWatch exporter is installed (its series exist)


class Alerts(pulumi.ComponentResource):
    rule_names: list[str]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:alerts:Alerts", name, None, opts)
        child = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=crds_for(depends_on_of(opts), MONITORING_API)
        )
        # The group names do not depend on the namespace: build once with a placeholder to name objects.
        names = [g.name for g in rule_groups(args.spec, args.services, "-", args.edge, args.managed)]
        built = pulumi.Output.from_input(args.service_namespace).apply(
            lambda ns: rule_groups(args.spec, args.services, ns, args.edge, args.managed)
        )

        def nth(index: int) -> pulumi.Output[list[RuleGroup]]:
            return built.apply(lambda gs: [gs[index]])

        for index, group_name in enumerate(names):
            PrometheusRule(
                f"{name}-{group_name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=group_name,
                    namespace=args.rules_namespace,
                    labels={"app.kubernetes.io/part-of": "platform-alerts"},
                ),
                groups=nth(index),
                opts=child,
            )
        self.rule_names = names
        self.register_outputs({"rule_names": names})
