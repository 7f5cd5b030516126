"""The backup buckets: one in the primary region, its replica in the backup region.

Both buckets: versioning, SSE-KMS (AES-256) with a key in their own region, public access blocked, a
policy denying requests without TLS (and below TLS 1.2), object lock in governance mode for the
retention where config asks for it, and lifecycle rules expiring current and noncurrent versions
after the retention and aborting incomplete uploads. The primary replicates everything to the replica
with S3 Replication Time Control (15-minute target, replication metrics on); the replication role may
read only the primary and write only the replica, with their two keys.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import Provider as AwsProvider

from components.parts import kms_key
from infra import iam
from infra.aws_context import AwsContext
from infra.config.backups import BackupsConfig
from infra.config.workloads import ProtectionConfig

RTC_MINUTES = 15  # S3 Replication Time Control's target: 99.99 % of objects within 15 minutes


@dataclass(frozen=True)
class BackupBucketsArgs:
    spec: BackupsConfig
    name_prefix: str
    aws: AwsContext  # the primary region
    replica_aws: AwsContext  # the backup region
    replica_provider: AwsProvider  # the backup region's provider (the primary comes through opts)
    protection: ProtectionConfig
    tags: Mapping[str, str]  # what the backup plan selects by (AWS Backup protects the buckets too)
    # Prefixes whose writer deletes what it no longer needs (an Elasticsearch snapshot repository: its
    # files are shared between snapshots, so their age says nothing of whether a newer one needs them).
    # With any, the age rule covers the cache exports' prefix only, and these keep their current objects.
    pruned_by_writer: Sequence[str] = ()


class BackupBuckets(pulumi.ComponentResource):
    primary_bucket: pulumi.Output[str]
    primary_arn: pulumi.Output[str]
    replica_bucket: pulumi.Output[str]
    replica_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    replica_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupBucketsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:backups:BackupBuckets", name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protection.protect)
        in_replica = pulumi.ResourceOptions(parent=self, provider=args.replica_provider)
        keep_replica = pulumi.ResourceOptions.merge(in_replica, pulumi.ResourceOptions(protect=args.protection.protect))

        key = kms_key(
            f"{name}-key",
            f"Backups of {args.name_prefix} ({args.aws.region})",
            iam.key_policy(args.aws, cache_export_key_statement(args.aws)),
            keep,
        )
        replica_key = kms_key(
            f"{name}-replica-key",
            f"Backup copies of {args.name_prefix} ({args.replica_aws.region})",
            iam.key_policy(args.replica_aws),
            keep_replica,
        )
        replica, replica_versioning = self._bucket(f"{name}-replica", args, args.replica_aws, replica_key, keep_replica)
        primary, primary_versioning = self._bucket(f"{name}-primary", args, args.aws, key, keep, cache_exports=True)
        self._replication(name, args, primary, replica, key, replica_key, [primary_versioning, replica_versioning])

        self.primary_bucket = primary.bucket
        self.primary_arn = primary.arn
        self.replica_bucket = replica.bucket
        self.replica_arn = replica.arn
        self.key_arn = key.arn
        self.replica_key_arn = replica_key.arn
        self.register_outputs(
            {
                "primary_bucket": self.primary_bucket,
                "replica_bucket": self.replica_bucket,
                "key_arn": self.key_arn,
                "replica_key_arn": self.replica_key_arn,
            }
        )

    def _bucket(
        self,
        name: str,
        args: BackupBucketsArgs,
        where: AwsContext,
        key: aws.kms.Key,
        keep: pulumi.ResourceOptions,
        cache_exports: bool = False,
    ) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        child = pulumi.ResourceOptions(parent=self, provider=keep.provider)
        spec = args.spec
        bucket = aws.s3.Bucket(
            name,
            bucket=pulumi.Output.concat(args.name_prefix, "-backups-", where.region, "-", where.account_id),
            object_lock_enabled=spec.object_lock,
            force_destroy=False,
            tags=dict(args.tags),
            opts=keep,
        )
        versioning = aws.s3.BucketVersioning(
            name,
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        exports = _cache_export_statements(where) if cache_exports else None
        policy = pulumi.Output.all(bucket.arn, where.account_id).apply(
            lambda values: _bucket_policy(values[0], exports(values[1]) if exports else [])
        )
        aws.s3.BucketPolicy(name, bucket=bucket.id, policy=policy, opts=child)
        if spec.object_lock:
            aws.s3.BucketObjectLockConfiguration(
                name,
                bucket=bucket.id,
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode="GOVERNANCE", days=spec.retention_days
                    )
                ),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
            )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=lifecycle_rules(spec.retention_days, args.pruned_by_writer),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        return bucket, versioning

    def _replication(
        self,
        name: str,
        args: BackupBucketsArgs,
        primary: aws.s3.Bucket,
        replica: aws.s3.Bucket,
        key: aws.kms.Key,
        replica_key: aws.kms.Key,
        versioning: list[aws.s3.BucketVersioning],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-replication",
            description=f"S3 replication of {args.name_prefix}'s backups to {args.replica_aws.region}",
            assume_role_policy=iam.service_assume_role(args.aws, "s3"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-replication",
            role=role.id,
            policy=pulumi.Output.all(primary.arn, replica.arn, key.arn, replica_key.arn).apply(
                functools.partial(_replication_policy, regions=(args.aws.region, args.replica_aws.region))
            ),
            opts=child,
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=primary.id,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id="to-backup-region",
                    status="Enabled",
                    priority=1,
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Enabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.arn,
                        storage_class="STANDARD",
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=replica_key.arn
                        ),
                        replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                            status="Enabled",
                            time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(
                                minutes=RTC_MINUTES
                            ),
                        ),
                        metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                            status="Enabled",
                            event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                                minutes=RTC_MINUTES
                            ),
                        ),
                    ),
                )
            ],
            # Replication needs versioning on both buckets first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=versioning),
        )


def replication_statements(
    source: str, destination: str, source_key: str, destination_key: str, region: str, replica_region: str
) -> list[dict[str, Any]]:
    """The replication role's rights: read the source bucket, write the replica, with their two keys."""
    return [
        {
            "Sid": "ReadTheSourceConfiguration",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": source,
        },
        {
            "Sid": "ReadTheSourceVersions",
            "Effect": "Allow",
            "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            "Resource": f"{source}/*",
        },
        {
            "Sid": "WriteTheReplica",
            "Effect": "Allow",
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            "Resource": f"{destination}/*",
        },
        {
            "Sid": "DecryptWithTheSourceKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": source_key,
            "Condition": {"StringLike": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        },
        {
            "Sid": "EncryptWithTheReplicaKey",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": destination_key,
            "Condition": {"StringLike": {"kms:ViaService": f"s3.{replica_region}.amazonaws.com"}},
        },
    ]


def _replication_policy(arns: list[str], regions: tuple[str, str]) -> str:
    source, destination, source_key, destination_key = arns
    statements = replication_statements(source, destination, source_key, destination_key, *regions)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


CACHE_EXPORT_PREFIX = "elasticache/"


def cache_export_principal(where: AwsContext) -> str:
    """The service ElastiCache writes snapshot exports to S3 as, in a region."""
    return f"{where.region}.elasticache-snapshot.{where.dns_suffix}"


def _cache_export_statements(where: AwsContext) -> Any:
    def build(account: str) -> list[dict[str, Any]]:
        principal = {"Service": cache_export_principal(where)}
        condition = {"StringEquals": {"aws:SourceAccount": account}}
        return [
            {
                "Sid": "ElastiCacheExportsReadTheBucket",
                "Effect": "Allow",
                "Principal": principal,
                "Action": ["s3:GetBucketAcl", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                "Resource": "BUCKET",
                "Condition": condition,
            },
            {
                "Sid": "ElastiCacheExportsWriteTheirPrefix",
                "Effect": "Allow",
                "Principal": principal,
                "Action": ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts"],
                "Resource": f"BUCKET/{CACHE_EXPORT_PREFIX}*",
                "Condition": condition,
            },
        ]

    return build


def cache_export_key_statement(where: AwsContext) -> pulumi.Output[dict[str, Any]]:
    """The backup key lets ElastiCache's export encrypt what it writes into the bucket, through S3."""
    return pulumi.Output.from_input(where.account_id).apply(
        lambda account: {
            "Sid": "ElastiCacheExportsEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": cache_export_principal(where)},
            "Action": ["kms:GenerateDataKey*", "kms:Encrypt", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": account,
                    "kms:ViaService": f"s3.{where.region}.{where.dns_suffix}",
                }
            },
        }
    )


def _bucket_policy(arn: str, allows: list[dict[str, Any]]) -> str:
    """Deny every request without TLS, and with TLS older than 1.2; then what is allowed explicitly."""
    resources = [arn, f"{arn}/*"]
    granted = [{**s, "Resource": str(s["Resource"]).replace("BUCKET", arn)} for s in allows]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                *granted,
                {
                    "Sid": "DenyWithoutTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "DenyOldTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources,
                    "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                },
            ],
        },
        sort_keys=True,
    )


def lifecycle_rules(
    retention_days: int, pruned_by_writer: Sequence[str]
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Objects expire after the retention, current and noncurrent versions alike, and incomplete uploads
    after 7 days. An S3 rule cannot leave a prefix out, so where a writer prunes its own prefix the age
    rule names the cache exports' prefix (the only other writer) instead of the whole bucket, and the
    writer's prefix loses only the versions it deleted, after the retention; incomplete uploads are then
    aborted by a rule of their own over the whole bucket, whichever prefix they were written to."""

    def aborts() -> aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs:
        return aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=7)

    def rule(rule_id: str, prefix: str, expire_current: bool) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
        return aws.s3.BucketLifecycleConfigurationRuleArgs(
            id=rule_id,
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
            # The writer's deletions leave delete markers: removed once no version is left behind them.
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=retention_days)
            if expire_current
            else aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=retention_days
            ),
            abort_incomplete_multipart_upload=aborts() if prefix == "" else None,
        )

    if not pruned_by_writer:
        return [rule("expire-after-retention", "", expire_current=True)]
    clashes = [p for p in pruned_by_writer if not p.endswith("/") or p.startswith(CACHE_EXPORT_PREFIX)]
    if clashes:
        raise ValueError(f"a pruned prefix ends with '/' and is not under {CACHE_EXPORT_PREFIX}: {clashes}")
    return [
        rule("expire-after-retention", CACHE_EXPORT_PREFIX, expire_current=True),
        *(rule(f"pruned-by-writer-{p.rstrip('/')}", p, expire_current=False) for p in pruned_by_writer),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-uploads",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            abort_incomplete_multipart_upload=aborts(),
        ),
    ]
