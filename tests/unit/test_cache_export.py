"""The ElastiCache export: the function's code against moto's S3 and botocore's Stubber for ElastiCache
(moto keeps no snapshot times and has no CopySnapshot to S3), and the component in the prod plan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from components.backups import cache_export_handler as handler
from stacks.backups import after_window
from tests.support import of_type, one

BUCKET = "platform-test-backups-us-east-1-123456789012"
GROUP = "platform-test-redis"
NOW = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield boto3.client("elasticache", region_name="us-east-1"), s3


def _snapshot(name: str, hours_ago: int, status: str = "available") -> dict[str, Any]:
    return {
        "SnapshotName": name,
        "SnapshotStatus": status,
        "SnapshotSource": "automated",
        "NodeSnapshots": [{"CacheClusterId": f"{GROUP}-001", "SnapshotCreateTime": NOW - timedelta(hours=hours_ago)}],
    }


def _listing(stubber: Stubber, *snapshots: dict[str, Any]) -> None:
    stubber.add_response(
        "describe_snapshots",
        {"Snapshots": list(snapshots)},
        {"ReplicationGroupId": GROUP, "SnapshotSource": "system"},
    )


def test_the_newest_available_snapshot_is_exported_into_the_prefix(clients: tuple[Any, Any]) -> None:
    elasticache, s3 = clients
    newest = "automatic.platform-test-redis-2026-12-02-02-10"
    with Stubber(elasticache) as stubber:
        _listing(
            stubber,
            _snapshot("automatic.platform-test-redis-2026-12-01-02-10", 25),
            _snapshot(newest, 1),
            _snapshot("automatic.platform-test-redis-2026-12-02-03-00", 0, status="creating"),
        )
        stubber.add_response(
            "copy_snapshot",
            {"Snapshot": {"SnapshotName": f"elasticache/{newest}"}},
            {"SourceSnapshotName": newest, "TargetSnapshotName": f"elasticache/{newest}", "TargetBucket": BUCKET},
        )
        assert handler.export(elasticache, s3, GROUP, BUCKET) == {"snapshot": newest, "result": "export started"}
        stubber.assert_no_pending_responses()


def test_a_snapshot_exported_already_is_not_exported_again(clients: tuple[Any, Any]) -> None:
    elasticache, s3 = clients
    name = "automatic.platform-test-redis-2026-12-02-02-10"
    s3.put_object(Bucket=BUCKET, Key=f"elasticache/{name}-0001.rdb", Body=b"REDIS0011")
    with Stubber(elasticache) as stubber:
        _listing(stubber, _snapshot(name, 1))
        assert handler.export(elasticache, s3, GROUP, BUCKET) == {"snapshot": name, "result": "already exported"}
        stubber.assert_no_pending_responses()  # and no copy_snapshot was called: the stubber would refuse it


def test_no_snapshot_is_an_error_naming_the_group(clients: tuple[Any, Any]) -> None:
    elasticache, s3 = clients
    with Stubber(elasticache) as stubber:
        _listing(stubber, _snapshot("automatic.x", 1, status="failed"))
        with pytest.raises(RuntimeError, match=GROUP):
            handler.export(elasticache, s3, GROUP, BUCKET)


@pytest.mark.parametrize(
    ("window", "schedule"),
    [("02:00-03:00", "cron(30 3 * * ? *)"), ("23:00-23:45", "cron(15 0 * * ? *)")],
)
def test_the_export_runs_after_the_snapshot_window(window: str, schedule: str) -> None:
    assert after_window(window, minutes=30) == schedule


def test_prod_exports_redis_daily_into_the_replicated_bucket(planned: Any) -> None:
    _, resources = planned("prod")
    function = one(resources, "aws:lambda/function:Function", "cache-export-function")
    assert function["inputs"]["environment"]["variables"] == {
        "REPLICATION_GROUP_ID": "platform-prod-redis",
        "BUCKET": "platform-prod-backups-us-east-1-123456789012",
    }
    code = function["inputs"]["code"]["assets"]["cache_export_handler.py"]["text"]
    assert "def handler(" in code and "copy_snapshot" in code, "the function ships the handler module"
    schedule = one(resources, "aws:scheduler/schedule:Schedule", "cache-export-daily")
    assert schedule["inputs"]["scheduleExpression"] == "cron(30 3 * * ? *)"
    assert schedule["inputs"]["target"]["arn"] == function["outputs"]["arn"]
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "cache-export-function")
    statements = json.loads(role_policy["inputs"]["policy"])["Statement"]
    copy = next(s for s in statements if s["Sid"] == "ExportThisGroupsSnapshots")
    assert copy["Resource"][1].endswith(":replicationgroup:platform-prod-redis")
    bucket_policy = next(
        p for p in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy") if p["urn"].endswith("::backups-primary")
    )
    grants = [s for s in json.loads(bucket_policy["inputs"]["policy"])["Statement"] if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in grants} == {"us-east-1.elasticache-snapshot.amazonaws.com"}
    assert any(s["Resource"].endswith("/elasticache/*") for s in grants)
