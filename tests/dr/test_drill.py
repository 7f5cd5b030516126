"""``tools.dr.drill`` and ``infra dr drill`` against moto's RDS and EC2 (moto supports
``restore_db_instance_from_db_snapshot``; its restored instance is available at once). DocumentDB's
drill is covered by its dry run only: moto refuses the docdb engine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from tests.dr.conftest import postgres
from tests.dr.support import POSTGRES, PRIMARY
from tools import cli
from tools.dr.aws import AwsError, Clients
from tools.dr.drill import DrillError, DrillSource, drill

SOURCE = DrillSource("postgres", POSTGRES, PRIMARY)
WHEN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
COPY = f"{POSTGRES}-drill-20261201030000"


def snapshot(clients: Clients, name: str = "before-the-drill") -> str:
    clients("rds", PRIMARY).create_db_snapshot(DBInstanceIdentifier=POSTGRES, DBSnapshotIdentifier=name)
    return name


def leftovers(clients: Clients) -> list[str]:
    """Whatever the drill could have left behind: instances, subnet groups, security groups."""
    rds, ec2 = clients("rds", PRIMARY), clients("ec2", PRIMARY)
    found = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    found += [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]]
    found += [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]
    return sorted(name for name in found if "drill" in name)


def test_the_drill_restores_the_newest_snapshot_into_an_isolated_copy_and_times_it(clients: Clients) -> None:
    postgres(clients)
    name = snapshot(clients)
    seen: dict[str, Any] = {}
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if "elapsed" in line:  # while the copy exists: look at it
            rds, ec2 = clients("rds", PRIMARY), clients("ec2", PRIMARY)
            seen["copy"] = rds.describe_db_instances(DBInstanceIdentifier=COPY)["DBInstances"][0]
            groups = [g["VpcSecurityGroupId"] for g in seen["copy"]["VpcSecurityGroups"]]
            seen["groups"] = ec2.describe_security_groups(GroupIds=groups)["SecurityGroups"]

    requested: dict[str, Any] = {}
    clients("rds", PRIMARY).meta.events.register(
        "before-parameter-build.rds.RestoreDBInstanceFromDBSnapshot", lambda params, **_: requested.update(params)
    )
    ticks = itertools.count(0, 150)  # restore requested at 0 s, first poll at 150 s, available at 300 s
    result = drill(
        SOURCE, clients, timeout_minutes=60, now=WHEN, echo=echo, clock=lambda: next(ticks), sleep=lambda _: None
    )

    assert (result.copy, result.snapshot, result.seconds) == (COPY, name, 300)
    assert result.within(240) and not result.within(4)
    copy = seen["copy"]
    assert requested["PubliclyAccessible"] is False and requested["DBSnapshotIdentifier"] == name
    assert copy.get("PubliclyAccessible", False) is False  # moto leaves the key out when false
    assert copy["DBSubnetGroup"]["DBSubnetGroupName"] == COPY
    assert [g["GroupName"] for g in seen["groups"]] == [COPY]
    assert seen["groups"][0]["IpPermissions"] == []  # no ingress rules
    assert f"  2:30 elapsed: {COPY} available" in lines
    assert result.deleted == [
        f"RDS instance {COPY}",
        f"security group {seen['groups'][0]['GroupId']}",
        f"DB subnet group {COPY}",
    ]
    assert leftovers(clients) == []


def test_an_interrupt_in_the_middle_deletes_the_copy_its_subnet_group_and_security_group(clients: Clients) -> None:
    postgres(clients)
    snapshot(clients)

    def echo(line: str) -> None:
        if "elapsed" in line:
            assert leftovers(clients) == [COPY, COPY, COPY]  # instance, subnet group, security group
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        drill(SOURCE, clients, timeout_minutes=60, now=WHEN, echo=echo, sleep=lambda _: None)
    assert leftovers(clients) == []


def test_a_failed_restore_deletes_the_subnet_group_and_security_group(clients: Clients) -> None:
    postgres(clients)
    snapshot(clients)
    rds = clients("rds", PRIMARY)

    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "StorageQuotaExceeded", "Message": "quota"}}, "RestoreDBInstanceFromDBSnapshot"
        )

    rds.meta.events.register("before-call.rds.RestoreDBInstanceFromDBSnapshot", refuse)
    lines: list[str] = []
    with pytest.raises(
        AwsError, match=r"rds.restore_db_instance_from_db_snapshot \(.*-drill-.*, us-east-1\): StorageQuotaExceeded"
    ):
        drill(SOURCE, clients, timeout_minutes=60, now=WHEN, echo=lines.append)
    assert leftovers(clients) == []
    assert [line.split(" ")[0:3] for line in lines[-2:]] == [
        ["deleted", "security", "group"],
        ["deleted", "DB", "subnet"],
    ]


def test_no_snapshot_is_a_drill_error_and_creates_nothing(clients: Clients) -> None:
    postgres(clients)
    rds = clients("rds", PRIMARY)
    for found in rds.describe_db_snapshots(DBInstanceIdentifier=POSTGRES)["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=found["DBSnapshotIdentifier"])
    with pytest.raises(DrillError, match="has no available snapshot"):
        drill(SOURCE, clients, timeout_minutes=60, now=WHEN, echo=lambda _: None)
    assert leftovers(clients) == []


def test_infra_dr_drill_restores_and_exits_0_within_the_rto(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    postgres(clients)
    snapshot(clients)
    monkeypatch.setattr(cli, "dr_clients", lambda: clients)
    result = CliRunner().invoke(cli.app, ["dr", "drill", "--stack", "prod", "--datastore", "postgres"])
    assert result.exit_code == 0, result.output
    assert "elapsed: platform-prod-postgres-drill-" in result.output
    assert "within the RTO of 240 min" in result.output
    assert leftovers(clients) == []


def test_infra_dr_drill_fails_with_exit_1_and_one_line(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    postgres(clients)  # no snapshot to restore
    for found in clients("rds", PRIMARY).describe_db_snapshots(DBInstanceIdentifier=POSTGRES)["DBSnapshots"]:
        clients("rds", PRIMARY).delete_db_snapshot(DBSnapshotIdentifier=found["DBSnapshotIdentifier"])
    monkeypatch.setattr(cli, "dr_clients", lambda: clients)
    result = CliRunner().invoke(cli.app, ["dr", "drill", "--stack", "prod", "--datastore", "postgres"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: drill failed: platform-prod-postgres (us-east-1) has no available snapshot to restore"
    ]


@pytest.mark.parametrize("datastore", ["postgres", "documentdb"])
def test_a_dry_run_prints_the_steps_and_creates_nothing(
    clients: Clients, monkeypatch: pytest.MonkeyPatch, datastore: str
) -> None:
    postgres(clients)
    snapshot(clients)

    def no_clients() -> Any:
        raise AssertionError("a dry run must not make AWS clients")

    monkeypatch.setattr(cli, "dr_clients", no_clients)
    result = CliRunner().invoke(cli.app, ["dr", "drill", "--stack", "prod", "--datastore", datastore, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: nothing is called" in result.output
    assert "with no ingress rules" in result.output and "delete DB subnet group" in result.output
    assert leftovers(clients) == []
    assert [i["DBInstanceIdentifier"] for i in clients("rds", PRIMARY).describe_db_instances()["DBInstances"]] == [
        POSTGRES
    ]
