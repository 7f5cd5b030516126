"""The function that measures how old each backup vault's newest recovery point is, per resource type,
and publishes it to CloudWatch (namespace ``Platform/Backups``, metric ``RecoveryPointAgeSeconds``,
dimensions ``BackupVaultName``, ``Location`` (``primary`` or ``backup-region``) and ``ResourceType``),
where the CloudWatch exporter reads it for the alert on backups older than the recovery point
objective. Runs every few minutes (``freshness.py``); standard library and boto3 only.

Counted: recovery points whose status is ``COMPLETED``, by ``CreationDate``. Continuous recovery points
(point-in-time recovery, ARNs with ``:continuous:``) are left out: their creation date is when the
continuous backup began, not how recent the data is; AWS Backup reports their failures itself.
A vault with no recovery point of a type publishes nothing for it (no data, not a zero).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

NAMESPACE = "Platform/Backups"
METRIC = "RecoveryPointAgeSeconds"
CONTINUOUS = ":continuous:"


def vault_name(arn: str) -> str:
    """``arn:aws:backup:<region>:<account>:backup-vault:<name>`` -> ``<name>``."""
    return arn.split(":backup-vault:", 1)[1]


def vault_region(arn: str) -> str:
    return arn.split(":")[3]


def newest_by_type(client: Any, vault: str) -> dict[str, datetime]:
    """The creation time of the newest completed, non-continuous recovery point of each resource type."""
    newest: dict[str, datetime] = {}
    for page in client.get_paginator("list_recovery_points_by_backup_vault").paginate(BackupVaultName=vault):
        for point in page.get("RecoveryPoints", []):
            if point.get("Status") != "COMPLETED" or CONTINUOUS in point.get("RecoveryPointArn", ""):
                continue
            kind, created = point["ResourceType"], point["CreationDate"]
            if kind not in newest or created > newest[kind]:
                newest[kind] = created
    return newest


def datums(vault: str, location: str, newest: Mapping[str, datetime], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "MetricName": METRIC,
            "Dimensions": [
                {"Name": "BackupVaultName", "Value": vault},
                {"Name": "Location", "Value": location},
                {"Name": "ResourceType", "Value": kind},
            ],
            "Timestamp": now,
            "Value": max(0.0, (now - created).total_seconds()),
            "Unit": "Seconds",
        }
        for kind, created in sorted(newest.items())
    ]


def measure(
    backup_clients: Mapping[str, Any], cloudwatch: Any, vaults: Iterable[Mapping[str, str]], now: datetime
) -> dict[str, dict[str, float]]:
    """Publish each vault's ages (``vaults``: ``{"arn", "location"}``; ``backup_clients`` by region) and
    return them, vault name -> resource type -> seconds."""
    published: dict[str, dict[str, float]] = {}
    data: list[dict[str, Any]] = []
    for vault in vaults:
        name = vault_name(vault["arn"])
        newest = newest_by_type(backup_clients[vault_region(vault["arn"])], name)
        found = datums(name, vault["location"], newest, now)
        data.extend(found)
        published[name] = {d["Dimensions"][2]["Value"]: d["Value"] for d in found}
    for start in range(0, len(data), 1000):  # PutMetricData takes at most 1000 datums a call
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start : start + 1000])
    return published


def handler(event: dict[str, Any], context: Any) -> dict[str, dict[str, float]]:  # pragma: no cover - Lambda entry
    import boto3  # type: ignore[import-untyped]

    vaults = json.loads(os.environ["VAULTS"])
    regions = {vault_region(v["arn"]) for v in vaults}
    clients = {region: boto3.client("backup", region_name=region) for region in regions}
    return measure(clients, boto3.client("cloudwatch"), vaults, datetime.now(UTC))
