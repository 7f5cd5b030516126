"""Scheduled rotation of a credential the platform generates (Redis's AUTH token, RabbitMQ's broker
user): a Secrets Manager rotation function (``rotation_handler.py``) and the schedule that runs it.

Helpers called from inside a datastore component (children get ``parent=`` that component). Secrets
Manager invokes the function on the schedule and once right after the rotation is set up, so the value
the program generated at creation is replaced at once. Least privilege: the function reads and writes
only this secret (and may ask Secrets Manager for a random password), uses the domain's key only
through Secrets Manager, writes only its own log group, and may change only this datastore; a function
that talks to the datastore itself runs in the private subnets with a security group of its own that
reaches the datastore on one port and HTTPS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.parts import encrypted_log_group
from infra import iam
from infra.aws_context import AwsContext

HANDLER = Path(__file__).with_name("rotation_handler.py")
RUNTIME = "python3.12"


@dataclass(frozen=True)
class CredentialRotation:
    """How a generated credential rotates (wiring from the composition)."""

    aws: AwsContext
    every_days: int  # platform:datastores.credentialRotationDays
    log_retention_days: int  # platform:datastores.logRetentionDays
    # Where a function that reaches the datastore runs: subnets with a route to Secrets Manager's API.
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    # How long the services take to use a new credential (secret refresh + rolling restart): a rotation
    # sooner than this after the last one is refused, so the credential they may still hold stays valid.
    min_grace_seconds: int = 0


@dataclass(frozen=True)
class InVpc:
    """The function reaches the datastore itself: its VPC, and the datastore's group and port to open."""

    vpc_id: pulumi.Input[str]
    target_security_group_id: pulumi.Input[str]
    port: int
    description: str


def rotate(
    parent: pulumi.Resource,
    name: str,
    function_name: str,
    engine: str,
    secret: aws.secretsmanager.Secret,
    kms_key_arn: pulumi.Input[str],
    rotation: CredentialRotation,
    protect: bool,
    environment: Mapping[str, pulumi.Input[str]] | None = None,
    statements: Sequence[pulumi.Input[Mapping[str, Any]]] = (),
    vpc: InVpc | None = None,
    timeout: int = 60,
) -> aws.secretsmanager.SecretRotation:
    """The rotation function of ``secret`` and its schedule (every ``rotation.every_days`` days)."""
    child = pulumi.ResourceOptions(parent=parent)
    ctx = rotation.aws
    logs = encrypted_log_group(
        f"{name}-rotation-logs",
        f"/aws/lambda/{function_name}",
        f"Logs of {function_name}",
        ctx,
        rotation.log_retention_days,
        parent,
        protect,
    )
    role = aws.iam.Role(
        f"{name}-rotation",
        description=f"{function_name}: rotate one datastore credential",
        assume_role_policy=iam.service_assume_role(ctx, "lambda"),
        opts=child,
    )
    grants: list[pulumi.Output[Any]] = [
        pulumi.Output.all(secret.arn, kms_key_arn, logs.arn).apply(
            lambda v: _base_statements(v[0], v[1], v[2], ctx.region, ctx.dns_suffix)
        )
    ]
    vpc_config = None
    waits: list[pulumi.Resource] = [logs]
    if vpc is not None:
        group = aws.ec2.SecurityGroup(
            f"{name}-rotation",
            vpc_id=vpc.vpc_id,
            description=f"{function_name}: {vpc.description} and Secrets Manager's API over HTTPS",
            egress=[],
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-rotation-to-store",
            security_group_id=group.id,
            referenced_security_group_id=vpc.target_security_group_id,
            ip_protocol="tcp",
            from_port=vpc.port,
            to_port=vpc.port,
            description=vpc.description,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-rotation-to-api",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="Secrets Manager's regional API (HTTPS, through the NAT gateways)",
            opts=child,
        )
        waits.append(
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-rotation",
                security_group_id=vpc.target_security_group_id,
                referenced_security_group_id=group.id,
                ip_protocol="tcp",
                from_port=vpc.port,
                to_port=vpc.port,
                description=f"{vpc.description}, from the rotation function only",
                opts=child,
            )
        )
        vpc_config = aws.lambda_.FunctionVpcConfigArgs(subnet_ids=rotation.subnet_ids, security_group_ids=[group.id])
        grants.append(pulumi.Output.from_input([_network_interfaces()]))
    grants += [pulumi.Output.from_input(s) for s in statements]
    policy = aws.iam.RolePolicy(
        f"{name}-rotation",
        role=role.id,
        policy=pulumi.Output.all(*grants).apply(
            lambda found: json.dumps(
                {"Version": "2012-10-17", "Statement": [s for group in found for s in _listed(group)]}
            )
        ),
        opts=child,
    )
    function = aws.lambda_.Function(
        f"{name}-rotation",
        name=function_name,
        description=f"Rotates the {engine} credential in its Secrets Manager secret",
        role=role.arn,
        runtime=RUNTIME,
        handler="rotation_handler.handler",
        code=pulumi.AssetArchive({HANDLER.name: pulumi.StringAsset(HANDLER.read_text(encoding="utf-8"))}),
        timeout=timeout,
        memory_size=128,
        reserved_concurrent_executions=1,  # one rotation at a time
        environment=aws.lambda_.FunctionEnvironmentArgs(
            variables={
                "ENGINE": engine,
                **({"MIN_GRACE_SECONDS": str(rotation.min_grace_seconds)} if rotation.min_grace_seconds else {}),
                **(environment or {}),
            }
        ),
        vpc_config=vpc_config,
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
        tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*waits, policy]),
    )
    permission = aws.lambda_.Permission(
        f"{name}-rotation",
        action="lambda:InvokeFunction",
        function=function.name,
        principal=ctx.service_principal("secretsmanager"),
        source_arn=secret.arn,
        source_account=ctx.account_id,
        opts=child,
    )
    return aws.secretsmanager.SecretRotation(
        f"{name}-rotation",
        secret_id=secret.id,
        rotation_lambda_arn=function.arn,
        rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(automatically_after_days=rotation.every_days),
        rotate_immediately=True,  # the value generated at creation is replaced at once
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[permission]),
    )


def _listed(group: Any) -> list[Any]:
    return list(group) if isinstance(group, list | tuple) else [group]


def _base_statements(
    secret_arn: str, key_arn: str, log_group_arn: str, region: str, suffix: str
) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "RotateThisSecret",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:ListSecretVersionIds",  # the current version's age (the pickup time)
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            "Resource": secret_arn,
        },
        {"Sid": "GeneratePasswords", "Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
        {
            "Sid": "UseTheKeyThroughSecretsManager",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.{suffix}"}},
        },
        {
            "Sid": "TraceItsCalls",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",  # X-Ray's write actions take no resource
        },
        {
            "Sid": "WriteItsLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
    ]


def _network_interfaces() -> dict[str, Any]:
    """What Lambda needs to attach a function to the VPC (these EC2 actions take no resource ARN)."""
    return {
        "Sid": "AttachToTheVpc",
        "Effect": "Allow",
        "Action": [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ],
        "Resource": "*",
    }
