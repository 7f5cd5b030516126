"""Shared pieces of the disaster-recovery tests: small plan documents in the contract's shape, and a
Stubber that answers only the operations queued on it, so that moto answers the rest of the client.

Where moto lacks an API (measured with moto 5.2.5: AWS Backup's ``ListRecoveryPointsByResource`` and
``ListRecoveryPointsByBackupVault`` answer "Not yet implemented"; ``HeadObject`` has no
``ReplicationStatus``; ElastiCache snapshots have no ``NodeSnapshots`` with their times; DocumentDB's
engine is refused), the tests queue that API's response on a ``PartialStubber``: botocore's own
``Stubber``, which validates every response against the service model in botocore's data files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.stub import Stubber

ACCOUNT = "123456789012"  # moto's account
PRIMARY, BACKUP = "us-east-1", "us-west-2"
POSTGRES = "platform-prod-postgres"
POSTGRES_ARN = f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:db:{POSTGRES}"
DOCDB = "platform-prod-documentdb"
DOCDB_ARN = f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:cluster:{DOCDB}"
REDIS = "platform-prod-redis"
VAULT, COPY_VAULT = "platform-prod", "platform-prod-copy"
COPY_VAULT_ARN = f"arn:aws:backup:{BACKUP}:{ACCOUNT}:backup-vault:{COPY_VAULT}"
SOURCE_BUCKET, REPLICA_BUCKET = "platform-prod-data", "platform-prod-data-replica"
BACKUP_PLAN = "platform-prod-daily"
STACK = "prod"


class PartialStubber(Stubber):
    """``Stubber`` for the operations given responses with ``add_response``; every other operation of
    the client goes on to moto. Order and parameters are checked among the stubbed operations only."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.operations: set[str] = set()

    def add_response(self, method: str, service_response: dict[str, Any], expected_params: Any = None) -> None:
        self.operations.add(self.client.meta.method_to_api_mapping[method])
        super().add_response(method, service_response, expected_params)

    def add_client_error(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.operations.add(self.client.meta.method_to_api_mapping[method])
        super().add_client_error(method, *args, **kwargs)

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        return (
            super()._get_response_handler(model, params, context, **kwargs) if model.name in self.operations else None
        )

    def _assert_expected_params(self, model: Any, params: Any, context: Any, **kwargs: Any) -> None:
        if model.name in self.operations:
            super()._assert_expected_params(model, params, context, **kwargs)


def _urn(kind: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::platform::{kind}::{name}"


PRIMARY_PROVIDER = _urn("pulumi:providers:aws", "aws-primary")
BACKUP_PROVIDER = _urn("pulumi:providers:aws", "aws-backup")


def resource(
    kind: str,
    name: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    provider: str = PRIMARY_PROVIDER,
) -> dict[str, Any]:
    return {
        "urn": _urn(kind, name),
        "type": kind,
        "custom": True,
        "inputs": inputs,
        "outputs": {**inputs, **(outputs or {})},
        "provider": f"{provider}::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "dependencies": [],
    }


def plan_resources(
    *,
    delete_after: int = 30,
    locks: bool = True,
    datastores: tuple[str, ...] = ("postgres",),
    replication: bool = True,
) -> list[dict[str, Any]]:
    """A prod plan in the contract's shape: providers in both regions, datastores, the two vaults (and
    their locks), the backup plan, and a replicated, versioned bucket."""
    stack = {
        "urn": f"urn:pulumi:{STACK}::platform::pulumi:pulumi:Stack::platform-{STACK}",
        "type": "pulumi:pulumi:Stack",
        "custom": False,
    }
    found = [stack]
    for name, region in (("aws-primary", PRIMARY), ("aws-backup", BACKUP)):
        found.append(
            {
                "urn": _urn("pulumi:providers:aws", name),
                "type": "pulumi:providers:aws",
                "custom": True,
                "inputs": {"region": region},
                "outputs": {"region": region},
            }
        )
    if "postgres" in datastores:
        found.append(
            resource("aws:rds/instance:Instance", "postgres-db", {"identifier": POSTGRES}, {"arn": POSTGRES_ARN})
        )
    if "documentdb" in datastores:
        found.append(
            resource(
                "aws:docdb/cluster:Cluster", "documentdb-cluster", {"clusterIdentifier": DOCDB}, {"arn": DOCDB_ARN}
            )
        )
    if "redis" in datastores:
        found.append(
            resource(
                "aws:elasticache/replicationGroup:ReplicationGroup",
                "redis-group",
                {"replicationGroupId": REDIS, "snapshotRetentionLimit": 7.0},
            )
        )
    found.append(
        resource(
            "aws:backup/vault:Vault",
            "backups-vault",
            {"name": VAULT},
            {"arn": f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:backup-vault:{VAULT}"},
        )
    )
    found.append(
        resource(
            "aws:backup/vault:Vault",
            "backups-copy-vault",
            {"name": COPY_VAULT},
            {"arn": COPY_VAULT_ARN},
            provider=BACKUP_PROVIDER,
        )
    )
    if locks:
        for name, provider in ((VAULT, PRIMARY_PROVIDER), (COPY_VAULT, BACKUP_PROVIDER)):
            found.append(
                resource(
                    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
                    f"{name}-lock",
                    {"backupVaultName": name, "minRetentionDays": 30.0},
                    provider=provider,
                )
            )
    rule = {
        "ruleName": "daily",
        "targetVaultName": VAULT,
        "schedule": "cron(0 2 * * ? *)",
        "enableContinuousBackup": True,
        "lifecycle": {"deleteAfter": float(delete_after)},
        "copyActions": [{"destinationVaultArn": COPY_VAULT_ARN, "lifecycle": {"deleteAfter": float(delete_after)}}],
    }
    found.append(resource("aws:backup/plan:Plan", "backups-plan", {"name": BACKUP_PLAN, "rules": [rule]}))
    found.append(
        resource(
            "aws:backup/selection:Selection",
            "backups-selection",
            {"planId": "plan-id", "selectionTags": [{"type": "STRINGEQUALS", "key": "Backup", "value": "true"}]},
        )
    )
    found.append(resource("aws:s3/bucket:Bucket", "data", {"bucket": SOURCE_BUCKET}))
    found.append(resource("aws:s3/bucket:Bucket", "data-replica", {"bucket": REPLICA_BUCKET}, provider=BACKUP_PROVIDER))
    for name, bucket, provider in (
        ("data", SOURCE_BUCKET, PRIMARY_PROVIDER),
        ("data-replica", REPLICA_BUCKET, BACKUP_PROVIDER),
    ):
        found.append(
            resource(
                "aws:s3/bucketVersioning:BucketVersioning",
                f"{name}-versioning",
                {"bucket": bucket, "versioningConfiguration": {"status": "Enabled"}},
                provider=provider,
            )
        )
    if replication:
        destination = {
            "bucket": f"arn:aws:s3:::{REPLICA_BUCKET}",
            "replicationTime": {"status": "Enabled", "time": {"minutes": 15.0}},
            "metrics": {"status": "Enabled", "eventThreshold": {"minutes": 15.0}},
        }
        found.append(
            resource(
                "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
                "data-replication",
                {
                    "bucket": SOURCE_BUCKET,
                    "role": "arn:aws:iam::123456789012:role/replication",
                    "rules": [{"id": "all", "status": "Enabled", "destination": destination}],
                },
            )
        )
    return found


def recovery_point(created: datetime, *, arn: str = POSTGRES_ARN, vault: str = VAULT) -> dict[str, Any]:
    """One item of ListRecoveryPointsByResource (shape: botocore's backup service model)."""
    return {
        "RecoveryPointArn": f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:{created:%Y%m%d%H%M}",
        "CreationDate": created,
        "Status": "COMPLETED",
        "BackupVaultName": vault,
        "ResourceName": arn.rsplit(":", 1)[-1],
    }


def copy_point(created: datetime, *, arn: str = POSTGRES_ARN) -> dict[str, Any]:
    """One item of ListRecoveryPointsByBackupVault in the backup region: a copy of ``arn``."""
    return {
        "RecoveryPointArn": f"arn:aws:backup:{BACKUP}:{ACCOUNT}:recovery-point:copy-{created:%Y%m%d%H%M}",
        "BackupVaultName": COPY_VAULT,
        "BackupVaultArn": COPY_VAULT_ARN,
        "SourceBackupVaultArn": f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:backup-vault:{VAULT}",
        "ResourceArn": arn,
        "ResourceType": "RDS" if ":db:" in arn else "DocumentDB",
        "CreationDate": created,
        "Status": "COMPLETED",
    }
