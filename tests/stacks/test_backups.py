"""The prod plan holds the system's backup and recovery requirements: buckets in two regions
(versioned, SSE-KMS, public access blocked, object lock, replicated with Replication Time Control),
AWS Backup daily at 02:00 UTC kept 30 days with continuous backup and a copy to the other region,
KMS-encrypted and locked vaults in both regions, selections covering the databases and the buckets,
restore testing, and ElastiCache snapshots at 02:00 kept 30 days."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import of_type, one

Plan = Any
BUCKET = "aws:s3/bucket:Bucket"


def backup_buckets(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The backup buckets (the ALB's access-log bucket is not one)."""
    return [b for b in of_type(resources, BUCKET) if "platform:backups:BackupBuckets$" in b["urn"]]


def _regions(resources: list[dict[str, Any]]) -> dict[str, str]:
    """Provider reference -> its region."""
    return {f"{r['urn']}::{r['id']}": r["inputs"]["region"] for r in resources if r["type"] == "pulumi:providers:aws"}


def _region(resources: list[dict[str, Any]], resource: dict[str, Any]) -> str:
    regions = _regions(resources)
    if resource.get("provider") in regions:
        return regions[resource["provider"]]
    by_urn = {r["urn"]: r for r in resources}
    parent = by_urn.get(resource.get("parent", ""))
    while parent is not None and not parent.get("provider"):
        parent = by_urn.get(parent.get("parent", ""))
    assert parent is not None, resource["urn"]
    return regions[parent["provider"]]


def _attached(resources: list[dict[str, Any]], kind: str, bucket: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in of_type(resources, kind) if bucket["urn"] in r.get("propertyDependencies", {}).get("bucket", [])]


