"""The RabbitMQ component: Amazon MQ private, cluster or single from args, KMS, AMQPS only, logs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components.datastores.rabbitmq import RabbitMq, RabbitMqArgs
from infra.config import RabbitMqConfig
from tests.support import build, of_type, one
from tests.unit.datastores import (
    CLUSTER_SG,
    KEY_ARN,
    LOGS,
    PLACEMENT,
    PROTECTED,
    ROTATION,
    SECRET,
    UNPROTECTED,
    assert_password_never_plain,
    assert_secret_stored,
    assert_security_group_admits_only,
    component_outputs,
    variant,
)

SPEC = RabbitMqConfig(
    engine_version="3.13",
    instance_type="mq.m5.large",
    deployment_mode="CLUSTER_MULTI_AZ",
    username="processing",
    maintenance_day="SUNDAY",
    maintenance_time="04:00",
)
ARGS = RabbitMqArgs(
    spec=SPEC,
    broker_name="platform-test-rabbitmq",
    placement=PLACEMENT,
    kms_key_arn=KEY_ARN,
    secret=SECRET,
    protection=PROTECTED,
    rotation=ROTATION,
    logs=LOGS,
)


def rabbitmq(spec: dict[str, Any] | None = None, **changes: Any) -> list[dict[str, Any]]:
    """The component built from ARGS, with ``changes`` to the Args and ``spec`` to its config section."""
    if spec:
        changes["spec"] = variant(SPEC, **spec)
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
    assert (broker["brokerName"], broker["engineVersion"], broker["hostInstanceType"]) == (
        "platform-test-rabbitmq",
        "3.13",
        "mq.m5.large",
    )
    assert broker["maintenanceWindowStartTime"] == {"dayOfWeek": "SUNDAY", "timeOfDay": "04:00", "timeZone": "UTC"}


def test_single_instance_uses_one_subnet() -> None:
    resources = rabbitmq({"deployment_mode": "SINGLE_INSTANCE", "instance_type": "mq.t3.micro"}, protection=UNPROTECTED)
    broker = one(resources, "aws:mq/broker:Broker")
    assert broker["inputs"]["deploymentMode"] == "SINGLE_INSTANCE"
    assert broker["inputs"]["hostInstanceType"] == "mq.t3.micro"
    assert broker["inputs"]["subnetIds"] == ["subnet-0a"]
    assert broker.get("protect", False) is False
    assert broker["inputs"]["encryptionOptions"] == {"kmsKeyId": KEY_ARN, "useAwsOwnedKey": False}
    assert_secret_stored(resources, KEY_ARN, protect=False)


def test_customer_managed_key_and_general_logs(resources: list[dict[str, Any]]) -> None:
    broker = one(resources, "aws:mq/broker:Broker")
    assert broker["inputs"]["encryptionOptions"] == {"kmsKeyId": KEY_ARN, "useAwsOwnedKey": False}
    assert broker["inputs"]["logs"]["general"] is True
    assert broker["inputs"]["autoMinorVersionUpgrade"] is True
    assert broker.get("protect") is True


def test_only_amqps_from_the_given_group(resources: list[dict[str, Any]]) -> None:
    broker = one(resources, "aws:mq/broker:Broker")
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "rabbitmq-sg")
    assert broker["inputs"]["securityGroups"] == [sg["id"]]
    # The clients' side; the rotation function's own group and its one rule are checked below.
    clients = [r for r in resources if "rotation" not in r["urn"].rsplit("::", 1)[-1]]
    assert_security_group_admits_only(clients, 5671, [CLUSTER_SG])


def test_the_user_rotates_through_the_management_api_opened_to_the_function_only(
    resources: list[dict[str, Any]],
) -> None:
    broker_sg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "rabbitmq-sg")
    function_sg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "rabbitmq-rotation")
    rule = one(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rabbitmq-from-rotation")
    assert rule["inputs"]["securityGroupId"] == broker_sg["id"]
    assert rule["inputs"]["referencedSecurityGroupId"] == function_sg["id"]
    assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (443, 443)
    assert function_sg["inputs"]["egress"] == []
    egress = {r["urn"].rsplit("::", 1)[-1]: r["inputs"] for r in
              of_type(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")}  # fmt: skip
    assert egress["rabbitmq-rotation-to-store"]["referencedSecurityGroupId"] == broker_sg["id"]
    assert egress["rabbitmq-rotation-to-api"]["fromPort"] == egress["rabbitmq-rotation-to-api"]["toPort"] == 443
    function = one(resources, "aws:lambda/function:Function", "rabbitmq-rotation")["inputs"]
    assert function["vpcConfig"] == {"subnetIds": ["subnet-0p", "subnet-1p"], "securityGroupIds": [function_sg["id"]]}
    assert function["environment"]["variables"] == {"ENGINE": "rabbitmq"}
    rotation = one(resources, "aws:secretsmanager/secretRotation:SecretRotation")["inputs"]
    assert rotation["secretId"] == one(resources, "aws:secretsmanager/secret:Secret")["id"]
    assert "users" in one(resources, "aws:mq/broker:Broker")["ignoreChanges"]


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


def test_the_rotation_function_is_traced_and_its_role_reaches_only_this_secret(resources: list[dict[str, Any]]) -> None:
    import json

    function = one(resources, "aws:lambda/function:Function", "rabbitmq-rotation")["inputs"]
    assert function["tracingConfig"] == {"mode": "Active"} and function["reservedConcurrentExecutions"] == 1
    policy = json.loads(one(resources, "aws:iam/rolePolicy:RolePolicy", "rabbitmq-rotation")["inputs"]["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    secret = one(resources, "aws:secretsmanager/secret:Secret")
    assert statements["RotateThisSecret"]["Resource"] == secret["outputs"]["arn"]
    # It reads the versions' dates to refuse a rotation within the services' pickup time.
    assert "secretsmanager:ListSecretVersionIds" in statements["RotateThisSecret"]["Action"]
    assert statements["UseTheKeyThroughSecretsManager"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }
    wildcard = {sid for sid, s in statements.items() if s["Resource"] == "*"}
    assert wildcard == {"GeneratePasswords", "TraceItsCalls", "AttachToTheVpc"}, "only actions that take no resource"
