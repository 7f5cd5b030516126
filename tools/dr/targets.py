"""What a plan says is protected, read from its resources (``pulumi stack export`` shape).

Datastores (RDS instances, DocumentDB clusters, ElastiCache replication groups), the AWS Backup vaults
(one per region, told apart by their provider's region), vault locks, the backup plan's rules, and the
replicated S3 buckets with their versioning. Pure: no AWS calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Resource = dict[str, Any]

# Resource type -> the datastore's kind and the input naming it.
DATASTORE_TYPES: dict[str, tuple[str, str]] = {
    "aws:rds/instance:Instance": ("postgres", "identifier"),
    "aws:docdb/cluster:Cluster": ("documentdb", "clusterIdentifier"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("redis", "replicationGroupId"),
}


@dataclass(frozen=True)
class Datastore:
    kind: str  # postgres, documentdb, redis
    identifier: str
    arn: str
    region: str
    name: str  # the logical name in the plan


@dataclass(frozen=True)
class Vault:
    name: str
    arn: str
    region: str


@dataclass(frozen=True)
class BackupRule:
    plan: str  # the backup plan's name
    rule: str
    vault: str
    schedule: str
    continuous: bool
    delete_after: int | None  # days
    copies: tuple[tuple[str, int | None], ...]  # (destination vault ARN, days kept)


@dataclass(frozen=True)
class Replication:
    source: str  # bucket name
    region: str
    destination_arn: str
    destination: str  # bucket name
    destination_region: str
    rtc: bool  # S3 Replication Time Control
    rtc_minutes: int | None
    metrics: bool


@dataclass(frozen=True)
class Targets:
    datastores: tuple[Datastore, ...]
    vaults: tuple[Vault, ...]
    locks: Mapping[str, int | None]  # vault name -> minRetentionDays of its VaultLockConfiguration
    plans: tuple[str, ...]  # backup plan names
    rules: tuple[BackupRule, ...]
    replications: tuple[Replication, ...]

    def vault_in(self, region: str) -> Vault | None:
        return next((v for v in self.vaults if v.region == region), None)


def _text(value: Any) -> str:
    """A plain string input, else "" (secret-wrapped or unknown values are dicts)."""
    return value if isinstance(value, str) else ""


def _days(value: Any) -> int | None:
    """A number of days; the mock runtime hands integers back as floats."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def bucket_name(arn_or_name: str) -> str:
    return arn_or_name.removeprefix("arn:aws:s3:::").split("/", 1)[0]


def provider_regions(resources: list[Resource]) -> dict[str, str]:
    """Provider URN -> its region."""
    return {
        r["urn"]: _text(_dict(r.get("inputs")).get("region"))
        for r in resources
        if r.get("type") == "pulumi:providers:aws"
    }


def region_of(resource: Resource, regions: Mapping[str, str], default: str) -> str:
    reference = resource.get("provider") or ""
    return regions.get(reference.rpartition("::")[0] if "::" in reference else reference) or default


def read_targets(resources: list[Resource], primary_region: str) -> Targets:
    """The protected resources of a plan; resources without a provider count as ``primary_region``'s."""
    regions = provider_regions(resources)

    def region(r: Resource) -> str:
        return region_of(r, regions, primary_region)

    datastores, vaults, rules, replications = [], [], [], []
    locks: dict[str, int | None] = {}
    plans: list[str] = []
    bucket_regions: dict[str, str] = {}
    for r in resources:
        if r.get("type") == "aws:s3/bucket:Bucket":
            bucket_regions[_text(_dict(r.get("inputs")).get("bucket"))] = region(r)
    for r in resources:
        kind, inputs, outputs = r.get("type"), _dict(r.get("inputs")), _dict(r.get("outputs"))
        name = r["urn"].rsplit("::", 1)[-1]
        if kind in DATASTORE_TYPES:
            label, key = DATASTORE_TYPES[kind]
            identifier = _text(inputs.get(key)) or _text(outputs.get(key))
            datastores.append(Datastore(label, identifier, _text(outputs.get("arn")), region(r), name))
        elif kind == "aws:backup/vault:Vault":
            vaults.append(Vault(_text(inputs.get("name")), _text(outputs.get("arn")), region(r)))
        elif kind == "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
            locks[_text(inputs.get("backupVaultName"))] = _days(inputs.get("minRetentionDays"))
        elif kind == "aws:backup/plan:Plan":
            plan = _text(inputs.get("name")) or name
            plans.append(plan)
            for rule in map(_dict, _list(inputs.get("rules"))):
                copies = tuple(
                    (_text(c.get("destinationVaultArn")), _days(_dict(c.get("lifecycle")).get("deleteAfter")))
                    for c in map(_dict, _list(rule.get("copyActions")))
                )
                rules.append(
                    BackupRule(
                        plan=plan,
                        rule=_text(rule.get("ruleName")),
                        vault=_text(rule.get("targetVaultName")),
                        schedule=_text(rule.get("schedule")),
                        continuous=rule.get("enableContinuousBackup") is True,
                        delete_after=_days(_dict(rule.get("lifecycle")).get("deleteAfter")),
                        copies=copies,
                    )
                )
        elif kind == "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
            source = _text(inputs.get("bucket"))
            for rule in map(_dict, _list(inputs.get("rules"))):
                destination = _dict(rule.get("destination"))
                arn = _text(destination.get("bucket"))
                rtc = _dict(destination.get("replicationTime"))
                target = bucket_name(arn)
                replications.append(
                    Replication(
                        source=source,
                        region=region(r),
                        destination_arn=arn,
                        destination=target,
                        destination_region=bucket_regions.get(target, ""),
                        rtc=rtc.get("status") == "Enabled",
                        rtc_minutes=_days(_dict(rtc.get("time")).get("minutes")),
                        metrics=_dict(destination.get("metrics")).get("status") == "Enabled",
                    )
                )
    return Targets(tuple(datastores), tuple(vaults), locks, tuple(plans), tuple(rules), tuple(replications))
