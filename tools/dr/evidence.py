"""Where ``infra dr verify`` finds a datastore's recovery points and copies: AWS Backup, and the
datastore's own (automated snapshots, point-in-time windows, copies in the backup region)."""

from __future__ import annotations

from datetime import datetime

from tools.dr.aws import Clients, call, items
from tools.dr.targets import Datastore

USABLE = ("COMPLETED", "AVAILABLE")  # AWS Backup recovery point states that can be restored
# AWS Backup listings an endpoint does not implement (emulators answer 404) count as no AWS Backup
# evidence; the datastore's own recovery points and copies are then what counts.
NOT_THERE = ("ResourceNotFoundException", "404")


def newest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def recovery_points(ds: Datastore, clients: Clients) -> datetime | None:
    if not ds.arn:
        return None
    points = items(
        clients("backup", ds.region),
        "list_recovery_points_by_resource",
        "RecoveryPoints",
        ds.identifier,
        missing=NOT_THERE,
        ResourceArn=ds.arn,
    )
    return newest(*(p.get("CreationDate") for p in points if p.get("Status") in USABLE))


def native(ds: Datastore, clients: Clients) -> tuple[datetime | None, str]:
    """The datastore's own newest restorable moment, and what it is."""
    if ds.kind == "postgres":
        rds = clients("rds", ds.region)
        found = call(
            rds,
            "describe_db_instances",
            ds.identifier,
            missing=("DBInstanceNotFound",),
            DBInstanceIdentifier=ds.identifier,
        )
        pitr = found["DBInstances"][0].get("LatestRestorableTime") if found and found["DBInstances"] else None
        snapshots = items(
            rds,
            "describe_db_snapshots",
            "DBSnapshots",
            ds.identifier,
            missing=("DBInstanceNotFound",),
            DBInstanceIdentifier=ds.identifier,
            SnapshotType="automated",
        )
        snapshot = newest(*(s.get("SnapshotCreateTime") for s in snapshots if s.get("Status") == "available"))
        return newest(pitr, snapshot), "point in time / automated snapshot"
    if ds.kind == "documentdb":
        found = call(
            clients("docdb", ds.region),
            "describe_db_clusters",
            ds.identifier,
            missing=("DBClusterNotFoundFault",),
            DBClusterIdentifier=ds.identifier,
        )
        clusters = found["DBClusters"] if found else []
        return (clusters[0].get("LatestRestorableTime") if clusters else None), "point in time"
    snapshots = items(
        clients("elasticache", ds.region),
        "describe_snapshots",
        "Snapshots",
        ds.identifier,
        missing=("ReplicationGroupNotFoundFault",),
        ReplicationGroupId=ds.identifier,
    )
    times = [
        node.get("SnapshotCreateTime")
        for s in snapshots
        if s.get("SnapshotStatus") == "available"
        for node in s.get("NodeSnapshots", [])
    ]
    return newest(*times), "ElastiCache snapshot (daily)"


def native_copy(ds: Datastore, backup_region: str, clients: Clients) -> datetime | None:
    """The datastore's own copies in the backup region: snapshots copied there (they keep the source's
    identifier) and, for PostgreSQL, its replicated automated backups (their newest restorable time)."""
    if ds.kind == "postgres":
        rds = clients("rds", backup_region)
        snapshots = items(
            rds,
            "describe_db_snapshots",
            "DBSnapshots",
            ds.identifier,
            missing=NOT_THERE,
            DBInstanceIdentifier=ds.identifier,
        )
        copied = newest(*(s.get("SnapshotCreateTime") for s in snapshots if s.get("Status") == "available"))
        replicated = items(
            rds,
            "describe_db_instance_automated_backups",
            "DBInstanceAutomatedBackups",
            ds.identifier,
            missing=("DBInstanceAutomatedBackupNotFound", *NOT_THERE),
            DBInstanceIdentifier=ds.identifier,
        )
        latest = newest(*(b.get("RestoreWindow", {}).get("LatestTime") for b in replicated))
        return newest(copied, latest)
    if ds.kind == "documentdb":
        snapshots = items(
            clients("docdb", backup_region),
            "describe_db_cluster_snapshots",
            "DBClusterSnapshots",
            ds.identifier,
            missing=("DBClusterNotFoundFault", "DBClusterSnapshotNotFoundFault", *NOT_THERE),
            DBClusterIdentifier=ds.identifier,
        )
        return newest(*(s.get("SnapshotCreateTime") for s in snapshots if s.get("Status") == "available"))
    return None
