"""``tools.dr.verify`` against a moto account. moto answers RDS, S3 (buckets, versioning, replication
configuration, objects), AWS Backup vaults, vault locks and backup plans; botocore's ``Stubber``
(``PartialStubber``, validated against the service model) answers what moto lacks: AWS Backup's
recovery points and copies, ``HeadObject``'s ``ReplicationStatus``, ElastiCache's snapshot times and
DocumentDB's cluster (see ``support.py``)."""

from __future__ import annotations

from datetime import datetime

import pytest

from infra.config.backups import BackupsConfig
from tests.dr.conftest import account, minutes_ago, replicate
from tests.dr.support import (
    BACKUP,
    DOCDB,
    DOCDB_ARN,
    POSTGRES,
    PRIMARY,
    REDIS,
    REPLICA_BUCKET,
    SOURCE_BUCKET,
    PartialStubber,
    copy_point,
    plan_resources,
    recovery_point,
)
from tools.dr.aws import AwsError, Clients
from tools.dr.targets import read_targets
from tools.dr.verify import Finding, format_json, format_text, verify

PROD = BackupsConfig()  # the system's requirements: RPO 60 min, copy lag 120 min, 30 days, vault lock


def stub(
    clients: Clients,
    now: datetime,
    *,
    point_age: float | None = 20,
    copy_age: float | None = 90,
    replication_status: str = "COMPLETED",
) -> None:
    """Queue what moto lacks for one postgres datastore and one replicated bucket."""
    points = PartialStubber(clients("backup", PRIMARY))
    points.add_response(
        "list_recovery_points_by_resource",
        {"RecoveryPoints": [] if point_age is None else [recovery_point(minutes_ago(now, point_age))]},
    )
    points.activate()
    copies = PartialStubber(clients("backup", BACKUP))
    copies.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [] if copy_age is None else [copy_point(minutes_ago(now, copy_age))]},
    )
    copies.activate()
    s3 = PartialStubber(clients("s3", PRIMARY))
    s3.add_response("head_object", {"ReplicationStatus": replication_status, "ContentLength": 2})
    s3.activate()


def run(clients: Clients, now: datetime, config: BackupsConfig = PROD, **plan: object) -> list[Finding]:
    return verify(read_targets(plan_resources(**plan), PRIMARY), config, BACKUP, now, clients)  # type: ignore[arg-type]


def breaches(findings: list[Finding]) -> list[str]:
    return [f"{f.resource}: {f.check}: {f.detail}" for f in findings if not f.met]


def test_a_fresh_backup_passes(clients: Clients, now: datetime) -> None:
    account(clients)
    stub(clients, now)
    findings = run(clients, now)
    assert breaches(findings) == []
    checks = {(f.resource.split(" ")[0], f.check.split(" ")[0]) for f in findings}
    assert {
        ("postgres", "recovery"),
        ("postgres", "copy"),
        ("bucket", "replication"),
        ("bucket", "versioning"),
        ("bucket", "newest"),
        ("vault", "locked,"),
        ("plan", "retention"),
    } <= checks
    text = format_text(findings, now)
    assert "all met" in text and POSTGRES in text
    assert '"met": true' in format_json(findings, now)


def test_a_recovery_point_older_than_the_rpo_is_a_breach(clients: Clients, now: datetime) -> None:
    account(clients)
    stub(clients, now, point_age=90, copy_age=100)
    # moto's point-in-time window always ends "now" and its automated snapshot is as new as the
    # instance: the RDS view is stubbed too (DescribeDBInstances/DescribeDBSnapshots shapes).
    rds = PartialStubber(clients("rds", PRIMARY))
    rds.add_response(
        "describe_db_instances",
        {"DBInstances": [{"DBInstanceIdentifier": POSTGRES, "LatestRestorableTime": minutes_ago(now, 75)}]},
    )
    rds.add_response(
        "describe_db_snapshots",
        {
            "DBSnapshots": [
                {
                    "DBSnapshotIdentifier": "rds:daily",
                    "Status": "available",
                    "SnapshotCreateTime": minutes_ago(now, 600),
                }
            ]
        },
    )
    rds.activate()
    findings = run(clients, now)
    stale = [f for f in findings if f.check.startswith("recovery point")]
    assert len(stale) == 1 and not stale[0].met
    assert stale[0].age_minutes == pytest.approx(75)
    assert "breach: postgres platform-prod-postgres: recovery point <= 60 min" in format_text(findings, now)


