"""The RabbitMQ component: Amazon MQ private, cluster or single from args, KMS, AMQPS only, logs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components.datastores.rabbitmq import RabbitMq, RabbitMqArgs
from tests.support import build, one
from tests.unit.datastores import (
    CLUSTER_SG,
    KEY_ARN,
    PLACEMENT,
    SECRET,
    assert_password_never_plain,
    assert_secret_stored,
    assert_security_group_admits_only,
    component_outputs,
)

ARGS = RabbitMqArgs(
    broker_name="platform-test-rabbitmq",
    placement=PLACEMENT,
    kms_key_arn=KEY_ARN,
    secret=SECRET,
    engine_version="3.13",
    instance_type="mq.m5.large",
    deployment_mode="CLUSTER_MULTI_AZ",
    username="processing",
)


def rabbitmq(**changes: Any) -> list[dict[str, Any]]:
    args = dataclasses.replace(ARGS, **changes)
    return build(lambda: RabbitMq("rabbitmq", args))


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return rabbitmq()


def test_private_cluster_in_three_data_subnets(resources: list[dict[str, Any]]) -> None:
    broker = one(resources, "aws:mq/broker:Broker")["inputs"]
    assert broker["engineType"] == "RabbitMQ" and broker["publiclyAccessible"] is False
    assert broker["deploymentMode"] == "CLUSTER_MULTI_AZ"
    assert broker["subnetIds"] == ["subnet-0a", "subnet-0b", "subnet-0c"]


def test_single_instance_uses_one_subnet() -> None:
    broker = one(rabbitmq(deployment_mode="SINGLE_INSTANCE", instance_type="mq.t3.micro"), "aws:mq/broker:Broker")
    assert broker["inputs"]["deploymentMode"] == "SINGLE_INSTANCE"
    assert broker["inputs"]["subnetIds"] == ["subnet-0a"]


def test_customer_managed_key_and_general_logs(resources: list[dict[str, Any]]) -> None:
    broker = one(resources, "aws:mq/broker:Broker")
    assert broker["inputs"]["encryptionOptions"] == {"kmsKeyId": KEY_ARN, "useAwsOwnedKey": False}
    assert broker["inputs"]["logs"]["general"] is True
    assert broker["inputs"]["autoMinorVersionUpgrade"] is True
    assert broker.get("protect") is True


def test_only_amqps_from_the_given_group(resources: list[dict[str, Any]]) -> None:
    broker = one(resources, "aws:mq/broker:Broker")
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup")
    assert broker["inputs"]["securityGroups"] == [sg["id"]]
    assert_security_group_admits_only(resources, 5671, [CLUSTER_SG])


def test_password_secret_even_inside_the_users_list(resources: list[dict[str, Any]]) -> None:
    broker = one(resources, "aws:mq/broker:Broker")
    assert "ciphertext" in str(broker["inputs"]["users"])
    assert_password_never_plain(resources, "rabbitmq-password", 40)
    assert_secret_stored(resources, KEY_ARN, protect=True)


def test_host_comes_from_the_amqps_endpoint(resources: list[dict[str, Any]]) -> None:
    outputs = component_outputs(resources, "platform:datastores:RabbitMq")
    broker = one(resources, "aws:mq/broker:Broker")
    endpoint = broker["outputs"]["instances"][0]["endpoints"][0]
    assert endpoint == f"amqps://{outputs['host']}:5671"
    assert outputs["port"] == 5671 and outputs["secret_name"] == SECRET.name


def test_args_refuse_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="deployment_mode"):
        dataclasses.replace(ARGS, deployment_mode="ACTIVE_STANDBY_MULTI_AZ")
