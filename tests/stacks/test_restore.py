"""prod-dr: prod stood up in prod's backup region from prod's backups there (``platform:restore``).

Planned once for this module (the suite's environments stay dev, staging and prod)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.rules import ALL_POLICIES
from tests.support import ROOT, of_type, one
from tools.check import check
from tools.offline import invokes
from tools.plan import plan_stack

Resource = dict[str, Any]
PROD = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
DR = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod-dr.yaml").read_text())["config"]
REGION, BACKUP_REGION = DR["platform:region"], DR["platform:backupRegion"]
# Inputs that name a thing in AWS (what two stacks in one account must never share).
PHYSICAL_NAMES = (
    "name",
    "identifier",
    "bucket",
    "clusterIdentifier",
    "replicationGroupId",
    "brokerName",
    "finalSnapshotIdentifier",
    "targetDbSnapshotIdentifier",
    "clusterName",
    "roleName",
)
# Named within their parent (a restore testing selection within its plan): no account-wide name.
SCOPED = {"aws:backup/restoreTestingSelection:RestoreTestingSelection"}


@pytest.fixture(scope="module")
def dr(tmp_path_factory: pytest.TempPathFactory) -> list[Resource]:
    return plan_stack("prod-dr", out=tmp_path_factory.mktemp("plan-prod-dr")).resources


def outputs(resources: list[Resource]) -> dict[str, Any]:
    return one(resources, "pulumi:pulumi:Stack")["outputs"]


def latest(token: str, key: str, source: str) -> str:
    """What the offline engine answers for the newest AWS Backup copy of ``source`` in the DR region."""
    answer = invokes.answer(token, {key: source, "mostRecent": True, "snapshotType": "awsbackup"}, REGION)
    assert answer is not None
    return str(answer["dbSnapshotArn" if "Cluster" not in token else "dbClusterSnapshotArn"])


def test_the_stack_is_prod_in_prods_backup_region() -> None:
    assert DR["platform:environment"] == "prod"
    assert PROD["platform:backupRegion"] == REGION
    assert BACKUP_REGION != REGION and PROD["platform:region"] != BACKUP_REGION, "it must not need prod's region"
    # platform:delivery: the account's GitHub trust is made by prod (one OIDC provider per account); the
    # recovery stack names its release roles when it is activated.
    own = {"platform:region", "platform:backupRegion", "platform:ingress", "platform:delivery"}
    same = {k: v for k, v in PROD.items() if k not in own}
    assert {k: DR[k] for k in same} == same, "sizes, protection and services are prod's"


def test_postgres_starts_from_a_copy_of_prods_newest_backup_here(dr: list[Resource]) -> None:
    source = latest("aws:rds/getSnapshot:getSnapshot", "dbInstanceIdentifier", "platform-prod-postgres")
    assert f":rds:{REGION}:" in source and ":snapshot:awsbackup:" in source
    copy = one(dr, "aws:rds/snapshotCopy:SnapshotCopy")
    assert copy["inputs"]["sourceDbSnapshotIdentifier"] == source == outputs(dr)["postgresRestoredFrom"]
    db = one(dr, "aws:rds/instance:Instance")["inputs"]
    assert db["snapshotIdentifier"] == copy["inputs"]["targetDbSnapshotIdentifier"]
    assert db["kmsKeyId"] == copy["inputs"]["kmsKeyId"] and f":kms:{REGION}:" in db["kmsKeyId"]
    assert "dbName" not in db and "username" not in db


def test_documentdb_starts_from_prods_newest_cluster_backup_here(dr: list[Resource]) -> None:
    source = latest("aws:rds/getClusterSnapshot:getClusterSnapshot", "dbClusterIdentifier", "platform-prod-documentdb")
    cluster = one(dr, "aws:docdb/cluster:Cluster")["inputs"]
    assert cluster["snapshotIdentifier"] == source == outputs(dr)["documentdbRestoredFrom"]
    assert f":rds:{REGION}:" in source and f":kms:{REGION}:" in cluster["kmsKeyId"]


def test_redis_starts_from_the_named_snapshot_and_rabbitmq_empty(dr: list[Resource]) -> None:
    group = one(dr, "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]
    assert group["snapshotName"] == DR["platform:restore"]["redis"]["snapshot"]
    broker = one(dr, "aws:mq/broker:Broker")["inputs"]
    assert broker["brokerName"] == "platform-dr-prod-rabbitmq"


def test_backups_are_read_from_prods_replica_and_written_to_new_buckets(dr: list[Resource]) -> None:
    out = outputs(dr)
    replica = "platform-prod-backups-us-west-2-123456789012"
    assert out["restoredBackupBucket"] == {"bucket": replica, "arn": f"arn:aws:s3:::{replica}", "region": REGION}
    buckets = {
        r["inputs"]["bucket"] for r in of_type(dr, "aws:s3/bucket:Bucket") if "::ingress-alb-logs" not in r["urn"]
    }
    assert buckets == {
        f"platform-dr-prod-backups-{REGION}-123456789012",
        f"platform-dr-prod-backups-{BACKUP_REGION}-123456789012",
    }
    assert replica not in buckets, "prod's replica is read, never created or adopted"


def test_everything_lands_in_the_backup_region_or_its_own_backup_region(dr: list[Resource]) -> None:
    providers = {r["urn"]: r["inputs"]["region"] for r in of_type(dr, "pulumi:providers:aws")}
    assert sorted(providers.values()) == sorted([REGION, BACKUP_REGION])
    primary = next(urn for urn, region in providers.items() if region == REGION)
    aws_resources = [r for r in dr if r.get("custom") and r["type"].startswith("aws:")]
    assert aws_resources and all(r["provider"].rpartition("::")[0] in providers for r in aws_resources)
    for token in (
        "aws:rds/instance:Instance",
        "aws:rds/snapshotCopy:SnapshotCopy",
        "aws:docdb/cluster:Cluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:eks/cluster:Cluster",
        "aws:ec2/vpc:Vpc",
    ):
        assert one(dr, token)["provider"].rpartition("::")[0] == primary, token
    zones = {r["inputs"]["availabilityZone"] for r in of_type(dr, "aws:ec2/subnet:Subnet")}
    assert zones == {f"{REGION}{c}" for c in "abc"}


def test_the_rules_pass(dr: list[Resource]) -> None:
    assert [v.as_dict() for v in check(dr, ALL_POLICIES) if v.mandatory] == []


def physical_names(resources: Iterable[Resource]) -> set[tuple[str, str]]:
    return {
        (r["type"], value)
        for r in resources
        if r.get("custom") and r["type"].startswith("aws:") and r["type"] not in SCOPED
        for key in PHYSICAL_NAMES
        if isinstance(value := (r.get("inputs") or {}).get(key), str) and value
    }


def test_no_physical_name_is_prods(dr: list[Resource], planned: Any) -> None:
    _, prod = planned("prod")
    shared = {name for _, name in physical_names(dr)} & {name for _, name in physical_names(prod)}
    assert shared == set()
    assert one(dr, "aws:eks/cluster:Cluster")["inputs"]["name"] == "platform-dr-prod"


def test_hostnames_are_its_own_in_prods_zone(dr: list[Resource], planned: Any) -> None:
    hosts = {r["inputs"]["name"] for r in of_type(dr, "aws:route53/record:Record") if r["inputs"]["type"] == "A"}
    assert hosts == set(DR["platform:ingress"]["hostnames"]) == {"api-dr.platform.example.com"}
    assert DR["platform:ingress"]["dnsZoneId"] == PROD["platform:ingress"]["dnsZoneId"]


def test_a_restore_that_would_take_the_replicas_names_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod-dr.yaml").read_text())
    del document["config"]["platform:project"]  # platform-prod: the source's own prefix
    stack_file = tmp_path / "Pulumi.same-prefix.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    from infra.config import ConfigError

    with pytest.raises(ConfigError, match=r"^platform:restore.bucketsFromReplica: .*platform:project"):
        plan_stack("same-prefix", config_file=stack_file, out=tmp_path / "out")