def test_a_missing_cross_region_copy_is_a_breach(clients: Clients, now: datetime) -> None:
    account(clients)
    stub(clients, now, copy_age=None)
    assert breaches(run(clients, now)) == [
        f"postgres {POSTGRES}: copy in {BACKUP} <= 180 min: no copy in platform-prod-copy"
    ]


def test_a_copy_older_than_rpo_plus_copy_lag_is_a_breach(clients: Clients, now: datetime) -> None:
    account(clients)
    stub(clients, now, copy_age=181)
    assert breaches(run(clients, now)) == [
        f"postgres {POSTGRES}: copy in {BACKUP} <= 180 min: the newest copy is too old"
    ]


def test_replication_switched_off_is_a_breach(clients: Clients, now: datetime) -> None:
    account(clients)
    stub(clients, now)
    clients("s3", PRIMARY).delete_bucket_replication(Bucket=SOURCE_BUCKET)
    found = breaches(run(clients, now))
    assert found == [
        f"bucket {SOURCE_BUCKET}: replication to platform-prod-data-replica with RTC: "
        "no enabled replication rule to platform-prod-data-replica"
    ]


def test_replication_without_replication_time_control_is_a_breach(clients: Clients, now: datetime) -> None:
    account(clients, replication=False)
    replicate(clients, rtc=False)
    stub(clients, now)
    assert breaches(run(clients, now)) == [
        f"bucket {SOURCE_BUCKET}: replication to platform-prod-data-replica with RTC: Replication Time Control is off"
    ]


def test_versioning_suspended_and_an_object_not_replicated_are_breaches(clients: Clients, now: datetime) -> None:
    account(clients)
    stub(clients, now, replication_status="FAILED")
    clients("s3", BACKUP).put_bucket_versioning(
        Bucket="platform-prod-data-replica", VersioningConfiguration={"Status": "Suspended"}
    )
    assert breaches(run(clients, now)) == [
        f"bucket {SOURCE_BUCKET}: versioning on both buckets: versioning off: platform-prod-data-replica",
        f"bucket {SOURCE_BUCKET}: newest object replicated: reports/newest.json: FAILED",
    ]


def test_retention_shorter_than_configured_is_a_breach(clients: Clients, now: datetime) -> None:
    account(clients, retention=7)
    stub(clients, now)
    assert breaches(run(clients, now, delete_after=7)) == [
        "plan platform-prod-daily/daily: retention >= 30 days (plan): kept 7 days; copy kept 7 days",
        "plan platform-prod-daily: retention >= 30 days (account): daily: kept 7 days; daily: copy kept 7 days",
    ]


def test_a_vault_not_locked_in_prod_is_a_breach(clients: Clients, now: datetime) -> None:
    account(clients, locked=False)
    stub(clients, now)
    assert breaches(run(clients, now, locks=False)) == [
        f"vault {name}: locked, min retention >= 30 days: the plan has no VaultLockConfiguration for it; not locked"
        for name in ("platform-prod (us-east-1)", "platform-prod-copy (us-west-2)")
    ]


def test_an_unlocked_vault_is_fine_where_the_config_does_not_lock(clients: Clients, now: datetime) -> None:
    account(clients, locked=False)
    stub(clients, now)
    assert breaches(run(clients, now, BackupsConfig(vault_lock=False), locks=False)) == []


