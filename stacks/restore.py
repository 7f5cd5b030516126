"""The composition of a restore (``platform:restore``): where each datastore starts from, and the backup
buckets of the stack being restored.

A disaster-recovery stack stands the platform up in the backup region of the stack it restores (the
*source* stack, whose backups were copied there). Its own physical names must differ from the source's,
so it has its own project: by convention the source's project with ``-dr`` appended (``platform-dr``
restores ``platform``). The source's names follow from that: ``<source project>-<environment>-postgres``
and so on, unless ``sourceIdentifier`` names another.

- "latest" is resolved here, at plan time, by the data sources on this region's provider: the newest
  AWS Backup recovery point (snapshot type ``awsbackup``: the daily backups and their cross-region
  copies) of the source instance or cluster. A named snapshot or ARN is used as it is.
- ``bucketsFromReplica``: the source's replica bucket in this region already holds its backups; this
  stack reads it by name (the look-up fails the preview if it is not there) and never creates or
  adopts it (the source stack still owns it). This stack's own backup buckets are new ones under its own
  prefix, so no name can collide; a stack whose prefix is the source's is refused.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.aws_context import AwsContext
from infra.config import PlatformConfig

DR_SUFFIX = "-dr"  # a disaster-recovery stack's project: its source's project plus this
# DescribeDBSnapshots returns AWS Backup recovery points (and their copies) only when asked for this type.
BACKUP_SNAPSHOT_TYPE = "awsbackup"


def source_prefix(cfg: PlatformConfig) -> str:
    """``<project>-<environment>`` of the stack being restored: this project without ``-dr``."""
    return f"{cfg.project.removesuffix(DR_SUFFIX)}-{cfg.environment.value}"


def source_identifier(cfg: PlatformConfig, store: str) -> str:
    """The instance or cluster ``store`` is restored from: ``sourceIdentifier``, else the source's name."""
    restore = getattr(cfg.restore, store) if cfg.restore is not None else None
    if restore is not None and restore.source_identifier:
        return str(restore.source_identifier)
    return f"{source_prefix(cfg)}-{store}"


def restore_wiring(cfg: PlatformConfig, store: str, on_region: pulumi.InvokeOutputOptions) -> dict:
    """The restore Args of datastore ``store`` (``restore`` and ``restore_from``), or nothing if it is
    created empty."""
    restore = getattr(cfg.restore, store, None) if cfg.restore is not None else None
    if restore is None:
        return {}
    if store == "redis":
        return {"restore": restore}
    source = source_identifier(cfg, store)
    resolved: pulumi.Input[str]
    if restore.point_in_time is not None:
        resolved = source
    elif restore.snapshot != "latest":
        resolved = restore.snapshot
    elif store == "postgres":
        resolved = aws.rds.get_snapshot_output(
            db_instance_identifier=source, most_recent=True, snapshot_type=BACKUP_SNAPSHOT_TYPE, opts=on_region
        ).db_snapshot_arn
    else:
        resolved = aws.rds.get_cluster_snapshot_output(
            db_cluster_identifier=source, most_recent=True, snapshot_type=BACKUP_SNAPSHOT_TYPE, opts=on_region
        ).db_cluster_snapshot_arn
    pulumi.export(f"{store}RestoredFrom", resolved)
    return {"restore": restore, "restore_from": resolved}


def replica_bucket_name(cfg: PlatformConfig, context: AwsContext) -> pulumi.Output[str]:
    """The source's backup bucket in this region (its replica), named as ``BackupBuckets`` names it."""
    return pulumi.Output.concat(source_prefix(cfg), "-backups-", context.region, "-", context.account_id)


def read_replica_buckets(
    cfg: PlatformConfig, context: AwsContext, on_region: pulumi.InvokeOutputOptions
) -> pulumi.Output[aws.s3.GetBucketResult] | None:
    """With ``bucketsFromReplica``: the source's replica in this region, read (never created or adopted)."""
    if cfg.restore is None or not cfg.restore.buckets_from_replica:
        return None
    if source_prefix(cfg) == cfg.name_prefix:
        raise pulumi.RunError(
            f"platform:restore.bucketsFromReplica: this stack's backup buckets would take the names of the "
            f"buckets it restores from ({cfg.name_prefix}-backups-...); give it its own platform:project "
            f"(e.g. {cfg.project}{DR_SUFFIX})"
        )
    replica = aws.s3.get_bucket_output(bucket=replica_bucket_name(cfg, context), opts=on_region)
    pulumi.export("restoredBackupBucket", {"bucket": replica.bucket, "arn": replica.arn, "region": replica.region})
    return replica
