"""The function that exports the newest automatic ElastiCache snapshot into the backup bucket, from
where S3 replication carries it to the backup region (ElastiCache copies snapshots to S3 only in its
own region). Runs daily after the snapshot window; does nothing when the newest snapshot is exported
already. Deployed as the code of an AWS Lambda function (``cache_export.py``); standard library and
boto3 only."""

from __future__ import annotations

import os
from typing import Any

PREFIX = "elasticache/"


def newest_snapshot(client: Any, replication_group: str) -> dict[str, Any] | None:
    """The newest available automatic snapshot of the group (ElastiCache names them automatic.*)."""
    newest: dict[str, Any] | None = None
    newest_time = None
    for page in client.get_paginator("describe_snapshots").paginate(
        ReplicationGroupId=replication_group, SnapshotSource="system"
    ):
        for snapshot in page.get("Snapshots", []):
            if snapshot.get("SnapshotStatus") != "available":
                continue
            times = [n["SnapshotCreateTime"] for n in snapshot.get("NodeSnapshots", []) if n.get("SnapshotCreateTime")]
            if times and (newest_time is None or max(times) > newest_time):
                newest, newest_time = snapshot, max(times)
    return newest


def exported(s3: Any, bucket: str, name: str) -> bool:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}{name}", MaxKeys=1)
    return bool(listing.get("KeyCount", 0))


def export(elasticache: Any, s3: Any, replication_group: str, bucket: str) -> dict[str, str]:
    """Export the newest snapshot as ``elasticache/<snapshot name>*.rdb``; say what was done."""
    snapshot = newest_snapshot(elasticache, replication_group)
    if snapshot is None:
        raise RuntimeError(f"no available automatic snapshot of {replication_group}")
    name = str(snapshot["SnapshotName"])
    if exported(s3, bucket, name):
        return {"snapshot": name, "result": "already exported"}
    elasticache.copy_snapshot(SourceSnapshotName=name, TargetSnapshotName=f"{PREFIX}{name}", TargetBucket=bucket)
    return {"snapshot": name, "result": "export started"}


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:  # pragma: no cover - the Lambda entry
    import boto3  # type: ignore[import-untyped]

    return export(
        boto3.client("elasticache"), boto3.client("s3"), os.environ["REPLICATION_GROUP_ID"], os.environ["BUCKET"]
    )
