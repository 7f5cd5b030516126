"""The backup age function: its code against botocore's Stubber for AWS Backup (moto has no
ListRecoveryPointsByBackupVault) and moto's CloudWatch (the published datums read back), and the
component's least-privilege roles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from components.backups import freshness_handler as handler
from components.backups.freshness import BackupFreshness, BackupFreshnessArgs, WatchedVault
from infra.config.workloads import ProtectionConfig
from tests.support import AWS, Resource, build, of_type, one, policy

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
PRIMARY = "arn:aws:backup:us-east-1:123456789012:backup-vault:platform-prod-vault"
REPLICA = "arn:aws:backup:us-west-2:123456789012:backup-vault:platform-prod-replica-vault"


def point(kind: str, minutes_ago: int, status: str = "COMPLETED", continuous: bool = False) -> dict[str, Any]:
    arn = "arn:aws:backup:us-east-1:123456789012:recovery-point:" + ("continuous:db-1-abc" if continuous else "x1")
    return {
        "RecoveryPointArn": arn,
        "ResourceType": kind,
        "Status": status,
        "CreationDate": NOW - timedelta(minutes=minutes_ago),
    }


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def backup_client(region: str, vault: str, *pages: list[dict[str, Any]]) -> tuple[Any, Stubber]:
    client = boto3.client("backup", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    for index, page in enumerate(pages):
        response: dict[str, Any] = {"RecoveryPoints": page}
        expected: dict[str, Any] = {"BackupVaultName": vault}
        if index + 1 < len(pages):
            response["NextToken"] = f"t{index + 1}"
        if index:
            expected["NextToken"] = f"t{index}"
        stubber.add_response("list_recovery_points_by_backup_vault", response, expected)
    stubber.activate()
    return client, stubber


def test_the_newest_completed_snapshot_of_each_type_is_published(cloudwatch: Any) -> None:
    primary, primary_stub = backup_client(
        "us-east-1",
        "platform-prod-vault",
        [point("DocumentDB", 130), point("DocumentDB", 20), point("RDS", 600)],
        # The next page: an older one, one still running, a continuous point (its date is when it began).
        [point("DocumentDB", 300), point("DocumentDB", 1, status="CREATING"), point("RDS", 0, continuous=True)],
    )
    replica, replica_stub = backup_client("us-west-2", "platform-prod-replica-vault", [point("DocumentDB", 95)])
    vaults = [{"arn": PRIMARY, "location": "primary"}, {"arn": REPLICA, "location": "backup-region"}]
    published = handler.measure({"us-east-1": primary, "us-west-2": replica}, cloudwatch, vaults, NOW)
    primary_stub.assert_no_pending_responses()
    replica_stub.assert_no_pending_responses()
    assert published == {
        "platform-prod-vault": {"DocumentDB": 1200.0, "RDS": 36000.0},
        "platform-prod-replica-vault": {"DocumentDB": 5700.0},
    }
    listed = cloudwatch.list_metrics(Namespace="Platform/Backups")["Metrics"]
    dimensions = sorted(tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in listed)
    assert dimensions == [
        (
            ("BackupVaultName", "platform-prod-replica-vault"),
            ("Location", "backup-region"),
            ("ResourceType", "DocumentDB"),
        ),
        (("BackupVaultName", "platform-prod-vault"), ("Location", "primary"), ("ResourceType", "DocumentDB")),
        (("BackupVaultName", "platform-prod-vault"), ("Location", "primary"), ("ResourceType", "RDS")),
    ]
    stats = cloudwatch.get_metric_statistics(
        Namespace="Platform/Backups",
        MetricName="RecoveryPointAgeSeconds",
        Dimensions=[
            {"Name": "BackupVaultName", "Value": "platform-prod-vault"},
            {"Name": "Location", "Value": "primary"},
            {"Name": "ResourceType", "Value": "DocumentDB"},
        ],
        StartTime=NOW - timedelta(minutes=5),
        EndTime=NOW + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )
    assert [d["Maximum"] for d in stats["Datapoints"]] == [1200.0]


def test_an_empty_vault_publishes_nothing(cloudwatch: Any) -> None:
    empty, _ = backup_client("us-east-1", "platform-prod-vault", [])
    assert handler.measure({"us-east-1": empty}, cloudwatch, [{"arn": PRIMARY, "location": "primary"}], NOW) == {
        "platform-prod-vault": {}
    }
    assert cloudwatch.list_metrics(Namespace="Platform/Backups")["Metrics"] == []


def test_vault_names_and_regions_come_from_the_arn() -> None:
    assert handler.vault_name(REPLICA) == "platform-prod-replica-vault"
    assert handler.vault_region(REPLICA) == "us-west-2"


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    def program() -> None:
        BackupFreshness(
            "backup-freshness",
            BackupFreshnessArgs(
                name_prefix="platform-prod",
                aws=AWS,
                vaults=(WatchedVault(PRIMARY, "primary"), WatchedVault(REPLICA, "backup-region")),
                interval_minutes=5,
                log_retention_days=30,
                protection=ProtectionConfig(),
            ),
        )

    return build(program)


def test_the_function_may_list_two_vaults_and_publish_into_its_namespace_only(resources: list[Resource]) -> None:
    policies = {
        p["urn"].rsplit("::", 1)[1]: policy(p, "policy") for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    }
    statements = {s["Sid"]: s for s in policies["backup-freshness-function"]["Statement"]}
    assert statements["ListTheVaultsRecoveryPoints"]["Resource"] == sorted([PRIMARY, REPLICA])
    assert statements["ListTheVaultsRecoveryPoints"]["Action"] == "backup:ListRecoveryPointsByBackupVault"
    publish = statements["PublishTheAges"]
    assert publish["Action"] == "cloudwatch:PutMetricData" and publish["Resource"] == "*"
    assert publish["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Platform/Backups"}}
    assert statements["OwnLogs"]["Resource"].endswith(":*")
    (schedule_statement,) = policies["backup-freshness-schedule"]["Statement"]
    assert schedule_statement["Action"] == "lambda:InvokeFunction"


def test_the_function_runs_every_five_minutes_with_the_vaults_it_measures(resources: list[Resource]) -> None:
    schedule = one(resources, "aws:scheduler/schedule:Schedule")["inputs"]
    assert schedule["scheduleExpression"] == "rate(5 minutes)"
    function = one(resources, "aws:lambda/function:Function")["inputs"]
    assert function["handler"] == "freshness_handler.handler" and function["runtime"] == "python3.12"
    vaults = json.loads(function["environment"]["variables"]["VAULTS"])
    assert vaults == [{"arn": PRIMARY, "location": "primary"}, {"arn": REPLICA, "location": "backup-region"}]
