"""How old the newest backups are, as a metric: the base of the alert on backups older than the RPO.

AWS Backup's own CloudWatch metrics (``AWS/Backup``) count jobs and recovery points created, completed
or failed in each period; none says how old the newest recovery point of a vault is, and a missing
job publishes nothing at all, so "no backup for an hour" would be an alert on absent data. So a small
function (``freshness_handler.py``) runs every ``interval_minutes`` on an EventBridge Scheduler
schedule, reads each vault's recovery points and publishes the age of the newest one per resource
type to ``Platform/Backups`` in the primary region; the CloudWatch exporter turns it into the series
``aws_platform_backups_recovery_point_age_seconds_maximum``.

Least privilege: the function may list the recovery points of exactly the given vaults, publish
metrics only into ``Platform/Backups`` (``cloudwatch:PutMetricData`` has no resource type: ``*``,
narrowed by the ``cloudwatch:namespace`` condition key), and write its own log group; the schedule
may invoke only this function.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.backups.freshness_handler import NAMESPACE
from components.parts import encrypted_log_group
from infra import iam
from infra.aws_context import AwsContext
from infra.config.workloads import ProtectionConfig

HANDLER = Path(__file__).with_name("freshness_handler.py")
RUNTIME = "python3.12"


@dataclass(frozen=True)
class WatchedVault:
    arn: pulumi.Input[str]
    location: str  # "primary" or "backup-region": the alerts' thresholds differ (the copy lags)


@dataclass(frozen=True)
class BackupFreshnessArgs:
    name_prefix: str
    aws: AwsContext
    vaults: Sequence[WatchedVault]
    interval_minutes: int
    log_retention_days: int
    protection: ProtectionConfig


def function_policy(vault_arns: Sequence[str], log_group_arn: str) -> str:
    statements = [
        {
            "Sid": "ListTheVaultsRecoveryPoints",
            "Effect": "Allow",
            "Action": "backup:ListRecoveryPointsByBackupVault",
            "Resource": sorted(vault_arns),
        },
        {
            "Sid": "PublishTheAges",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
        },
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


class BackupFreshness(pulumi.ComponentResource):
    function_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupFreshnessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:backups:BackupFreshness", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{args.name_prefix}-backup-freshness"
        logs = encrypted_log_group(
            f"{name}-logs",
            f"/aws/lambda/{function_name}",
            f"Logs of {function_name}",
            args.aws,
            args.log_retention_days,
            self,
            args.protection.protect,
        )
        role = aws.iam.Role(
            f"{name}-function",
            description=f"{function_name}: publish the age of each vault's newest recovery point",
            assume_role_policy=iam.service_assume_role(args.aws, "lambda"),
            opts=child,
        )
        arns = pulumi.Output.all(*[v.arn for v in args.vaults])
        aws.iam.RolePolicy(
            f"{name}-function",
            role=role.id,
            policy=pulumi.Output.all(arns, logs.arn).apply(lambda v: function_policy(v[0], v[1])),
            opts=child,
        )
        locations = [v.location for v in args.vaults]

        def vaults_env(values: list[Any]) -> str:
            return json.dumps([{"arn": a, "location": loc} for a, loc in zip(values, locations, strict=True)])

        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description=f"Publishes the age of each backup vault's newest recovery point to {NAMESPACE}",
            role=role.arn,
            runtime=RUNTIME,
            handler="freshness_handler.handler",
            code=pulumi.AssetArchive({HANDLER.name: pulumi.StringAsset(HANDLER.read_text(encoding="utf-8"))}),
            timeout=60,
            memory_size=128,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"VAULTS": arns.apply(vaults_env)}),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )
        scheduler_role = aws.iam.Role(
            f"{name}-schedule",
            description=f"EventBridge Scheduler: invoke {function_name} only",
            assume_role_policy=iam.service_assume_role(args.aws, "scheduler"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-schedule",
            role=scheduler_role.id,
            policy=iam.document(
                function.arn.apply(lambda arn: {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arn})
            ),
            opts=child,
        )
        aws.scheduler.Schedule(
            f"{name}-periodic",
            name=function_name,
            description="Measure the backups' age for the RPO alert",
            schedule_expression=f"rate({args.interval_minutes} minutes)",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=function.arn,
                role_arn=scheduler_role.arn,
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=1),
            ),
            opts=child,
        )
        self.function_arn = function.arn
        self.register_outputs({"function_arn": self.function_arn})