def test_backup_buckets_in_two_regions_are_versioned_encrypted_private_and_locked(planned: Plan) -> None:
    _, resources = planned("prod")
    buckets = backup_buckets(resources)
    assert {_region(resources, b) for b in buckets} == {"us-east-1", "us-west-2"}
    for bucket in buckets:
        assert bucket["protect"] is True and bucket["inputs"]["objectLockEnabled"] is True
        (versioning,) = _attached(resources, "aws:s3/bucketVersioning:BucketVersioning", bucket)
        assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"
        (sse,) = _attached(
            resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket
        )
        default = sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms" and default["kmsMasterKeyId"].startswith("arn:aws:kms:")
        assert f":{_region(resources, bucket)}:" in default["kmsMasterKeyId"], "the key lives in the bucket's region"
        (block,) = _attached(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
        assert all(
            block["inputs"][k] is True
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        (policy,) = _attached(resources, "aws:s3/bucketPolicy:BucketPolicy", bucket)
        statements = json.loads(policy["inputs"]["policy"])["Statement"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [
            s["Condition"] for s in statements if s["Effect"] == "Deny"
        ]
        (lock,) = _attached(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", bucket)
        assert lock["inputs"]["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 30}
        (lifecycle,) = _attached(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket)
        rules = {rule["filter"]["prefix"]: rule for rule in lifecycle["inputs"]["rules"]}
        assert set(rules) == {"elasticache/", "elasticsearch/", ""}
        assert rules["elasticache/"]["expiration"] == {"days": 30}
        # Elasticsearch prunes its own repository: no age rule on files a newer snapshot may still use.
        assert rules["elasticsearch/"]["expiration"] == {"expiredObjectDeleteMarker": True}
        for prefix in ("elasticache/", "elasticsearch/"):
            assert rules[prefix]["noncurrentVersionExpiration"]["noncurrentDays"] == 30
        # Incomplete uploads are aborted under any prefix, by one rule over the whole bucket.
        assert rules[""]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
        assert rules[""]["status"] == "Enabled"
        assert set(rules[""]) == {"id", "status", "filter", "abortIncompleteMultipartUpload"}


def test_the_primary_bucket_replicates_to_the_backup_region_with_rtc(planned: Plan) -> None:
    _, resources = planned("prod")
    replication = one(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    (rule,) = replication["inputs"]["rules"]
    destination = rule["destination"]
    assert rule["status"] == "Enabled" and destination["bucket"].endswith("-backups-us-west-2-123456789012")
    assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert destination["metrics"]["status"] == "Enabled"
    assert ":us-west-2:" in destination["encryptionConfiguration"]["replicaKmsKeyId"]
    role = next(
        r for r in of_type(resources, "aws:iam/rolePolicy:RolePolicy") if r["urn"].endswith("::backups-replication")
    )
    resources_named = {str(s["Resource"]) for s in json.loads(role["inputs"]["policy"])["Statement"]}
    assert all("*" not in r or r.endswith("/*") for r in resources_named), "only the two buckets and keys"


def test_aws_backup_daily_at_two_utc_for_30_days_continuous_and_copied_to_the_other_region(planned: Plan) -> None:
    _, resources = planned("prod")
    plan = one(resources, "aws:backup/plan:Plan", "backup-plan-plan")
    (rule,) = plan["inputs"]["rules"]
    assert rule["schedule"] == "cron(0 2 * * ? *)" and rule["scheduleExpressionTimezone"] == "Etc/UTC"
    assert rule["lifecycle"]["deleteAfter"] == 30 and rule["enableContinuousBackup"] is True
    (copy,) = rule["copyActions"]
    assert ":us-west-2:" in copy["destinationVaultArn"] and copy["lifecycle"]["deleteAfter"] == 30
    vaults = of_type(resources, "aws:backup/vault:Vault")
    assert {_region(resources, v) for v in vaults} == {"us-east-1", "us-west-2"}
    for vault in vaults:
        assert vault["inputs"]["kmsKeyArn"].startswith(f"arn:aws:kms:{_region(resources, vault)}:")
        assert vault["protect"] is True
    locks = of_type(resources, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert len(locks) == 2 and all(lock["inputs"]["minRetentionDays"] == 30 for lock in locks)


@pytest.mark.parametrize("kind", ["aws:rds/instance:Instance", "aws:docdb/cluster:Cluster", BUCKET])
def test_the_tag_selection_covers_the_databases_and_the_buckets(planned: Plan, kind: str) -> None:
    _, resources = planned("prod")
    selection = next(s for s in of_type(resources, "aws:backup/selection:Selection") if "selectionTags" in s["inputs"])
    wanted = {(t["key"], t["value"]) for t in selection["inputs"]["selectionTags"]}
    for resource in backup_buckets(resources) if kind == BUCKET else of_type(resources, kind):
        assert wanted <= set(resource["inputs"].get("tags", {}).items()), resource["urn"]


def test_prometheus_volumes_are_selected_by_their_claims_namespace(planned: Plan) -> None:
    _, resources = planned("prod")
    selection = next(s for s in of_type(resources, "aws:backup/selection:Selection") if "conditions" in s["inputs"])
    (condition,) = selection["inputs"]["conditions"]
    assert condition["stringEquals"] == [
        {"key": "aws:ResourceTag/kubernetes.io/created-for/pvc/namespace", "value": "monitoring"}
    ]


def test_restore_testing_restores_postgres_and_documentdb_weekly_in_isolation(planned: Plan) -> None:
    _, resources = planned("prod")
    plan = one(resources, "aws:backup/restoreTestingPlan:RestoreTestingPlan")
    assert plan["inputs"]["scheduleExpression"] == "cron(0 5 ? * SUN *)"
    assert plan["inputs"]["recoveryPointSelection"]["algorithm"] == "LATEST_WITHIN_WINDOW"
    selections = of_type(resources, "aws:backup/restoreTestingSelection:RestoreTestingSelection")
    assert {s["inputs"]["protectedResourceType"] for s in selections} == {"RDS", "DocumentDB"}
    isolated = one(resources, "aws:ec2/securityGroup:SecurityGroup", "backup-plan-restore-tests")
    assert isolated["inputs"]["ingress"] == [] and isolated["inputs"]["egress"] == []
    for selection in selections:
        assert isolated["id"] in selection["inputs"]["restoreMetadataOverrides"]["vpcSecurityGroupIds"]


def test_postgres_point_in_time_recovery_is_replicated_to_the_backup_region(planned: Plan) -> None:
    _, resources = planned("prod")
    replication = one(resources, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert _region(resources, replication) == "us-west-2"
    assert replication["inputs"]["sourceDbInstanceArn"].endswith(":db:platform-prod-postgres")
    assert replication["inputs"]["retentionPeriod"] == 30


def test_elasticache_snapshots_at_two_utc_kept_30_days(planned: Plan) -> None:
    _, resources = planned("prod")
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert group["inputs"]["snapshotWindow"].startswith("02:00-")
    assert group["inputs"]["snapshotRetentionLimit"] == 30


def test_dev_keeps_the_schedule_without_locks(planned: Plan) -> None:
    _, resources = planned("dev")
    plan = one(resources, "aws:backup/plan:Plan", "backup-plan-plan")
    assert plan["inputs"]["rules"][0]["schedule"] == "cron(0 2 * * ? *)"
    assert of_type(resources, "aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []
    assert all(b["inputs"]["objectLockEnabled"] is False for b in backup_buckets(resources))


def test_documentdb_gets_an_hourly_snapshot_copied_to_the_backup_region(planned: Plan) -> None:
    _, resources = planned("prod")
    plan = one(resources, "aws:backup/plan:Plan", "backup-plan-hourly")
    (rule,) = plan["inputs"]["rules"]
    assert rule["schedule"] == "cron(0 * * * ? *)"
    assert ":us-west-2:" in rule["copyActions"][0]["destinationVaultArn"]
    selection = one(resources, "aws:backup/selection:Selection", "backup-plan-hourly")
    documentdb = one(resources, "aws:docdb/cluster:Cluster")
    assert selection["inputs"]["resources"] == [documentdb["outputs"]["arn"]]


def test_every_prefix_a_writer_may_put_to_has_a_lifecycle_rule(planned: Plan) -> None:
    """Without a rule for the whole bucket, a writer outside the rules' prefixes would keep its objects
    for ever: every grant of s3:PutObject on the primary bucket names a prefix that has a rule."""
    _, resources = planned("prod")
    primary = one(resources, "aws:s3/bucket:Bucket", "backups-primary")
    bucket = primary["outputs"]["arn"]
    documents = [json.loads(p["inputs"]["policy"]) for p in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy")]
    documents += [json.loads(p["inputs"]["policy"]) for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")]
    written: set[str] = set()
    for document in documents:
        for statement in document["Statement"]:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            targets = statement.get("Resource", [])
            targets = [targets] if isinstance(targets, str) else targets
            if statement["Effect"] == "Allow" and "s3:PutObject" in actions:
                written |= {t.removeprefix(f"{bucket}/") for t in targets if t.startswith(f"{bucket}/")}
    (lifecycle,) = _attached(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", primary)
    prefixes = [rule["filter"]["prefix"] for rule in lifecycle["inputs"]["rules"]]
    assert written, "no writer found: the test reads the wrong documents"
    assert all(any(w.startswith(p) for p in prefixes) for w in written), (written, prefixes)
