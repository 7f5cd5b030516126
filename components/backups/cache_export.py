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

from components.parts import ScheduledFunctionSpec, scheduled_function
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
        function_name = f"{args.name_prefix}-cache-export"
        function = scheduled_function(
            name,
            ScheduledFunctionSpec(
                function_name=function_name,
                role_description=f"{function_name}: export the Redis group's newest snapshot to the backup bucket",
                description="Exports the newest automatic ElastiCache snapshot to the backup bucket",
                handler=HANDLER,
                environment={"REPLICATION_GROUP_ID": args.replication_group_id, "BUCKET": args.bucket},
                schedule_suffix="daily",
                schedule_description="Daily, after the Redis snapshot window",
                schedule_expression=args.schedule,
                schedule_timezone="Etc/UTC",
                retries=3,
                runtime=RUNTIME,
            ),
            lambda log_group_arn: pulumi.Output.all(
                args.aws.partition, args.aws.account_id, args.replication_group_id, args.bucket_arn, log_group_arn
            ).apply(lambda v: _function_policy(v[0], v[1], v[2], v[3], v[4], region=args.aws.region)),
            args.aws,
            args.log_retention_days,
            self,
            args.protection.protect,
        ).function
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
