"""Stateful resources never lose data by accident (the system's backup and recovery requirements:
daily backups kept 30 days, RPO 1 h, RTO 4 h): protect, deletion protection and final snapshots in
protected environments; 30-day backup retention everywhere."""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity

from policies.rules._base import Props, config, environments_of, get, in_environments, is_true, resource_rule

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
DOCDB_CLUSTER = "aws:docdb/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
MQ_BROKER = "aws:mq/broker:Broker"
STATEFUL = (
    RDS_INSTANCE,
    RDS_CLUSTER,
    DOCDB_CLUSTER,
    REDIS,
    MQ_BROKER,
    "aws:kms/key:Key",
    "aws:secretsmanager/secret:Secret",
    "aws:eks/cluster:Cluster",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:backup/vault:Vault",
    "aws:efs/fileSystem:FileSystem",
    "aws:dynamodb/table:Table",
)
# The ``environments`` a rule holds (prod unless configured), as a config property of the pack.
ENVIRONMENTS_PROPERTY = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 64},
    "minItems": 1,
    "default": ["prod"],
}
ENVIRONMENTS_SCHEMA = PolicyConfigSchema(properties={"environments": ENVIRONMENTS_PROPERTY})


def environments(args: ResourceValidationArgs) -> set[str]:
    """The resource's environments: its AWS provider's default tag, its own tag and its stack's name, each
    read case-insensitively (``_base.environments_of``)."""
    provider_props = args.provider.props if args.provider is not None else None
    return environments_of(args.urn, provider_props, get(args.props, "tags", hidden_ok=True))


def _protected(args: ResourceValidationArgs) -> bool:
    return in_environments(environments(args), config(args).get("environments", ["prod"]))


def _protect(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if _protected(args) and not args.opts.protect:
        where = ", ".join(sorted(environments(args)))
        yield f"stateful resource in a protected environment ({where}) is not protected (ResourceOptions protect=True)"


def _deletion(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if not _protected(args):
        return
    kind = args.resource_type
    deletable = (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER, "aws:eks/cluster:Cluster")
    if kind in deletable and not is_true(get(props, "deletionProtection")):
        yield "deletion protection is off (deletionProtection)"
    if kind in (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER):
        if is_true(get(props, "skipFinalSnapshot", default=False)):
            yield "a delete skips the final snapshot (skipFinalSnapshot)"
        elif not get(props, "finalSnapshotIdentifier"):
            yield "no final snapshot identifier (finalSnapshotIdentifier), so a delete cannot take one"
    if kind == REDIS and not get(props, "finalSnapshotIdentifier"):
        yield "a delete takes no final snapshot (finalSnapshotIdentifier)"


def _retention(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    minimum = int(config(args).get("minimumDays", 30))
    kind = args.resource_type
    if kind in (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER):
        days = int(get(props, "backupRetentionPeriod", default=1 if kind != RDS_INSTANCE else 0))
        if days < minimum:
            yield f"automated backups are kept {days} days; at least {minimum} are required"
    elif kind == REDIS:
        days = int(get(props, "snapshotRetentionLimit", default=0))
        if days < 1:
            yield "no automatic snapshots (snapshotRetentionLimit is 0)"
    elif kind == "aws:backup/plan:Plan":
        for rule in get(props, "rules", default=[]):
            if _more_than_daily(str(get(rule, "schedule", default=""))):
                continue  # extra recovery points between the daily ones; the daily ones keep the retention
            delete_after = get(rule, "lifecycle", "deleteAfter")
            if delete_after is not None and int(delete_after) < minimum:
                yield f"backup rule {get(rule, 'ruleName', default='?')} deletes after {delete_after} days"


def _more_than_daily(schedule: str) -> bool:
    """An AWS cron whose hours field fires more than once a day (``*``, a list, a range or a step)."""
    fields = schedule.removeprefix("cron(").removesuffix(")").split()
    return len(fields) == 6 and any(c in fields[1] for c in "*,-/")


PROTECT_STATEFUL = resource_rule(
    "protect-stateful-in-prod",
    "In protected environments (prod) every stateful resource (database, cache, broker, document DB, "
    "KMS key, secret, cluster, bucket) has Pulumi's protect set.",
    Severity.HIGH,
    "Pass ResourceOptions(protect=...) from platform:protection.protect (true in prod).",
    STATEFUL,
    _protect,
    ENVIRONMENTS_SCHEMA,
)

DELETION_PROTECTION = resource_rule(
    "deletion-protection-and-final-snapshot",
    "In protected environments databases and clusters have deletion protection and take a final snapshot on delete.",
    Severity.HIGH,
    "Set deletion_protection=True, skip_final_snapshot=False and a final_snapshot_identifier.",
    (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER, REDIS, "aws:eks/cluster:Cluster"),
    _deletion,
    ENVIRONMENTS_SCHEMA,
)

BACKUP_RETENTION = resource_rule(
    "backup-retention-30-days",
    "Automated backups are kept at least 30 days (the system requires 30 days); caches keep snapshots; "
    "AWS Backup's daily rules keep 30 days (rules running more often than daily add recovery points).",
    Severity.HIGH,
    "Set backup_retention_period=30 (RDS, DocumentDB), snapshot_retention_limit >= 1 (ElastiCache), "
    "delete_after >= 30 in AWS Backup rules.",
    (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER, REDIS, "aws:backup/plan:Plan"),
    _retention,
    PolicyConfigSchema(properties={"minimumDays": {"type": "integer", "minimum": 1, "maximum": 3650, "default": 30}}),
)

POLICIES = (PROTECT_STATEFUL, DELETION_PROTECTION, BACKUP_RETENTION)
