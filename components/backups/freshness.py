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

from components.backups.freshness_handler import NAMESPACE
from components.parts import ScheduledFunctionSpec, scheduled_function
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
        function_name = f"{args.name_prefix}-backup-freshness"
        arns = pulumi.Output.all(*[v.arn for v in args.vaults])
        locations = [v.location for v in args.vaults]

        def vaults_env(values: list[Any]) -> str:
            return json.dumps([{"arn": a, "location": loc} for a, loc in zip(values, locations, strict=True)])

        function = scheduled_function(
            name,
            ScheduledFunctionSpec(
                function_name=function_name,
                role_description=f"{function_name}: publish the age of each vault's newest recovery point",
                description=f"Publishes the age of each backup vault's newest recovery point to {NAMESPACE}",
                handler=HANDLER,
                environment={"VAULTS": arns.apply(vaults_env)},
                schedule_suffix="periodic",
                schedule_description="Measure the backups' age for the RPO alert",
                schedule_expression=f"rate({args.interval_minutes} minutes)",
                retries=1,
                runtime=RUNTIME,
            ),
            lambda log_group_arn: pulumi.Output.all(arns, log_group_arn).apply(lambda v: function_policy(v[0], v[1])),
            args.aws,
            args.log_retention_days,
            self,
            args.protection.protect,
        ).function
        self.function_arn = function.arn
        self.register_outputs({"function_arn": self.function_arn})
