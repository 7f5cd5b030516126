"""ElastiCache's daily snapshot, exported into the backup bucket and so to the backup region.

AWS Backup does not protect ElastiCache, and ElastiCache copies a snapshot to S3 only in its own region.
So a small function (``cache_export_handler.py``) runs daily after the snapshot window, on an
EventBridge Scheduler schedule, and copies the newest automatic snapshot of the Redis group to
``elasticache/`` in the primary backup bucket; the bucket's replication (RTC, 15 minutes) carries the
``.rdb`` file to the backup region, where a disaster-recovery stack can start a new group from it.

Least privilege: the function may describe snapshots and copy this group's snapshots, list the
bucket's export prefix, and write only its own log group; the schedule may invoke only this function.
ElastiCache itself writes the export (the bucket policy admits its snapshot service for that prefix).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.parts import encrypted_log_group
from infra import iam
from infra.aws_context import AwsContext
from infra.config.workloads import ProtectionConfig

HANDLER = Path(__file__).with_name("cache_export_handler.py")
RUNTIME = "python3.12"


@dataclass(frozen=True)
class CacheExportArgs:
    name_prefix: str
    aws: AwsContext
    replication_group_id: pulumi.Input[str]
    bucket: pulumi.Input[str]  # the primary backup bucket
    bucket_arn: pulumi.Input[str]
    schedule: str  # an AWS cron after the snapshot window, e.g. cron(30 3 * * ? *)
    log_retention_days: int
    protection: ProtectionConfig


class CacheExport(pulumi.ComponentResource):
    function_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CacheExportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:backups:CacheExport", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{args.name_prefix}-cache-export"
        group_name = f"/aws/lambda/{function_name}"
        logs = encrypted_log_group(
            f"{name}-logs",
            group_name,
            f"Logs of {function_name}",
            args.aws,
            args.log_retention_days,
            self,
            args.protection.protect,
        )
        role = aws.iam.Role(
            f"{name}-function",
            description=f"{function_name}: export the Redis group's newest snapshot to the backup bucket",
            assume_role_policy=iam.service_assume_role(args.aws, "lambda"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-function",
            role=role.id,
            policy=pulumi.Output.all(
                args.aws.partition, args.aws.account_id, args.replication_group_id, args.bucket_arn, logs.arn
            ).apply(lambda v: _function_policy(v[0], v[1], v[2], v[3], v[4], region=args.aws.region)),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Exports the newest automatic ElastiCache snapshot to the backup bucket",
            role=role.arn,
            runtime=RUNTIME,
            handler="cache_export_handler.handler",
            code=pulumi.AssetArchive({HANDLER.name: pulumi.StringAsset(HANDLER.read_text(encoding="utf-8"))}),
            timeout=60,
            memory_size=128,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={"REPLICATION_GROUP_ID": args.replication_group_id, "BUCKET": args.bucket}
            ),
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
            f"{name}-daily",
            name=f"{args.name_prefix}-cache-export",
            description="Daily, after the Redis snapshot window",
            schedule_expression=args.schedule,
            schedule_expression_timezone="Etc/UTC",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=function.arn,
                role_arn=scheduler_role.arn,
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=3),
            ),
            opts=child,
        )
        self.function_arn = function.arn
        self.register_outputs({"function_arn": self.function_arn})


def _function_policy(partition: str, account: str, group: str, bucket_arn: str, log_group_arn: str, region: str) -> str:
    snapshots = f"arn:{partition}:elasticache:{region}:{account}:snapshot:*"
    statements = [
        {"Sid": "FindTheSnapshots", "Effect": "Allow", "Action": "elasticache:DescribeSnapshots", "Resource": "*"},
        {
            "Sid": "ExportThisGroupsSnapshots",
            "Effect": "Allow",
            "Action": "elasticache:CopySnapshot",
            "Resource": [snapshots, f"arn:{partition}:elasticache:{region}:{account}:replicationgroup:{group}"],
        },
        {
            # CopySnapshot to S3 checks the bucket's location and existence with the caller's rights.
            "Sid": "ReachTheBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListAllMyBuckets"],
            "Resource": "*",
        },
        {
            "Sid": "SeeWhatIsExported",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": ["elasticache/*"]}},
        },
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
