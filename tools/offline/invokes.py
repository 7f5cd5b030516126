"""Invoke results the offline engine's mocks answer with (the data sources the program reads).

Each answer is shaped like the provider's, in the region of the provider the invoke goes through;
an invoke not listed here is a plan failure, never a silent empty result.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from infra.config.aws import REGIONS
from tools.offline.outputs import ACCOUNT_ID, PARTITION, digest, region_code

# The zones each region offers (the configuration's table of AWS regions).
ZONE_LETTERS = {name: region.zone_letters[: region.zones] for name, region in REGIONS.items()}


def answer(token: str, args: Mapping[str, Any], region: str) -> dict[str, Any] | None:
    """The result of invoke ``token`` with ``args`` in ``region``, or None if the engine has no answer."""
    respond = _ANSWERS.get(token)
    return respond(args, region) if respond is not None else None


def _caller_identity(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/offline-plan",
        "userId": "AIDAOFFLINEPLAN",
        "id": ACCOUNT_ID,
    }


def _partition(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": PARTITION}


def _public_key(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    key_id = str(args.get("keyId", ""))
    body = base64.b64encode(f"offline-public-key:{key_id}".encode()).decode()
    return {
        "arn": key_id,
        "keyId": key_id,
        "id": key_id,
        "customerMasterKeySpec": "RSA_2048",
        "keyUsage": "SIGN_VERIFY",
        "publicKey": body,
        "publicKeyPem": f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n",
        "signingAlgorithms": ["RSASSA_PKCS1_V1_5_SHA_256"],
        "encryptionAlgorithms": [],
        "region": region,
    }


def _region(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}


def _availability_zones(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    letters = ZONE_LETTERS.get(region, "abc")
    return {
        "names": [f"{region}{c}" for c in letters],
        "zoneIds": [f"{region_code(region)}-az{i + 1}" for i in range(len(letters))],
        "state": "available",
        "id": region,
    }


def _bucket(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    bucket = str(args.get("bucket", ""))
    return {
        "bucket": bucket,
        "id": bucket,
        "arn": f"arn:{PARTITION}:s3:::{bucket}",
        "region": region,
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
    }


def _recovery_point(kind: str, source: str, region: str) -> str:
    """The identifier RDS gives an AWS Backup copy: ``awsbackup:copyjob-<uuid>``."""
    h = digest(kind, source, region, length=32)
    return f"awsbackup:copyjob-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _key_arn(source: str, region: str) -> str:
    """The backup vault key of this region that the copies were encrypted with."""
    h = digest("backup-copy-key", source, region, length=32)
    return f"arn:{PARTITION}:kms:{region}:{ACCOUNT_ID}:key/{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _db_snapshot(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The newest snapshot of an instance (``mostRecent``): here, its latest AWS Backup copy in ``region``."""
    source = str(args.get("dbInstanceIdentifier") or "source")
    identifier = str(args.get("dbSnapshotIdentifier") or _recovery_point("db", source, region))
    return {
        "id": identifier,
        "dbSnapshotIdentifier": identifier,
        "dbSnapshotArn": f"arn:{PARTITION}:rds:{region}:{ACCOUNT_ID}:snapshot:{identifier}",
        "dbInstanceIdentifier": source,
        "snapshotType": str(args.get("snapshotType") or "manual"),
        "engine": "postgres",
        "encrypted": True,
        "kmsKeyId": _key_arn(source, region),
        "status": "available",
        "port": 5432,
        "storageType": "gp3",
        "allocatedStorage": 100,
        "availabilityZone": f"{region}a",
        "snapshotCreateTime": "2026-01-01T02:10:00Z",
        "mostRecent": bool(args.get("mostRecent", False)),
        "includeShared": False,
        "includePublic": False,
        "tags": {},
    }


def _cluster_snapshot(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The newest snapshot of a DocumentDB cluster: its latest AWS Backup copy in ``region``."""
    source = str(args.get("dbClusterIdentifier") or "source")
    identifier = str(args.get("dbClusterSnapshotIdentifier") or _recovery_point("cluster", source, region))
    letters = ZONE_LETTERS.get(region, "abc")
    return {
        "id": identifier,
        "dbClusterSnapshotIdentifier": identifier,
        "dbClusterSnapshotArn": f"arn:{PARTITION}:rds:{region}:{ACCOUNT_ID}:cluster-snapshot:{identifier}",
        "dbClusterIdentifier": source,
        "snapshotType": str(args.get("snapshotType") or "manual"),
        "engine": "docdb",
        "storageEncrypted": True,
        "kmsKeyId": _key_arn(source, region),
        "status": "available",
        "port": 27017,
        "availabilityZones": [f"{region}{c}" for c in letters[:3]],
        "snapshotCreateTime": "2026-01-01T02:10:00Z",
        "mostRecent": bool(args.get("mostRecent", False)),
        "includeShared": False,
        "includePublic": False,
        "tags": {},
    }


_ANSWERS: dict[str, Callable[[Mapping[str, Any], str], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:kms/getPublicKey:getPublicKey": _public_key,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:rds/getSnapshot:getSnapshot": _db_snapshot,
    "aws:rds/getClusterSnapshot:getClusterSnapshot": _cluster_snapshot,
    "aws:s3/getBucket:getBucket": _bucket,
}
