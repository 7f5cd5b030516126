"""Mock outputs of the datastores, their secrets and the backups: shaped like the real provider's, from
a digest of the resource's type and name (see ``outputs.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi.runtime import MockResourceArgs

from tools.offline.ids import ACCOUNT_ID, PARTITION, digest, region_code


def mock_password(name: str, length: int) -> str:
    """The ``result`` the mocks give ``random.RandomPassword`` ``name``: deterministic, so tests can
    search plan.json and manifests/ for it (it must never appear there in plain text)."""
    text = "Pw" + digest("random-password", name, length=64)
    return (text * (length // len(text) + 1))[:length]


def _random_password(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    length = int(outputs.get("length") or 16)
    outputs["result"] = mock_password(args.name, length)
    outputs["bcryptHash"] = "$2a$10$" + digest(hashed, "bcrypt", length=53)
    return "none"


def _rds_instance(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    identifier = str(outputs["identifier"])
    address = f"{identifier}.c{digest(hashed, 'rds', length=11)}.{region}.rds.amazonaws.com"
    port = int(outputs.get("port") or 5432)
    outputs.update(
        address=address,
        port=port,
        endpoint=f"{address}:{port}",
        resourceId="db-" + digest(hashed, "resource", length=26).upper(),
        hostedZoneId="Z2R2ITUGPM61AM",
        status="available",
    )
    if outputs.get("manageMasterUserPassword"):
        outputs["masterUserSecrets"] = [_managed_secret(hashed, region, "db", outputs.get("masterUserSecretKmsKeyId"))]
    return identifier


def _managed_secret(hashed: str, region: str, kind: str, key: Any) -> dict[str, Any]:
    """The secret RDS or DocumentDB keeps the master password in (``rds!db-<uuid>``, ``rds!cluster-<uuid>``)."""
    uuid = f"{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-8{hashed[15:17]}{digest(hashed, 'managed')[:10]}"
    name = f"rds!{kind}-{uuid}"
    return {
        "secretArn": f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT_ID}:secret:{name}-{digest(name)[:6]}",
        "kmsKeyId": key or f"arn:{PARTITION}:kms:{region}:{ACCOUNT_ID}:alias/aws/secretsmanager",
        "secretStatus": "active",
    }


def _snapshot_copy(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    identifier = str(outputs["targetDbSnapshotIdentifier"])
    outputs.update(
        dbSnapshotArn=f"arn:{PARTITION}:rds:{region}:{ACCOUNT_ID}:snapshot:{identifier}",
        encrypted=True,
        engine="postgres",
        snapshotType="manual",
        sourceRegion=region,
    )
    return identifier


def _named(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    return str(outputs["name"])


def _replication_group(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    group = str(outputs.get("replicationGroupId") or f"{args.name}-{hashed[:7]}")
    outputs["replicationGroupId"] = group
    suffix = f"{group}.{digest(hashed, 'cache', length=6)}.{region_code(region)}.cache.amazonaws.com"
    outputs.update(
        primaryEndpointAddress=f"master.{suffix}",
        readerEndpointAddress=f"replica.{suffix}",
        port=int(outputs.get("port") or 6379),
        memberClusters=[f"{group}-{i + 1:03d}" for i in range(int(outputs.get("numCacheClusters") or 1))],
    )
    return group


def _mq_broker(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    broker_id = f"b-{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-8{hashed[15:17]}{digest(hashed)[:10]}"
    host = f"{broker_id}.mq.{region}.on.aws"
    outputs["instances"] = [
        {"consoleUrl": f"https://{host}", "ipAddress": "", "endpoints": [f"amqps://{host}:5671"]},
    ]
    return broker_id


def _docdb_cluster(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    identifier = str(outputs["clusterIdentifier"])
    token = digest(hashed, "docdb", length=12)
    outputs.update(
        endpoint=f"{identifier}.cluster-{token}.{region}.docdb.amazonaws.com",
        readerEndpoint=f"{identifier}.cluster-ro-{token}.{region}.docdb.amazonaws.com",
        port=int(outputs.get("port") or 27017),
        clusterResourceId="cluster-" + digest(hashed, "resource", length=26).upper(),
        hostedZoneId="ZNKXH85TT8WVW",
    )
    if outputs.get("manageMasterUserPassword"):
        outputs["masterUserSecrets"] = [_managed_secret(hashed, region, "cluster", None)]
    return identifier


def _docdb_instance(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    identifier = str(outputs["identifier"])
    outputs.update(
        endpoint=f"{identifier}.c{digest(hashed, 'docdb', length=11)}.{region}.docdb.amazonaws.com",
        port=27017,
        writer=False,
        dbiResourceId="db-" + digest(hashed, "resource", length=26).upper(),
    )
    return identifier


def _secret(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    name = str(outputs["name"])
    return f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT_ID}:secret:{name}-{digest(name)[:6]}"


def _secret_version(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    version = f"{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-8{hashed[15:17]}{digest(hashed)[:10]}"
    outputs["versionId"] = version
    outputs["arn"] = outputs.get("secretId", "")
    outputs.setdefault("versionStages", ["AWSCURRENT"])
    return f"{outputs.get('secretId', '')}|{version}"


def _s3_bucket(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    name = str(outputs.get("bucket") or f"{args.name}-{hashed[:7]}")
    outputs["bucket"] = name
    outputs["arn"] = f"arn:{PARTITION}:s3:::{name}"
    outputs["region"] = region
    outputs["bucketRegionalDomainName"] = f"{name}.s3.{region}.amazonaws.com"
    return name


def _backup_vault(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    return str(outputs.get("name") or args.name)


def _backup_plan(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    outputs["version"] = digest(hashed, "version", length=32)
    return f"{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-8{hashed[15:17]}{digest(hashed)[:10]}"


# Resource types whose outputs are built here (``outputs.py`` adds them to its table).
DATA_OUTPUTS: dict[str, Callable[[MockResourceArgs, dict[str, Any], str, str], str | None]] = {
    # datastores
    "random:index/randomPassword:RandomPassword": _random_password,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/snapshotCopy:SnapshotCopy": _snapshot_copy,
    "aws:rds/parameterGroup:ParameterGroup": _named,
    "aws:rds/subnetGroup:SubnetGroup": _named,
    "aws:elasticache/subnetGroup:SubnetGroup": _named,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:mq/broker:Broker": _mq_broker,
    "aws:docdb/cluster:Cluster": _docdb_cluster,
    "aws:docdb/clusterInstance:ClusterInstance": _docdb_instance,
    "aws:docdb/clusterParameterGroup:ClusterParameterGroup": _named,
    "aws:docdb/subnetGroup:SubnetGroup": _named,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    # backups
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/plan:Plan": _backup_plan,
}
