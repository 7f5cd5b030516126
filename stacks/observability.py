"""Composition of the metrics outside kube-prometheus-stack: the Prometheus Operator's CRDs (first),
the CloudWatch exporter (the managed datastores, the broker and its queues, the backups' age) and the
function that measures the backups' age. Wiring only: what each needs is an output of another part."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.addons.cloudwatch_exporter import CloudWatchExporter, CloudWatchExporterArgs
from components.addons.prometheus_operator_crds import PrometheusOperatorCrds, PrometheusOperatorCrdsArgs
from components.alerts.aws_rules import BackupWindows, ManagedServices
from components.backups.freshness import BackupFreshness, BackupFreshnessArgs, WatchedVault
from components.backups.plan import BackupPlan
from components.cluster import Cluster
from components.monitoring import Monitoring
from infra.aws_context import AwsContext
from infra.config import PlatformConfig
from infra.tags import default_tags


def operator_crds(kubernetes_provider: k8s.Provider) -> PrometheusOperatorCrds:
    """The Prometheus Operator's CRDs: what every ServiceMonitor, PodMonitor, PrometheusRule and
    AlertmanagerConfig (and every release rendering one) waits for."""
    return PrometheusOperatorCrds("prometheus-operator-crds", PrometheusOperatorCrdsArgs(kubernetes_provider))


def search_tags(cfg: PlatformConfig, stack: str) -> dict[str, str]:
    """The default tags that tell this stack's resources from another's in the same account."""
    tags = default_tags(cfg, stack)
    return {key: tags[key] for key in ("Project", "Stack")}


def build_observability(
    cfg: PlatformConfig,
    stack: str,
    context: AwsContext,
    cluster: Cluster,
    monitoring: Monitoring,
    backup_plan: BackupPlan,
    primary: aws.Provider,
) -> ManagedServices:
    """The exporter and the backup age function; returns what the alerts on them need."""
    with_primary = pulumi.ResourceOptions(providers={"aws": primary})
    CloudWatchExporter(
        "cloudwatch-exporter",
        CloudWatchExporterArgs(
            kubernetes_provider=cluster.provider,
            namespace=monitoring.namespace,
            identity=cluster.identity,
            region=cfg.region,
            search_tags=search_tags(cfg, stack),
            period_seconds=cfg.monitoring.cloudwatch_period_seconds,
        ),
        # Its ServiceMonitor's CRD.
        opts=pulumi.ResourceOptions.merge(with_primary, pulumi.ResourceOptions(depends_on=[monitoring.crds_release])),
    )
    BackupFreshness(
        "backup-freshness",
        BackupFreshnessArgs(
            name_prefix=cfg.name_prefix,
            aws=context,
            vaults=(
                WatchedVault(backup_plan.vault_arn, "primary"),
                WatchedVault(backup_plan.replica_vault_arn, "backup-region"),
            ),
            interval_minutes=cfg.monitoring.backup_age_interval_minutes,
            log_retention_days=cfg.cluster.log_retention_days,
            protection=cfg.protection,
        ),
        opts=with_primary,
    )
    # DocumentDB is the type on the hourly plan (components/backups/plan.py): held to the RPO by snapshots.
    return ManagedServices(
        backups=BackupWindows.of(cfg.backups, hourly_types=("DocumentDB",)),
        postgres_storage_gib=cfg.datastores.postgres.allocated_storage_gib,
    )
