"""Children every kind of component makes the same way: a namespace with a Pod Security level, and a
customer-managed KMS key. Helpers called from inside a component (``parent=`` that component), not
components of their own.
"""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import iam
from infra.aws_context import AwsContext

PodSecurity = Literal["privileged", "baseline", "restricted"]


def pod_security_labels(enforce: PodSecurity, warn: PodSecurity, audit: PodSecurity | None) -> dict[str, str]:
    """The Pod Security admission labels of a namespace (``audit`` None: not set)."""
    labels: dict[str, str] = {"pod-security.kubernetes.io/enforce": enforce, "pod-security.kubernetes.io/warn": warn}
    if audit is not None:
        labels["pod-security.kubernetes.io/audit"] = audit
    return labels


def namespace(
    resource_name: str,
    name: str,
    opts: pulumi.ResourceOptions,
    enforce: PodSecurity = "baseline",
    warn: PodSecurity = "restricted",
    audit: PodSecurity | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace whose pods are admitted at the ``enforce`` level (``warn`` and ``audit`` report
    against stricter ones)."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels=pod_security_labels(enforce, warn, audit)),
        opts=opts,
    )


def kms_key(
    resource_name: str,
    description: str,
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    **extra: pulumi.Input[str],
) -> aws.kms.Key:
    """A symmetric AES-256 KMS key with yearly rotation and a 30-day deletion window."""
    return aws.kms.Key(
        resource_name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=opts,
        **extra,  # type: ignore[arg-type]
    )


def depends_on_of(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The resources a component was told to wait for (``opts.depends_on``), so it can hand them to
    the children that need them: Pulumi does not pass a component's ``depends_on`` on to its children."""
    value = opts.depends_on if opts is not None else None
    if value is None:
        return []
    if isinstance(value, pulumi.Resource):
        return [value]
    return [r for r in value if isinstance(r, pulumi.Resource)]  # type: ignore[union-attr]


def encrypted_log_group(
    resource_name: str,
    group_name: str,
    description: str,
    aws_context: AwsContext,
    retention_days: int,
    parent: pulumi.Resource,
    protect: bool,
) -> aws.cloudwatch.LogGroup:
    """A CloudWatch log group encrypted with a KMS key of its own, which CloudWatch Logs may use for that
    group only; the key and the group share ``resource_name``, the key is protected as asked."""
    key = kms_key(
        resource_name,
        description,
        iam.key_policy(aws_context, iam.logs_key_statement(aws_context, group_name)),
        pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=group_name,
        kms_key_id=key.arn,
        retention_in_days=retention_days,
        opts=pulumi.ResourceOptions(parent=parent),
    )
