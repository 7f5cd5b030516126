"""``infra dr drill``: restore a datastore's newest snapshot into an isolated copy, time it, delete it.

The copy gets its own DB subnet group over the source's subnets and a new security group with no
ingress rules, is not publicly accessible, and is named ``<identifier>-drill-<UTC timestamp>``. Whatever
was created is deleted in a ``finally`` (newest first), also after a failed step or a KeyboardInterrupt:
the instance (no final snapshot, no retained automated backups), for DocumentDB the cluster, then the
subnet group and the security group.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tools.dr.aws import AwsError, Clients, call, items

KINDS = ("postgres", "documentdb")
FAILED_STATES = frozenset({"failed", "incompatible-restore", "incompatible-parameters", "incompatible-network"})
TAG = "platform:drill-of"


class DrillError(RuntimeError):
    """The drill failed (no snapshot, a restore that failed or timed out). One line."""


@dataclass(frozen=True)
class DrillSource:
    kind: str  # postgres (RDS instance) or documentdb (DocumentDB cluster)
    identifier: str
    region: str


@dataclass
class DrillResult:
    copy: str
    snapshot: str = ""
    seconds: float | None = None  # from the restore request until the copy was available
    deleted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # clean-up steps that failed

    def within(self, rto_minutes: int) -> bool:
        return self.seconds is not None and self.seconds <= rto_minutes * 60 and not self.problems


def copy_name(identifier: str, now: datetime) -> str:
    suffix = f"-drill-{now.astimezone(UTC):%Y%m%d%H%M%S}"
    return identifier[: 63 - len(suffix) - 2].rstrip("-") + suffix  # RDS: 63 characters (docdb: -1 appended)


def steps(source: DrillSource, copy: str) -> list[str]:
    """What the drill does, in order (``--dry-run`` prints these and calls nothing)."""
    where = f"in {source.region}"
    if source.kind == "postgres":
        find = f"find the newest available snapshot of RDS instance {source.identifier} (automated, manual, AWS Backup)"
        restore = f"restore it into RDS instance {copy} (PubliclyAccessible=False, single AZ, no deletion protection)"
        wait = f"wait until {copy} is available, a line every poll; record the time against the RTO"
        delete = [f"delete RDS instance {copy} (SkipFinalSnapshot, DeleteAutomatedBackups) and wait until it is gone"]
    else:
        find = f"find the newest available cluster snapshot or AWS Backup recovery point of {source.identifier}"
        restore = f"restore it into DocumentDB cluster {copy} and add instance {copy}-1"
        wait = f"wait until {copy}-1 is available, a line every poll; record the time against the RTO"
        delete = [f"delete instance {copy}-1, then cluster {copy} (SkipFinalSnapshot), each until it is gone"]
    return [
        f"{find} {where}",
        f"create DB subnet group {copy} over the subnets of {source.identifier}",
        f"create security group {copy} in the same VPC, with no ingress rules",
        restore,
        wait,
        *delete,
        f"delete DB subnet group {copy} and security group {copy} (always, also after a failure)",
    ]


def _clock_text(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def drill(
    source: DrillSource,
    clients: Clients,
    *,
    timeout_minutes: float,
    now: datetime | None = None,
    poll_seconds: float = 30.0,
    echo: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DrillResult:
    """Run the drill; raises ``DrillError`` or ``AwsError`` after cleaning up what it created."""
    if source.kind not in KINDS:
        raise DrillError(f"--datastore: {source.kind!r} cannot be drilled (allowed: {', '.join(KINDS)})")
    db = clients("rds" if source.kind == "postgres" else "docdb", source.region)
    ec2 = clients("ec2", source.region)
    result = DrillResult(copy_name(source.identifier, now or datetime.now(UTC)))
    copy = result.copy
    undo: list[tuple[str, Callable[[], None]]] = []
    tags = [{"Key": TAG, "Value": source.identifier}]
    try:
        instance_class, arn, vpc, subnets = _describe_source(db, source)
        result.snapshot = _newest_snapshot(db, clients, source, arn)
        echo(f"restoring {result.snapshot} into {copy}")

        call(
            db,
            "create_db_subnet_group",
            copy,
            DBSubnetGroupName=copy,
            SubnetIds=subnets,
            Tags=tags,
            DBSubnetGroupDescription=f"disaster-recovery drill of {source.identifier}",
        )
        undo.append(
            (f"DB subnet group {copy}", lambda: call(db, "delete_db_subnet_group", copy, DBSubnetGroupName=copy))
        )
        group = call(
            ec2,
            "create_security_group",
            copy,
            GroupName=copy,
            VpcId=vpc,
            Description=f"disaster-recovery drill of {source.identifier}: no ingress",
        )["GroupId"]
        undo.append((f"security group {group}", lambda: call(ec2, "delete_security_group", group, GroupId=group)))

        started = clock()
        if source.kind == "postgres":
            call(
                db,
                "restore_db_instance_from_db_snapshot",
                copy,
                DBInstanceIdentifier=copy,
                DBSnapshotIdentifier=result.snapshot,
                DBInstanceClass=instance_class,
                DBSubnetGroupName=copy,
                VpcSecurityGroupIds=[group],
                PubliclyAccessible=False,
                MultiAZ=False,
                DeletionProtection=False,
                Tags=tags,
            )
            undo.append((f"RDS instance {copy}", lambda: _delete_instance(db, copy, True, poll_seconds, sleep)))
            waited = copy
        else:
            call(
                db,
                "restore_db_cluster_from_snapshot",
                copy,
                DBClusterIdentifier=copy,
                SnapshotIdentifier=result.snapshot,
                Engine="docdb",
                DBSubnetGroupName=copy,
                VpcSecurityGroupIds=[group],
                DeletionProtection=False,
                Tags=tags,
            )
            undo.append((f"DocumentDB cluster {copy}", lambda: _delete_cluster(db, copy, poll_seconds, sleep)))
            waited = f"{copy}-1"
            call(
                db,
                "create_db_instance",
                waited,
                DBInstanceIdentifier=waited,
                DBInstanceClass=instance_class,
                Engine="docdb",
                DBClusterIdentifier=copy,
                Tags=tags,
            )
            undo.append(
                (f"DocumentDB instance {waited}", lambda: _delete_instance(db, waited, False, poll_seconds, sleep))
            )
        _wait_available(db, waited, started, timeout_minutes, poll_seconds, echo, clock, sleep)
        result.seconds = clock() - started
        echo(f"{waited} available after {_clock_text(result.seconds)}")
        return result
    finally:
        for what, step in reversed(undo):
            try:
                step()
                result.deleted.append(what)
                echo(f"deleted {what}")
            except Exception as error:  # keep cleaning: one failure must not leave the rest behind
                result.problems.append(f"could not delete {what}: {error}")
                echo(f"could not delete {what}: {error}")


def _describe_source(db: Any, source: DrillSource) -> tuple[str, str, str, list[str]]:
    """(instance class, ARN, VPC, subnets) of the datastore being drilled."""
    if source.kind == "postgres":
        found = call(db, "describe_db_instances", source.identifier, DBInstanceIdentifier=source.identifier)
        instance = found["DBInstances"][0]
        group = instance["DBSubnetGroup"]
        return instance["DBInstanceClass"], instance["DBInstanceArn"], group["VpcId"], _subnets(group)
    found = call(db, "describe_db_clusters", source.identifier, DBClusterIdentifier=source.identifier)
    cluster = found["DBClusters"][0]
    groups = call(db, "describe_db_subnet_groups", source.identifier, DBSubnetGroupName=cluster["DBSubnetGroup"])
    group = groups["DBSubnetGroups"][0]
    members = cluster.get("DBClusterMembers", [])
    instance_class = "db.r6g.large"
    if members:
        first = members[0]["DBInstanceIdentifier"]
        described = call(db, "describe_db_instances", first, DBInstanceIdentifier=first)
        instance_class = described["DBInstances"][0]["DBInstanceClass"]
    return instance_class, cluster["DBClusterArn"], group["VpcId"], _subnets(group)


def _subnets(group: dict[str, Any]) -> list[str]:
    return [s["SubnetIdentifier"] for s in group.get("Subnets", [])]


def _newest_snapshot(db: Any, clients: Clients, source: DrillSource, arn: str) -> str:
    """The newest available snapshot's identifier (or ARN, for an AWS Backup recovery point)."""
    found: list[tuple[datetime, str]] = []
    if source.kind == "postgres":
        for kind in (None, "awsbackup"):  # automated + manual, then those AWS Backup took
            extra: dict[str, Any] = {"SnapshotType": kind} if kind else {}
            found += [
                (s["SnapshotCreateTime"], s["DBSnapshotIdentifier"])
                for s in items(
                    db,
                    "describe_db_snapshots",
                    "DBSnapshots",
                    source.identifier,
                    DBInstanceIdentifier=source.identifier,
                    **extra,
                )
                if s.get("Status") == "available" and s.get("SnapshotCreateTime")
            ]
    else:
        found += [
            (s["SnapshotCreateTime"], s["DBClusterSnapshotIdentifier"])
            for s in items(
                db,
                "describe_db_cluster_snapshots",
                "DBClusterSnapshots",
                source.identifier,
                DBClusterIdentifier=source.identifier,
            )
            if s.get("Status") == "available" and s.get("SnapshotCreateTime")
        ]
        found += [
            (p["CreationDate"], p["RecoveryPointArn"])
            for p in items(
                clients("backup", source.region),
                "list_recovery_points_by_resource",
                "RecoveryPoints",
                source.identifier,
                missing=("ResourceNotFoundException",),
                ResourceArn=arn,
            )
            if p.get("Status") == "COMPLETED"
        ]
    if not found:
        raise DrillError(f"{source.identifier} ({source.region}) has no available snapshot to restore")
    return max(found)[1]


