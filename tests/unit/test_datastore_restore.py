"""The datastores restored instead of created (``platform:restore``): each starts from the source it is
given, takes from the snapshot what RDS takes from it, keeps this stack's key, protection and final
snapshot, and never lets a later source replace it."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config.backups import DatabaseRestore
from tests.support import of_type, one
from tests.unit.datastores import KEY_ARN
from tests.unit.test_documentdb import documentdb
from tests.unit.test_postgres import postgres
from tests.unit.test_redis import redis

SNAPSHOT_ARN = "arn:aws:rds:us-west-2:123456789012:snapshot:awsbackup:copyjob-11111111-2222-3333-4444-555555555555"
CLUSTER_SNAPSHOT_ARN = (
    "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:awsbackup:copyjob-11111111-2222-3333-4444-555555555555"
)
BACKUPS_ARN = "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-abcdefghijklmnopqrstuvwxyz0123456789"
POINT = "2026-12-01T01:30:00Z"
FROM_SNAPSHOT = DatabaseRestore(snapshot="latest")
TO_POINT = DatabaseRestore(point_in_time=POINT)


def instance(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return one(resources, "aws:rds/instance:Instance")


@pytest.fixture(scope="module")
def postgres_from_snapshot() -> list[dict[str, Any]]:
    return postgres(restore=FROM_SNAPSHOT, restore_from=SNAPSHOT_ARN)


def test_postgres_restores_from_a_copy_of_the_snapshot_under_this_stacks_key(
    postgres_from_snapshot: list[dict[str, Any]],
) -> None:
    copy = one(postgres_from_snapshot, "aws:rds/snapshotCopy:SnapshotCopy")["inputs"]
    assert copy["sourceDbSnapshotIdentifier"] == SNAPSHOT_ARN
    assert copy["kmsKeyId"] == KEY_ARN, "RDS cannot change the key of what it restores: the copy does"
    db = instance(postgres_from_snapshot)["inputs"]
    assert db["snapshotIdentifier"] == copy["targetDbSnapshotIdentifier"] == "platform-test-postgres-restore"
    assert db["storageEncrypted"] is True and db["kmsKeyId"] == KEY_ARN
    assert "restoreToPointInTime" not in db


def test_postgres_from_a_snapshot_takes_its_database_and_user_and_gets_a_managed_password(
    postgres_from_snapshot: list[dict[str, Any]],
) -> None:
    db = instance(postgres_from_snapshot)
    assert "dbName" not in db["inputs"] and "username" not in db["inputs"]
    # RDS's managed password replaces the snapshot's right after the restore: its secret stays true.
    assert db["inputs"]["manageMasterUserPassword"] is True and "password" not in db["inputs"]
    assert one(postgres_from_snapshot, "aws:secretsmanager/secret:Secret")


def test_postgres_restored_keeps_protection_final_snapshot_and_tags() -> None:
    db = instance(postgres(restore=FROM_SNAPSHOT, restore_from=SNAPSHOT_ARN, tags={"platform:backup": "x"}))
    inputs = db["inputs"]
    assert inputs["deletionProtection"] is True and db["protect"] is True
    assert inputs["skipFinalSnapshot"] is False and inputs["finalSnapshotIdentifier"] == "platform-test-postgres-final"
    assert inputs["tags"] == {"platform:backup": "x"}
    assert inputs["backupRetentionPeriod"] == 30 and inputs["multiAz"] is True


def test_postgres_source_matters_at_creation_only(postgres_from_snapshot: list[dict[str, Any]]) -> None:
    assert instance(postgres_from_snapshot)["ignoreChanges"] == ["restoreToPointInTime", "snapshotIdentifier"]
    copy = one(postgres_from_snapshot, "aws:rds/snapshotCopy:SnapshotCopy")
    assert copy["ignoreChanges"] == ["sourceDbSnapshotIdentifier"], "a newer 'latest' must not copy again"


@pytest.mark.parametrize(
    ("source", "key"),
    [
        (BACKUPS_ARN, "sourceDbInstanceAutomatedBackupsArn"),
        ("platform-prod-postgres", "sourceDbInstanceIdentifier"),
    ],
)
def test_postgres_to_a_point_in_time_of_its_source(source: str, key: str) -> None:
    resources = postgres(restore=TO_POINT, restore_from=source)
    db = instance(resources)["inputs"]
    assert db["restoreToPointInTime"] == {"restoreTime": POINT, key: source}
    assert "snapshotIdentifier" not in db and not of_type(resources, "aws:rds/snapshotCopy:SnapshotCopy")
    assert "dbName" not in db and "username" not in db and db["manageMasterUserPassword"] is True
    # The instance keeps the key of the backups it comes from; asking for another would replace it.
    assert "kmsKeyId" not in db and db["storageEncrypted"] is True


def test_postgres_created_empty_sets_what_a_restore_takes_from_its_source() -> None:
    db = instance(postgres())
    assert db["inputs"]["dbName"] == "users" and db["inputs"]["username"] == "users_admin"
    assert db["inputs"]["kmsKeyId"] == KEY_ARN and "snapshotIdentifier" not in db["inputs"]
    assert not db.get("ignoreChanges")


@pytest.mark.parametrize("build", [postgres, documentdb])
def test_a_restore_without_a_resolved_source_is_refused(build: Any) -> None:
    with pytest.raises(ValueError, match="restore_from"):
        build(restore=FROM_SNAPSHOT)


def test_documentdb_restores_from_the_cluster_snapshot_under_this_stacks_key() -> None:
    resources = documentdb(restore=FROM_SNAPSHOT, restore_from=CLUSTER_SNAPSHOT_ARN)
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    inputs = cluster["inputs"]
    assert inputs["snapshotIdentifier"] == CLUSTER_SNAPSHOT_ARN
    assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] == KEY_ARN
    assert "masterUsername" not in inputs and inputs["manageMasterUserPassword"] is True
    assert "masterPassword" not in inputs
    assert inputs["deletionProtection"] is True and cluster["protect"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert cluster["ignoreChanges"] == ["snapshotIdentifier"]
    assert len(of_type(resources, "aws:docdb/clusterInstance:ClusterInstance")) == 3


def test_documentdb_created_empty_names_its_master_user() -> None:
    cluster = one(documentdb(), "aws:docdb/cluster:Cluster")
    assert cluster["inputs"]["masterUsername"] == "analytics_admin" and "snapshotIdentifier" not in cluster["inputs"]


def test_redis_restores_from_the_named_snapshot_under_this_stacks_key() -> None:
    group = one(
        redis(restore=DatabaseRestore(snapshot="platform-prod-redis-dr")),
        "aws:elasticache/replicationGroup:ReplicationGroup",
    )
    inputs = group["inputs"]
    assert inputs["snapshotName"] == "platform-prod-redis-dr"
    assert inputs["atRestEncryptionEnabled"] is True and inputs["kmsKeyId"] == KEY_ARN
    assert inputs["transitEncryptionEnabled"] is True and "authToken" in inputs
    assert group["protect"] is True and group["ignoreChanges"] == ["authToken", "snapshotName"]


def test_redis_created_empty_has_no_snapshot() -> None:
    group = one(redis(), "aws:elasticache/replicationGroup:ReplicationGroup")
    # Only the token is the rotation function's; nothing about a snapshot is ignored.
    assert "snapshotName" not in group["inputs"] and group.get("ignoreChanges") == ["authToken"]
