"""Fake AWS credentials for every test here (nothing reaches the network), and a moto account."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from tests.dr.support import (
    BACKUP,
    BACKUP_PLAN,
    COPY_VAULT,
    COPY_VAULT_ARN,
    POSTGRES,
    PRIMARY,
    REPLICA_BUCKET,
    SOURCE_BUCKET,
    VAULT,
)
from tools.dr.aws import Clients, session_clients


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": PRIMARY,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def clients() -> Iterator[Clients]:
    """boto3 clients of one session, answered by moto."""
    with mock_aws():
        yield session_clients()


def network(clients: Clients) -> tuple[str, list[str]]:
    ec2 = clients("ec2", PRIMARY)
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"{PRIMARY}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    return vpc, subnets


def postgres(clients: Clients) -> dict[str, Any]:
    """The source instance in moto, with its subnet group."""
    _, subnets = network(clients)
    rds = clients("rds", PRIMARY)
    rds.create_db_subnet_group(DBSubnetGroupName=POSTGRES, DBSubnetGroupDescription="postgres", SubnetIds=subnets)
    return rds.create_db_instance(
        DBInstanceIdentifier=POSTGRES,
        Engine="postgres",
        DBInstanceClass="db.r6g.large",
        AllocatedStorage=100,
        MasterUsername="users_admin",
        MasterUserPassword="not-a-real-password",
        DBSubnetGroupName=POSTGRES,
        BackupRetentionPeriod=30,
        StorageEncrypted=True,
    )["DBInstance"]


def account(clients: Clients, *, locked: bool = True, retention: int = 30, replication: bool = True) -> None:
    """A deployed prod account in moto: the instance, both vaults, the backup plan, the buckets."""
    postgres(clients)
    for region, name in ((PRIMARY, VAULT), (BACKUP, COPY_VAULT)):
        backup = clients("backup", region)
        backup.create_backup_vault(BackupVaultName=name)
        if locked:
            backup.put_backup_vault_lock_configuration(BackupVaultName=name, MinRetentionDays=30)
    clients("backup", PRIMARY).create_backup_plan(
        BackupPlan={
            "BackupPlanName": BACKUP_PLAN,
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": VAULT,
                    "ScheduleExpression": "cron(0 2 * * ? *)",
                    "EnableContinuousBackup": True,
                    "Lifecycle": {"DeleteAfterDays": retention},
                    "CopyActions": [
                        {"DestinationBackupVaultArn": COPY_VAULT_ARN, "Lifecycle": {"DeleteAfterDays": retention}}
                    ],
                }
            ],
        }
    )
    source, replica = clients("s3", PRIMARY), clients("s3", BACKUP)
    source.create_bucket(Bucket=SOURCE_BUCKET)
    replica.create_bucket(Bucket=REPLICA_BUCKET, CreateBucketConfiguration={"LocationConstraint": BACKUP})
    for s3, bucket in ((source, SOURCE_BUCKET), (replica, REPLICA_BUCKET)):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if replication:
        replicate(clients)
    source.put_object(Bucket=SOURCE_BUCKET, Key="reports/newest.json", Body=b"{}")


def replicate(clients: Clients, *, rtc: bool = True) -> None:
    destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{REPLICA_BUCKET}"}
    if rtc:
        destination["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": 15}}
        destination["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    clients("s3", PRIMARY).put_bucket_replication(
        Bucket=SOURCE_BUCKET,
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [
                {
                    "ID": "all",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": destination,
                }
            ],
        },
    )


def minutes_ago(now: datetime, minutes: float) -> datetime:
    return now - timedelta(minutes=minutes)


@pytest.fixture
def now() -> datetime:
    """A little after moto's clock (its point-in-time window ends at the moment it is asked)."""
    return datetime.now(UTC) + timedelta(minutes=1)


_PLANS: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def plans_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dr commands plan their stack offline first; a committed stack is planned once per session here
    (its plan cannot change within a run), a stack given by --config-file every time."""
    from tools import cli
    from tools.plan import plan_stack

    def cached(stack: str, config_file: Path | None = None, out: Path | None = None) -> Any:
        if config_file is not None:
            return plan_stack(stack, config_file, out)
        if stack not in _PLANS:
            _PLANS[stack] = plan_stack(stack, None, out)
        return _PLANS[stack]

    monkeypatch.setattr(cli, "plan_stack", cached)
