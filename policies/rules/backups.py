"""Backups leave the region and keep up (the system's backup and recovery requirements: daily backups,
full + incremental, copies in a second region, RPO 1 h): in protected environments every database is
selected by an AWS Backup plan that copies to another region, every backup rule runs continuous backup,
and every backup bucket is versioned and replicated with Replication Time Control."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.rules._base import config, decoded, environments_of, get, in_environments, is_true, listify, stack_rule
from policies.rules.protection import ENVIRONMENTS_SCHEMA
from policies.rules.s3 import access_log_buckets, belongs

Found = Iterable[tuple[str, str | None]]
DATABASES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:docdb/cluster:Cluster")
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
SCHEMA = ENVIRONMENTS_SCHEMA


def _of(args: StackValidationArgs, *types: str) -> Iterator[PolicyResource]:
    return (r for r in args.resources if r.resource_type in types)


def _provider_props(resource: PolicyResource) -> dict:
    provider = getattr(resource, "provider", None)
    return dict(provider.props) if provider is not None and provider.props is not None else {}


def _region(resource: PolicyResource) -> str | None:
    region = get(_provider_props(resource), "region")
    return str(region) if region else None


def _tags(resource: PolicyResource) -> dict[str, str]:
    """The tags AWS sees on the resource: the provider's default tags, then its own."""
    tags = dict(get(decoded(get(_provider_props(resource), "defaultTags")), "tags", default={}) or {})
    tags.update(dict(get(resource.props, "tags", default={}) or {}))
    return {str(k): str(v) for k, v in tags.items()}


def _protected(args: StackValidationArgs, resource: PolicyResource) -> bool:
    names = environments_of(resource.urn, _provider_props(resource), get(resource.props, "tags", hidden_ok=True))
    return in_environments(names, config(args).get("environments", ["prod"]))


def _depends_on(resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
    return any(d.urn == target.urn for d in resource.property_dependencies.get(prop, []))


def _arn_region(arn: object) -> str | None:
    parts = str(arn).split(":")
    return parts[3] if len(parts) > 4 and parts[0] == "arn" else None


def _selects(selection: PolicyResource, resource: PolicyResource) -> bool:
    tags = _tags(resource)
    for condition in listify(get(selection.props, "selectionTags")):
        if get(condition, "type", default="STRINGEQUALS") == "STRINGEQUALS":
            key, value = get(condition, "key"), get(condition, "value")
            if key is not None and tags.get(str(key)) == str(value):
                return True
    return _depends_on(selection, "resources", resource)


def _copies_elsewhere(plan: PolicyResource) -> bool:
    home = _region(plan)
    for rule in listify(get(plan.props, "rules")):
        for action in listify(get(rule, "copyActions")):
            region = _arn_region(get(action, "destinationVaultArn"))
            if region is not None and region != home:
                return True
    return False


def _databases(args: StackValidationArgs) -> Found:
    plans = list(_of(args, PLAN))
    selections = list(_of(args, SELECTION))
    for database in _of(args, *DATABASES):
        if not _protected(args, database):
            continue
        covering = [s for s in selections if _selects(s, database)]
        if not covering:
            yield "no AWS Backup selection covers this database (its tags or ARN)", database.urn
            continue
        owning = [p for p in plans if any(_depends_on(s, "planId", p) for s in covering)]
        if not any(_copies_elsewhere(p) for p in owning):
            yield "the backup plan that selects this database copies nothing to another region", database.urn


# Resource types AWS Backup can back up continuously (point-in-time recovery).
CONTINUOUS_TYPES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:s3/bucket:Bucket")


def _only_without_continuous(args: StackValidationArgs, plan: PolicyResource) -> bool:
    """The plan selects, by ARN only, resources none of which supports continuous backup (DocumentDB)."""
    selections = [s for s in _of(args, SELECTION) if _depends_on(s, "planId", plan)]
    if not selections or any(get(s.props, "selectionTags") for s in selections):
        return False
    selected = [
        r for r in args.resources for s in selections if _depends_on(s, "resources", r)
    ]  # fmt: skip
    return bool(selected) and not any(r.resource_type in CONTINUOUS_TYPES for r in selected)


def _continuous(args: StackValidationArgs) -> Found:
    for plan in _of(args, PLAN):
        if not _protected(args, plan) or _only_without_continuous(args, plan):
            continue
        for rule in listify(get(plan.props, "rules")):
            if not is_true(get(rule, "enableContinuousBackup")):
                name = get(rule, "ruleName", default="?")
                yield f"backup rule {name} has no continuous backup (enableContinuousBackup)", plan.urn


def _backup_buckets(args: StackValidationArgs) -> Found:
    replications = list(_of(args, REPLICATION))
    versionings = list(_of(args, *VERSIONING))
    log_names, log_urns = access_log_buckets(args)  # a load balancer's access logs: kept, not backed up
    buckets = [
        b
        for b in _of(args, *BUCKETS)
        if _protected(args, b) and b.urn not in log_urns and get(b.props, "bucket") not in log_names
    ]
    for bucket in buckets:
        versioned = any(
            belongs(v, bucket)
            and str(get(v.props, "versioningConfiguration", "status", default="")).lower() == "enabled"
            for v in versionings
        )
        if not versioned:
            yield "the backup bucket is not versioned", bucket.urn
        if any(_depends_on(r, "rules", bucket) and not _depends_on(r, "bucket", bucket) for r in replications):
            continue  # a replica: the destination of another bucket's replication
        rules = [
            rule
            for replication in replications
            if _depends_on(replication, "bucket", bucket)
            for rule in listify(get(replication.props, "rules"))
            if str(get(rule, "status", default="")).lower() == "enabled"
        ]
        if not rules:
            yield "the bucket is not replicated to another region", bucket.urn
        elif not all(
            str(get(r, "destination", "replicationTime", "status", default="")).lower() == "enabled" for r in rules
        ):
            yield "replication without Replication Time Control (destination.replicationTime)", bucket.urn


DATABASES_COPIED = stack_rule(
    "databases-backed-up-to-another-region",
    "In protected environments (prod) every database is selected by an AWS Backup plan whose rule copies "
    "its recovery points to a vault in another region.",
    Severity.HIGH,
    "Tag the database as the backup selection expects (components/backups/plan.py) and give the rule a "
    "copy action to the backup region's vault.",
    _databases,
    SCHEMA,
)
CONTINUOUS_BACKUP = stack_rule(
    "continuous-backup",
    "In protected environments every AWS Backup rule runs continuous backup (point-in-time recovery, the "
    "incremental part that keeps the RPO within an hour), unless its plan selects only resources that have "
    "none (DocumentDB: hourly snapshots instead).",
    Severity.HIGH,
    "Set enable_continuous_backup=True on the rule (platform:backups.continuousBackup).",
    _continuous,
    SCHEMA,
)
BUCKETS_REPLICATED = stack_rule(
    "backup-buckets-versioned-and-replicated",
    "In protected environments every bucket but a load balancer's access-log bucket is versioned and, unless "
    "it is itself a replica, replicated to another region with S3 Replication Time Control.",
    Severity.HIGH,
    "Add a BucketVersioning (Enabled) and a BucketReplicationConfig with replication_time enabled "
    "(components/backups/buckets.py).",
    _backup_buckets,
    SCHEMA,
)

POLICIES = (DATABASES_COPIED, CONTINUOUS_BACKUP, BUCKETS_REPLICATED)