def test_documentdb_and_redis_recovery_points(clients: Clients, now: datetime) -> None:
    """moto refuses the docdb engine and keeps no ElastiCache snapshot times: both are stubbed."""
    account(clients)
    backup = PartialStubber(clients("backup", PRIMARY))
    backup.add_response("list_recovery_points_by_resource", {"RecoveryPoints": [recovery_point(minutes_ago(now, 30))]})
    backup.add_response(
        "list_recovery_points_by_resource", {"RecoveryPoints": [recovery_point(minutes_ago(now, 30), arn=DOCDB_ARN)]}
    )
    backup.activate()
    copies = PartialStubber(clients("backup", BACKUP))
    copies.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [copy_point(minutes_ago(now, 100))]})
    copies.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": []},
        {"BackupVaultName": "platform-prod-copy", "ByResourceArn": DOCDB_ARN},
    )
    copies.activate()
    docdb = PartialStubber(clients("docdb", PRIMARY))
    docdb.add_response(
        "describe_db_clusters",
        {"DBClusters": [{"DBClusterIdentifier": DOCDB, "LatestRestorableTime": minutes_ago(now, 5)}]},
    )
    docdb.activate()
    redis = PartialStubber(clients("elasticache", PRIMARY))
    redis.add_response(
        "describe_snapshots",
        {
            "Snapshots": [
                {
                    "SnapshotName": "automatic.platform-prod-redis-2026",
                    "SnapshotStatus": "available",
                    "NodeSnapshots": [{"CacheClusterId": f"{REDIS}-001", "SnapshotCreateTime": minutes_ago(now, 1600)}],
                }
            ]
        },
    )
    redis.activate()
    s3 = PartialStubber(clients("s3", PRIMARY))
    s3.add_response("head_object", {"ReplicationStatus": "COMPLETED"})
    s3.activate()
    findings = run(clients, now, datastores=("postgres", "documentdb", "redis"))
    assert breaches(findings) == [
        f"documentdb {DOCDB}: copy in {BACKUP} <= 180 min: no copy in platform-prod-copy",
        f"redis {REDIS}: recovery point <= 1500 min: ElastiCache snapshot (daily)",
    ]
    # A cache is held to its daily snapshot (a day and an hour), not to the data's RPO of 60 minutes.
    docdb_point = next(f for f in findings if f.resource == f"documentdb {DOCDB}" and f.check.startswith("recovery"))
    assert docdb_point.met and docdb_point.age_minutes == pytest.approx(5)


def test_an_aws_error_names_the_call_and_the_resource(clients: Clients, now: datetime) -> None:
    account(clients)
    denied = PartialStubber(clients("backup", PRIMARY))
    denied.add_client_error(
        "list_recovery_points_by_resource",
        "AccessDeniedException",
        "not authorized to perform backup:ListRecoveryPointsByResource\non this resource",
        403,
    )
    denied.activate()
    with pytest.raises(AwsError) as raised:
        run(clients, now)
    message = str(raised.value)
    assert message == (
        f"backup.list_recovery_points_by_resource ({POSTGRES}, {PRIMARY}): AccessDeniedException: "
        "not authorized to perform backup:ListRecoveryPointsByResource on this resource"
    )
    assert not raised.value.bad_input


def test_no_credentials_is_bad_input(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key)
    from tools.dr.aws import session_clients

    with pytest.raises(AwsError) as raised:
        run(session_clients(), now)
    assert raised.value.bad_input and "list_recovery_points_by_resource" in str(raised.value)
    assert "Unable to locate credentials" in str(raised.value)


def _copy_snapshot_to_backup_region(clients: Clients, name: str) -> None:
    rds = clients("rds", PRIMARY)
    snapshot = rds.create_db_snapshot(DBInstanceIdentifier=POSTGRES, DBSnapshotIdentifier=name)["DBSnapshot"]
    clients("rds", BACKUP).copy_db_snapshot(
        SourceDBSnapshotIdentifier=snapshot["DBSnapshotArn"],
        TargetDBSnapshotIdentifier=f"{name}-copy",
        SourceRegion=PRIMARY,
    )


def test_an_account_with_only_native_evidence_passes_and_fails_on_its_own(clients: Clients, now: datetime) -> None:
    """moto alone, nothing stubbed: AWS Backup's listings are not implemented there (404), so the RDS
    snapshot copied to the backup region is the copy, and the object found in the replica is replicated."""
    account(clients)
    findings = run(clients, now)
    assert breaches(findings) == [
        f"postgres {POSTGRES}: copy in {BACKUP} <= 180 min: no copy in platform-prod-copy",
        f"bucket {SOURCE_BUCKET}: newest object replicated: reports/newest.json: none",
    ]
    _copy_snapshot_to_backup_region(clients, "daily")
    body = clients("s3", PRIMARY).get_object(Bucket=SOURCE_BUCKET, Key="reports/newest.json")["Body"].read()
    clients("s3", BACKUP).put_object(Bucket=REPLICA_BUCKET, Key="reports/newest.json", Body=body)
    assert breaches(run(clients, now)) == []
