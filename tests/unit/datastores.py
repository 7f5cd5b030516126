"""Shared inputs and checks for the datastore unit tests."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pydantic

from components.datastores.common import DatastoreLogs, Placement, SecretSpec
from components.datastores.rotation import CredentialRotation
from infra.aws_context import AwsContext
from infra.config import ProtectionConfig
from tests.support import of_type, one
from tools.offline.outputs import mock_password

CLUSTER_SG = "sg-0cluster0000000001"
OTHER_SG = "sg-0other00000000002"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"
PLACEMENT = Placement(
    vpc_id="vpc-0test",
    subnet_ids=["subnet-0a", "subnet-0b", "subnet-0c"],
    allowed_security_group_ids=[CLUSTER_SG],
)
LOGS = DatastoreLogs(AwsContext("123456789012", "aws", "us-east-1", "amazonaws.com"), retention_days=365)
ROTATION = CredentialRotation(LOGS.aws, every_days=30, log_retention_days=365, subnet_ids=["subnet-0p", "subnet-1p"])
SECRET = SecretSpec(name="platform-test/datastores/x", recovery_window_days=30)
# What prod has, and what dev may relax to (a final snapshot and encryption stay on either way).
PROTECTED = ProtectionConfig(protect=True, deletion_protection=True)
UNPROTECTED = ProtectionConfig(protect=False, deletion_protection=False)
WORLD = ("0.0.0.0/0", "::/0")

Config = TypeVar("Config", bound=pydantic.BaseModel)


def variant(spec: Config, **changes: Any) -> Config:
    """``spec`` with ``changes``, validated again (``model_copy`` would skip the model's checks)."""
    return type(spec).model_validate({**spec.model_dump(), **changes})


def assert_security_group_admits_only(resources: list[dict[str, Any]], port: int, groups: list[str]) -> None:
    """One security group: exactly ``port`` from exactly ``groups``; no CIDR anywhere; no egress."""
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup")
    assert sg["inputs"]["egress"] == []
    assert not sg["inputs"].get("ingress"), "ingress is the standalone rules' alone"
    rules = of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r["inputs"]["referencedSecurityGroupId"] for r in rules) == sorted(groups)
    for rule in rules:
        inputs = rule["inputs"]
        assert inputs["securityGroupId"] == sg["id"]
        assert (inputs["ipProtocol"], inputs["fromPort"], inputs["toPort"]) == ("tcp", port, port)
        assert not inputs.get("cidrIpv4") and not inputs.get("cidrIpv6") and not inputs.get("prefixListId")
    assert not of_type(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert not of_type(resources, "aws:ec2/securityGroupRule:SecurityGroupRule")
    assert not any(w in json.dumps(resources) for w in WORLD)


def assert_placed_in_data_subnets(
    resources: list[dict[str, Any]],
    store: str,
    subnet_group: str,
    subnet_group_key: str,
    security_groups_key: str,
    port: int,
) -> None:
    """The datastore ``store`` sits in a subnet group of PLACEMENT's subnets, behind only its own security
    group, which admits ``port`` from the cluster's group alone."""
    resource = one(resources, store)
    subnets = one(resources, subnet_group)
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup")
    assert subnets["inputs"]["subnetIds"] == ["subnet-0a", "subnet-0b", "subnet-0c"]
    assert resource["inputs"][subnet_group_key] == subnets["outputs"]["name"]
    assert resource["inputs"][security_groups_key] == [sg["id"]]
    assert_security_group_admits_only(resources, port, [CLUSTER_SG])


def assert_password_never_plain(resources: list[dict[str, Any]], logical_name: str, length: int) -> None:
    generated = one(resources, "random:index/randomPassword:RandomPassword", logical_name)
    assert generated["inputs"]["length"] == length
    assert generated["inputs"]["special"] is False
    value = mock_password(logical_name, length)
    assert value not in json.dumps(resources), "a generated password is in the plan in plain text"
    assert "ciphertext" in json.dumps(generated["outputs"]["result"])


def assert_secret_stored(
    resources: list[dict[str, Any]], key_arn: str, protect: bool, spec: SecretSpec = SECRET
) -> dict[str, Any]:
    """One secret, named and kept as ``spec`` says, encrypted with ``key_arn``; its value hidden."""
    secret = one(resources, "aws:secretsmanager/secret:Secret")
    assert secret["inputs"]["kmsKeyId"] == key_arn
    assert secret["inputs"]["name"] == spec.name
    assert secret["inputs"]["recoveryWindowInDays"] == spec.recovery_window_days
    assert secret.get("protect", False) is protect
    version = one(resources, "aws:secretsmanager/secretVersion:SecretVersion")
    assert version["inputs"]["secretId"] == secret["id"]
    assert "ciphertext" in json.dumps(version["inputs"]["secretString"])
    return secret


def component_outputs(resources: list[dict[str, Any]], token: str) -> dict[str, Any]:
    (component,) = [r for r in resources if r["type"] == token and not r["custom"]]
    return dict(component["outputs"])
