"""Amazon MQ's logs under the platform's rules: encrypted with a key of the platform's and kept for
``platform:datastores.logRetentionDays``.

Amazon MQ writes a broker's logs into groups it makes itself, ``/aws/amazonmq/broker/<broker-id>/
<kind>`` (RabbitMQ: ``general`` only; the audit log is ActiveMQ's), without a key and kept forever,
and it takes no group name: the id exists only once the broker does, and MQ makes the group as the
broker boots, so a LogGroup of that name in the program would collide with MQ's. Helpers called from
inside the datastore component (children get ``parent=`` that component):

- :func:`publishing_policy` (before the broker): the CloudWatch Logs resource policy that lets
  ``mq.amazonaws.com`` write into ``/aws/amazonmq/broker/*`` of this account and region only, and only
  for this broker (``aws:SourceAccount``, ``aws:SourceArn`` of the broker's name);
- :func:`govern_logs` (after the broker): a KMS key that CloudWatch Logs may use for this broker's
  groups only, and a function (``broker_logs_handler.py``) that associates that key and puts the
  retention on them, run once as soon as the broker exists (a ``lambda.Invocation``, again when the
  broker or the key changes) and then every ``SCHEDULE_HOURS`` hour(s). Its role may only associate a
  key with and set the retention of this broker's groups, and write its own log group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.datastores.broker_logs_handler import KINDS, PREFIX
from components.parts import ScheduledFunctionSpec, kms_key, scheduled_function
from infra import iam
from infra.aws_context import AwsContext

HANDLER = Path(__file__).with_name("broker_logs_handler.py")
SCHEDULE_HOURS = 1  # a group MQ makes later (a new broker node, a group deleted) is governed within this


@dataclass(frozen=True)
class BrokerLogs:
    """The children :func:`govern_logs` made that a test or a caller may need again."""

    key: aws.kms.Key
    function: aws.lambda_.Function
    invocation: aws.lambda_.Invocation


def log_group_pattern(broker_id: str) -> str:
    return f"{PREFIX}/{broker_id}/*"


def publishing_statement(
    partition: str, account: str, region: str, dns_suffix: str, broker_name: str
) -> dict[str, Any]:
    """Amazon MQ may make streams and write events in its broker groups of this account and region, for
    this broker only."""
    return {
        "Sid": "AmazonMqWritesThisBrokersLogs",
        "Effect": "Allow",
        "Principal": {"Service": f"mq.{dns_suffix}"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"arn:{partition}:logs:{region}:{account}:log-group:{PREFIX}/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:mq:{region}:{account}:broker:{broker_name}:*"},
        },
    }


def publishing_policy(
    parent: pulumi.Resource, name: str, broker_name: str, ctx: AwsContext
) -> aws.cloudwatch.LogResourcePolicy:
    """The resource policy MQ needs before the broker is made (give it to the broker's ``depends_on``)."""
    document = pulumi.Output.all(ctx.partition, ctx.account_id).apply(
        lambda pa: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [publishing_statement(pa[0], pa[1], ctx.region, ctx.dns_suffix, broker_name)],
            },
            sort_keys=True,
        )
    )
    return aws.cloudwatch.LogResourcePolicy(
        f"{name}-logs-publishing",
        policy_name=f"{broker_name}-logs",
        policy_document=document,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def function_policy(group_pattern_arn: str, own_log_group_arn: str) -> str:
    statements = [
        {
            "Sid": "GovernTheBrokersLogGroups",
            "Effect": "Allow",
            "Action": ["logs:AssociateKmsKey", "logs:PutRetentionPolicy"],
            "Resource": group_pattern_arn,
        },
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{own_log_group_arn}:*",
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def govern_logs(
    parent: pulumi.Resource,
    name: str,
    broker_name: str,
    engine: str,
    broker: aws.mq.Broker,
    ctx: AwsContext,
    retention_days: int,
    protect: bool,
) -> BrokerLogs:
    """The broker's log key and the function that puts it and the retention on MQ's groups."""
    key = kms_key(
        f"{name}-broker-logs",
        f"Logs of Amazon MQ broker {broker_name}",
        broker.id.apply(lambda bid: iam.key_policy(ctx, iam.logs_key_statement(ctx, log_group_pattern(bid)))),
        pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    groups_arn = pulumi.Output.all(ctx.partition, ctx.account_id, broker.id).apply(
        lambda v: f"arn:{v[0]}:logs:{ctx.region}:{v[1]}:log-group:{log_group_pattern(v[2])}"
    )
    function_name = f"{broker_name}-logs"
    made = scheduled_function(
        f"{name}-broker-logs",
        ScheduledFunctionSpec(
            function_name=function_name,
            role_description=f"{function_name}: key and retention on the broker's own log groups",
            description=f"Encrypts {broker_name}'s log groups with its key and keeps them {retention_days} days",
            handler=HANDLER,
            environment={
                "ENGINE": engine.lower(),
                "BROKER_ID": broker.id,
                "KMS_KEY_ARN": key.arn,
                "RETENTION_DAYS": str(retention_days),
            },
            schedule_suffix="periodic",
            schedule_description=f"Keep {broker_name}'s log groups encrypted and expiring",
            schedule_expression=f"rate({SCHEDULE_HOURS} hour{'s' if SCHEDULE_HOURS > 1 else ''})",
            retries=2,
        ),
        lambda own: pulumi.Output.all(groups_arn, own).apply(lambda v: function_policy(v[0], v[1])),
        ctx,
        retention_days,
        parent,
        protect,
    )
    waits: list[pulumi.Resource] = [broker, key]
    if made.policy is not None:
        waits.append(made.policy)
    invocation = aws.lambda_.Invocation(
        f"{name}-broker-logs-first-run",
        function_name=made.function.name,
        input=json.dumps({"reason": "the broker was made or its log key changed"}),
        triggers={"broker": broker.id, "key": key.arn},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=waits),
    )
    return BrokerLogs(key=key, function=made.function, invocation=invocation)


__all__ = ["KINDS", "BrokerLogs", "govern_logs", "publishing_policy"]
