"""The backup components alone: what config switches on and off, and what each part is given."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.backups.buckets import BackupBuckets, BackupBucketsArgs, replication_statements
from components.backups.plan import BackupPlan, BackupPlanArgs
from infra.aws_context import AwsContext
from infra.config.backups import BackupsConfig, aws_cron, daily_start
from infra.config.workloads import ProtectionConfig
from tests.support import AWS, build, of_type, one

REPLICA = AwsContext(account_id="123456789012", partition="aws", region="us-west-2")
TAGS = {"platform:backup": "platform-test-daily"}


def _build(spec: BackupsConfig, **plan: Any) -> list[dict[str, Any]]:
    def program() -> None:
        primary = aws.Provider("primary", region="us-east-1")
        replica = aws.Provider("replica", region="us-west-2")
        opts = pulumi.ResourceOptions(providers={"aws": primary})
        buckets = BackupBuckets(
            "backups",
            BackupBucketsArgs(spec, "platform-test", AWS, REPLICA, replica, ProtectionConfig(), TAGS),
            opts=opts,
        )
        BackupPlan(
            "backup-plan",
            BackupPlanArgs(
                spec=spec,
                name_prefix="platform-test",
                aws=AWS,
                replica_provider=replica,
                key_arn=buckets.key_arn,
                replica_key_arn=buckets.replica_key_arn,
                selection_tags=TAGS,
                protection=ProtectionConfig(),
                **plan,
            ),
            opts=opts,
        )

    return build(program)


@pytest.fixture(scope="module")
def locked() -> list[dict[str, Any]]:
    return _build(
        BackupsConfig(),
        restore_vpc_id="vpc-1",
        replicated_instances={"postgres": "arn:aws:rds:us-east-1:123456789012:db:pg"},
    )


def test_locks_and_restore_testing_follow_the_config(locked: list[dict[str, Any]]) -> None:
    relaxed = _build(BackupsConfig(object_lock=False, vault_lock=False, restore_testing={"enabled": False}))
    assert len(of_type(locked, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")) == 2
    assert len(of_type(locked, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")) == 2
    assert one(locked, "aws:backup/restoreTestingPlan:RestoreTestingPlan")
    for kind in (
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
    ):
        assert of_type(relaxed, kind) == [], kind
    assert all(b["inputs"]["objectLockEnabled"] is False for b in of_type(relaxed, "aws:s3/bucket:Bucket"))


def test_retention_and_schedule_reach_every_rule_and_lock() -> None:
    resources = _build(BackupsConfig(retention_days=14, schedule="cron(30 1 * * ? *)"))
    (rule,) = one(resources, "aws:backup/plan:Plan")["inputs"]["rules"]
    assert rule["schedule"] == "cron(30 1 * * ? *)" and rule["lifecycle"]["deleteAfter"] == 14
    assert rule["copyActions"][0]["lifecycle"]["deleteAfter"] == 14
    assert {
        lock["inputs"]["minRetentionDays"]
        for lock in of_type(resources, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    } == {14}
    for lifecycle in of_type(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        assert lifecycle["inputs"]["rules"][0]["expiration"]["days"] == 14


def test_the_service_role_is_trusted_by_aws_backup_only(locked: list[dict[str, Any]]) -> None:
    role = one(locked, "aws:iam/role:Role", "backup-plan-role")
    assert '"Service": "backup.amazonaws.com"' in role["inputs"]["assumeRolePolicy"]
    policies = {a["inputs"]["policyArn"] for a in of_type(locked, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup" in policies
    assert "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup" in policies


def test_replication_rights_name_only_the_two_buckets_and_keys() -> None:
    statements = replication_statements("arn:b1", "arn:b2", "arn:k1", "arn:k2", "us-east-1", "us-west-2")
    resources = [s["Resource"] for s in statements]
    assert resources == ["arn:b1", "arn:b1/*", "arn:b2/*", "arn:k1", "arn:k2"]
    assert statements[3]["Condition"] == {"StringLike": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    assert statements[4]["Condition"] == {"StringLike": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}


@pytest.mark.parametrize(
    ("schedule", "start"),
    [("cron(0 2 * * ? *)", (2, 0)), ("cron(15 23 ? * * *)", (23, 15)), ("cron(0 5 ? * SUN *)", None)],
)
def test_daily_start_reads_a_daily_schedule(schedule: str, start: tuple[int, int] | None) -> None:
    assert daily_start(aws_cron(schedule)) == start


@pytest.mark.parametrize(
    "bad", ["cron(0 2 * * * *)", "cron(60 2 * * ? *)", "cron(0 2 * 13 ? *)", "cron(0 2 * * ? 1900)", "0 2 * * *"]
)
def test_aws_cron_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        aws_cron(bad)


def test_a_pruned_prefix_takes_the_whole_bucket_rule_apart_and_may_not_hide_the_exports() -> None:
    from components.backups.buckets import lifecycle_rules

    (whole,) = lifecycle_rules(30, ())
    assert whole.filter.prefix == "" and whole.expiration.days == 30  # type: ignore[union-attr]
    assert whole.abort_incomplete_multipart_upload.days_after_initiation == 7  # type: ignore[union-attr]
    aged, pruned, aborts = lifecycle_rules(30, ("elasticsearch/",))
    assert aged.filter.prefix == "elasticache/" and aged.expiration.days == 30  # type: ignore[union-attr]
    assert aborts.filter.prefix == "" and aborts.expiration is None  # type: ignore[union-attr]
    assert aborts.abort_incomplete_multipart_upload.days_after_initiation == 7  # type: ignore[union-attr]
    assert pruned.expiration.days is None and pruned.expiration.expired_object_delete_marker  # type: ignore[union-attr]
    for bad in ("elasticache/snapshots/", "elasticsearch"):
        with pytest.raises(ValueError, match="pruned prefix"):
            lifecycle_rules(30, (bad,))
