"""The Redis component: ElastiCache encrypted at rest and in transit, AUTH, failover, snapshots."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from components.datastores.redis import Redis, RedisArgs
from infra.config import RedisConfig
from tests.support import build, of_type, one
from tests.unit.datastores import (
    KEY_ARN,
    LOGS,
    PLACEMENT,
    PROTECTED,
    ROTATION,
    SECRET,
    UNPROTECTED,
    assert_password_never_plain,
    assert_placed_in_data_subnets,
    assert_secret_stored,
    component_outputs,
    variant,
)

SPEC = RedisConfig(
    engine_version="7.1",
    node_type="cache.r6g.large",
    num_cache_clusters=3,
    automatic_failover=True,
    multi_az=True,
    snapshot_retention_days=7,
    snapshot_window="02:00-03:00",
    maintenance_window="sun:05:00-sun:06:00",
)
GROUP_ID = "platform-test-redis"
ARGS = RedisArgs(
    spec=SPEC,
    replication_group_id="platform-test-redis",
    placement=PLACEMENT,
    kms_key_arn=KEY_ARN,
    secret=SECRET,
    protection=PROTECTED,
    rotation=ROTATION,
    logs=LOGS,
)


def redis(spec: dict[str, Any] | None = None, **changes: Any) -> list[dict[str, Any]]:
    """The component built from ARGS, with ``changes`` to the Args and ``spec`` to its config section."""
    if spec:
        changes["spec"] = variant(SPEC, **spec)
    args = dataclasses.replace(ARGS, **changes)
    return build(lambda: Redis("redis", args))


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return redis()


def test_encrypted_at_rest_with_the_key_and_in_transit(resources: list[dict[str, Any]]) -> None:
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]
    assert group["atRestEncryptionEnabled"] is True and group["kmsKeyId"] == KEY_ARN
    assert group["transitEncryptionEnabled"] is True and group["transitEncryptionMode"] == "required"
    assert "ciphertext" in str(group["authToken"])


def test_failover_multi_az_and_three_nodes(resources: list[dict[str, Any]]) -> None:
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]
    assert group["automaticFailoverEnabled"] is True and group["multiAzEnabled"] is True
    assert group["numCacheClusters"] == 3 and group["engine"] == "redis"
    assert (group["engineVersion"], group["nodeType"], group["port"]) == ("7.1", "cache.r6g.large", 6379)
    assert group["replicationGroupId"] == "platform-test-redis"


def test_private_in_the_data_subnets_with_its_own_group(resources: list[dict[str, Any]]) -> None:
    assert_placed_in_data_subnets(
        resources,
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "subnetGroupName",
        "securityGroupIds",
        6379,
    )


def test_snapshots_at_two_and_a_final_one_and_protected(resources: list[dict[str, Any]]) -> None:
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert group["inputs"]["snapshotRetentionLimit"] == 7
    assert group["inputs"]["snapshotWindow"].startswith("02:00")
    assert group["inputs"]["maintenanceWindow"] == "sun:05:00-sun:06:00"
    assert group["inputs"]["finalSnapshotIdentifier"] == "platform-test-redis-final"
    assert group.get("protect") is True


def test_token_generated_and_stored(resources: list[dict[str, Any]]) -> None:
    assert_password_never_plain(resources, "redis-auth-token", 64)
    assert_secret_stored(resources, KEY_ARN, protect=True)


def test_connection_details_are_outputs(resources: list[dict[str, Any]]) -> None:
    outputs = component_outputs(resources, "platform:datastores:Redis")
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert outputs["host"] == group["outputs"]["primaryEndpointAddress"]
    assert outputs["port"] == 6379 and outputs["secret_name"] == SECRET.name


def test_dev_shape_single_node_unprotected() -> None:
    resources = redis(
        {"num_cache_clusters": 1, "automatic_failover": False, "multi_az": False, "node_type": "cache.t4g.small"},
        protection=UNPROTECTED,
    )
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert group["inputs"]["automaticFailoverEnabled"] is False and group["inputs"]["multiAzEnabled"] is False
    assert group["inputs"]["numCacheClusters"] == 1 and group["inputs"]["nodeType"] == "cache.t4g.small"
    assert group.get("protect", False) is False
    assert group["inputs"]["transitEncryptionEnabled"] is True, "encryption is never relaxed"
    assert group["inputs"]["atRestEncryptionEnabled"] is True and group["inputs"]["kmsKeyId"] == KEY_ARN
    assert group["inputs"]["finalSnapshotIdentifier"] == "platform-test-redis-final"
    assert_secret_stored(resources, KEY_ARN, protect=False)


def test_redis_6_has_tls_without_a_mode() -> None:
    group = one(redis({"engine_version": "6.2"}), "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]
    assert group["transitEncryptionEnabled"] is True and "transitEncryptionMode" not in group


def test_slow_and_engine_logs_go_to_encrypted_groups(resources: list[dict[str, Any]]) -> None:
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    deliveries = {d["logType"]: d for d in group["inputs"]["logDeliveryConfigurations"]}
    assert set(deliveries) == {"slow-log", "engine-log"}
    logs = {g["inputs"]["name"]: g for g in of_type(resources, "aws:cloudwatch/logGroup:LogGroup")}
    key = one(resources, "aws:kms/key:Key", "redis-logs")
    for log_type, stream in (("slow-log", "slow"), ("engine-log", "engine")):
        delivery = deliveries[log_type]
        assert delivery["destinationType"] == "cloudwatch-logs" and delivery["logFormat"] == "json"
        target = logs[delivery["destination"]]
        assert target["inputs"]["name"] == f"/aws/elasticache/platform-test-redis/{stream}"
        assert target["inputs"]["kmsKeyId"] == key["outputs"]["arn"] and target["inputs"]["retentionInDays"] == 365


def test_the_token_rotates_on_a_schedule_and_pulumi_never_writes_it_again(resources: list[dict[str, Any]]) -> None:
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert "authToken" in group["ignoreChanges"]
    secret = one(resources, "aws:secretsmanager/secret:Secret")
    assert one(resources, "aws:secretsmanager/secretVersion:SecretVersion")["ignoreChanges"] == ["secretString"]
    rotation = one(resources, "aws:secretsmanager/secretRotation:SecretRotation")
    function = one(resources, "aws:lambda/function:Function")
    assert rotation["inputs"]["secretId"] == secret["id"]
    assert rotation["inputs"]["rotationLambdaArn"] == function["outputs"]["arn"]
    assert rotation["inputs"]["rotationRules"]["automaticallyAfterDays"] == 30
    assert rotation["inputs"]["rotateImmediately"] is True
    assert function["inputs"]["environment"]["variables"] == {"ENGINE": "redis", "REPLICATION_GROUP_ID": GROUP_ID}
    assert function["inputs"]["timeout"] == 900 and "vpcConfig" not in function["inputs"]
    permission = one(resources, "aws:lambda/permission:Permission")["inputs"]
    assert (
        permission["principal"] == "secretsmanager.amazonaws.com"
        and permission["sourceArn"] == secret["outputs"]["arn"]
    )
    statements = {
        s["Sid"]: s
        for s in json.loads(one(resources, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    }
    assert statements["RotateThisSecret"]["Resource"] == secret["outputs"]["arn"]
    assert statements["SetThisGroupsToken"]["Resource"] == group["outputs"]["arn"]
    assert statements["UseTheKeyThroughSecretsManager"]["Resource"] == KEY_ARN