def _status(db: Any, identifier: str) -> str | None:
    found = call(
        db,
        "describe_db_instances",
        identifier,
        missing=("DBInstanceNotFound", "DBInstanceNotFoundFault"),
        DBInstanceIdentifier=identifier,
    )
    return found["DBInstances"][0]["DBInstanceStatus"] if found and found["DBInstances"] else None


def _wait_available(
    db: Any,
    identifier: str,
    started: float,
    timeout_minutes: float,
    poll_seconds: float,
    echo: Callable[[str], None],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    while True:
        status = _status(db, identifier)
        elapsed = clock() - started
        echo(f"  {_clock_text(elapsed)} elapsed: {identifier} {status or 'not found'}")
        if status == "available":
            return
        if status is None or status in FAILED_STATES:
            raise DrillError(f"the restore of {identifier} failed ({status or 'the instance disappeared'})")
        if elapsed > timeout_minutes * 60:
            raise DrillError(f"{identifier} was not available after {timeout_minutes:g} min (--timeout)")
        sleep(poll_seconds)


def _wait_gone(describe: Callable[[], Any], what: str, poll_seconds: float, sleep: Callable[[float], None]) -> None:
    for _ in range(240):  # two hours at the default poll
        if describe() is None:
            return
        sleep(poll_seconds)
    raise AwsError("wait", what, "still there after 240 polls")


def _delete_instance(db: Any, identifier: str, rds: bool, poll_seconds: float, sleep: Callable[[float], None]) -> None:
    options = {"SkipFinalSnapshot": True, "DeleteAutomatedBackups": True} if rds else {}
    call(
        db,
        "delete_db_instance",
        identifier,
        missing=("DBInstanceNotFound", "DBInstanceNotFoundFault"),
        DBInstanceIdentifier=identifier,
        **options,
    )
    _wait_gone(lambda: _status(db, identifier), identifier, poll_seconds, sleep)


def _delete_cluster(db: Any, identifier: str, poll_seconds: float, sleep: Callable[[float], None]) -> None:
    missing = ("DBClusterNotFoundFault",)
    call(db, "delete_db_cluster", identifier, missing=missing, DBClusterIdentifier=identifier, SkipFinalSnapshot=True)
    _wait_gone(
        lambda: call(db, "describe_db_clusters", identifier, missing=missing, DBClusterIdentifier=identifier),
        identifier,
        poll_seconds,
        sleep,
    )
