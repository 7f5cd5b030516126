"""The composition of backups and disaster recovery: the backup buckets in both regions, AWS Backup
with its cross-region copies, and what it protects (the datastores' outputs)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.backups.buckets import BackupBuckets, BackupBucketsArgs
from components.backups.cache_export import CacheExport, CacheExportArgs
from components.backups.plan import BackupPlan, BackupPlanArgs
from components.datastores.documentdb import DocumentDb
from components.datastores.postgres import Postgres
from components.datastores.redis import Redis
from components.logging import SNAPSHOT_PREFIX as LOGGING_SNAPSHOT_PREFIX
from components.network import Network
from infra.aws_context import AwsContext
from infra.config import PlatformConfig
from stacks.restore import read_replica_buckets


def backup_tags(cfg: PlatformConfig) -> dict[str, str]:
    """The tag the backup plan selects by: every resource carrying it is backed up and copied."""
    return {"platform:backup": f"{cfg.name_prefix}-daily"}


def build_backups(
    cfg: PlatformConfig,
    context: AwsContext,
    replica_provider: aws.Provider,
    network: Network,
    postgres: Postgres,
    documentdb: DocumentDb,
    redis: Redis,
    primary: aws.Provider,
) -> tuple[BackupBuckets, BackupPlan]:
    replica_context = AwsContext(
        account_id=context.account_id,
        partition=context.partition,
        region=cfg.backup_region,
        dns_suffix=context.dns_suffix,
        key_administrators=context.key_administrators,
    )
    with_primary = pulumi.ResourceOptions(providers={"aws": primary})
    # Restoring: the source's replica here is read by name; the buckets below are this stack's own.
    read_replica_buckets(cfg, context, pulumi.InvokeOutputOptions(provider=primary))
    buckets = BackupBuckets(
        "backups",
        BackupBucketsArgs(
            spec=cfg.backups,
            name_prefix=cfg.name_prefix,
            aws=context,
            replica_aws=replica_context,
            replica_provider=replica_provider,
            protection=cfg.protection,
            tags=backup_tags(cfg),
            # Elasticsearch deletes the snapshot files no snapshot it keeps still needs.
            pruned_by_writer=(LOGGING_SNAPSHOT_PREFIX,),
        ),
        opts=with_primary,
    )
    plan = BackupPlan(
        "backup-plan",
        BackupPlanArgs(
            spec=cfg.backups,
            name_prefix=cfg.name_prefix,
            aws=context,
            replica_provider=replica_provider,
            key_arn=buckets.key_arn,
            replica_key_arn=buckets.replica_key_arn,
            selection_tags=backup_tags(cfg),
            protection=cfg.protection,
            restore_vpc_id=network.vpc_id,
            restore_subnet_groups={"postgres": postgres.subnet_group_name, "documentdb": documentdb.subnet_group_name},
            hourly_resources={"documentdb": documentdb.cluster_arn},
            replicated_instances={"postgres": postgres.instance_arn},
        ),
        opts=with_primary,
    )
    CacheExport(
        "cache-export",
        CacheExportArgs(
            name_prefix=cfg.name_prefix,
            aws=context,
            replication_group_id=redis.replication_group_id,
            bucket=buckets.primary_bucket,
            bucket_arn=buckets.primary_arn,
            schedule=after_window(cfg.datastores.redis.snapshot_window, minutes=30),
            log_retention_days=cfg.cluster.log_retention_days,
            protection=cfg.protection,
        ),
        opts=with_primary,
    )
    pulumi.export("backupBuckets", {"primary": buckets.primary_bucket, "replica": buckets.replica_bucket})
    pulumi.export("backupVaults", {"primary": plan.vault_arn, "replica": plan.replica_vault_arn})
    return buckets, plan


def after_window(window: str, minutes: int) -> str:
    """A daily AWS cron ``minutes`` after a daily window ``HH:MM-HH:MM`` ends (UTC)."""
    end = window.split("-")[1]
    total = (int(end[:2]) * 60 + int(end[3:]) + minutes) % 1440
    return f"cron({total % 60} {total // 60} * * ? *)"
