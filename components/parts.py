"""Children every kind of component makes the same way: a namespace with a Pod Security level, a
customer-managed KMS key, an encrypted log group, and a function on a schedule. Helpers called from
inside a component (``parent=`` that component), not components of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class ScheduledFunctionSpec:
    """What tells one scheduled function from another; the rest of :func:`scheduled_function` is the same."""

    function_name: str  # the Lambda function's name, its log group's and its schedule's
    role_description: str  # the function's IAM role
    description: str  # the function's
    handler: Path  # a module of its own with a ``handler(event, context)``; shipped alone
    environment: Mapping[str, pulumi.Input[str]]
    schedule_suffix: str  # the schedule's resource name is ``<name>-<schedule_suffix>``
    schedule_description: str
    schedule_expression: str  # rate(...) or cron(...)
    retries: int  # the schedule's retry attempts of a failed invocation
    schedule_timezone: str | None = None  # None: not set (EventBridge Scheduler's default, UTC)
    runtime: str = "python3.12"
    timeout: int = 60
    memory_size: int = 128


@dataclass(frozen=True)
class ScheduledFunction:
    """The children :func:`scheduled_function` made that a component may need again."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    logs: aws.cloudwatch.LogGroup
    policy: aws.iam.RolePolicy | None = None  # the role's policy: what a first invocation waits for


def scheduled_function(
    name: str,
    spec: ScheduledFunctionSpec,
    policy: Callable[[pulumi.Output[str]], pulumi.Input[str]],
    aws_context: AwsContext,
    log_retention_days: int,
    parent: pulumi.Resource,
    protect: bool,
) -> ScheduledFunction:
    """A Lambda function on an EventBridge Scheduler schedule, all children of ``parent``: its encrypted
    log group (``<name>-logs``, key protected as asked), its role and role policy (``<name>-function``,
    the policy made by ``policy`` from the log group's ARN), the function itself (``<name>-function``,
    JSON logs into that group, created after it), and the schedule's own role (``<name>-schedule``) that
    may invoke this function only."""
    child = pulumi.ResourceOptions(parent=parent)
    logs = encrypted_log_group(
        f"{name}-logs",
        f"/aws/lambda/{spec.function_name}",
        f"Logs of {spec.function_name}",
        aws_context,
        log_retention_days,
        parent,
        protect,
    )
    role = aws.iam.Role(
        f"{name}-function",
        description=spec.role_description,
        assume_role_policy=iam.service_assume_role(aws_context, "lambda"),
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(f"{name}-function", role=role.id, policy=policy(logs.arn), opts=child)
    function = aws.lambda_.Function(
        f"{name}-function",
        name=spec.function_name,
        description=spec.description,
        role=role.arn,
        runtime=spec.runtime,
        handler=f"{spec.handler.stem}.handler",
        code=pulumi.AssetArchive({spec.handler.name: pulumi.StringAsset(spec.handler.read_text(encoding="utf-8"))}),
        timeout=spec.timeout,
        memory_size=spec.memory_size,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(spec.environment)),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[logs]),
    )
    scheduler_role = aws.iam.Role(
        f"{name}-schedule",
        description=f"EventBridge Scheduler: invoke {spec.function_name} only",
        assume_role_policy=iam.service_assume_role(aws_context, "scheduler"),
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
        f"{name}-{spec.schedule_suffix}",
        name=spec.function_name,
        description=spec.schedule_description,
        schedule_expression=spec.schedule_expression,
        schedule_expression_timezone=spec.schedule_timezone,
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
        target=aws.scheduler.ScheduleTargetArgs(
            arn=function.arn,
            role_arn=scheduler_role.arn,
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=spec.retries),
        ),
        opts=child,
    )
    return ScheduledFunction(function=function, role=role, logs=logs, policy=role_policy)
