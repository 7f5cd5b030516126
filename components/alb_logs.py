"""The public ALB's access logs, part of the ingress component: an S3 bucket in the ALB's region.

Elastic Load Balancing writes access logs only into buckets encrypted with S3-managed keys (SSE-S3,
AES-256): a KMS key is not accepted. The bucket blocks public access, is versioned, owns every object
(no ACLs), denies requests without TLS, lets only the load balancer log-delivery principal of the region
write, and only under its prefix for this account; a lifecycle rule expires logs after the configured days.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from components.ingress import IngressArgs

PREFIX = "alb"
# The Elastic Load Balancing account that delivers access logs in each region opened before August 2022;
# regions opened since deliver as the log-delivery service principal (LOG_DELIVERY_SERVICE).
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


def log_delivery_principal(region: str, partition: str) -> dict[str, str]:
    """Who writes a region's ALB access logs: its ELB account, or the log-delivery service."""
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is not None:
        return {"AWS": f"arn:{partition}:iam::{account}:root"}
    return {"Service": LOG_DELIVERY_SERVICE}


def bucket_policy(bucket_arn: str, account: str, region: str, partition: str) -> str:
    """TLS only; the region's log-delivery principal may put objects under this account's log prefix."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "LoadBalancerAccessLogs",
            "Effect": "Allow",
            "Principal": log_delivery_principal(region, partition),
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{PREFIX}/AWSLogs/{account}/*",
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def access_log_bucket(parent: pulumi.Resource, name: str, args: IngressArgs) -> tuple[aws.s3.Bucket, pulumi.Resource]:
    """The bucket, and the resource the ALB's logging must wait for (its policy: ELB checks it)."""
    child = pulumi.ResourceOptions(parent=parent)
    where = args.aws
    bucket = aws.s3.Bucket(
        f"{name}-alb-logs",
        bucket=pulumi.Output.concat(args.name_prefix, "-alb-logs-", where.region, "-", where.account_id),
        force_destroy=False,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protection.protect),
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-alb-logs",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-alb-logs",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"  # the only encryption ELB access logs accept
                ),
            )
        ],
        opts=child,
    )
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-alb-logs",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-alb-logs",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-alb-logs",
        bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, where.account_id, where.partition).apply(
            lambda v: bucket_policy(v[0], v[1], where.region, v[2])
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block]),
    )
    days = args.spec.access_log_retention_days
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-alb-logs",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=1
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7
                ),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    return bucket, policy
