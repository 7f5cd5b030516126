"""Children every kind of component makes the same way: a namespace with a Pod Security level, a
customer-managed KMS key, an encrypted log group, a function on a schedule, an ``ExternalSecret`` (from
a store or from a generated password) and a cert-manager ``Certificate``; and which of the releases a
component waits for each of its children needs (:func:`crds_for`). Helpers called from
inside a component (``parent=`` that component), not components of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import iam
from infra.aws_context import AwsContext

PodSecurity = Literal["privileged", "baseline", "restricted"]
ESO_API = "external-secrets.io/v1"  # the External Secrets Operator's ExternalSecret and stores
GENERATORS_API = "generators.external-secrets.io/v1alpha1"  # its Password generator
CERT_MANAGER_API = "cert-manager.io/v1"  # cert-manager's Certificate and issuers


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
    labels: Mapping[str, str] | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace whose pods are admitted at the ``enforce`` level (``warn`` and ``audit`` report
    against stricter ones), with ``labels`` besides (the mesh's enrolment)."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name, labels={**(labels or {}), **pod_security_labels(enforce, warn, audit)}
        ),
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


# The attribute an add-on's release carries: the API groups whose CRDs (and webhooks) it installs.
_CRD_GROUPS = "_platform_crd_groups"


def installs_crds(release: pulumi.Resource, api_groups: Iterable[str]) -> None:
    """Mark ``release`` as the one that installs the CRDs (and, being atomic, the webhooks) of
    ``api_groups``, so a component given it in ``depends_on`` can hand it to exactly the children that
    need it (:func:`crds_for`)."""
    setattr(release, _CRD_GROUPS, frozenset(api_groups))


def crd_groups(resource: pulumi.Resource) -> frozenset[str]:
    """The API groups whose CRDs ``resource`` installs (empty: none, or not an add-on's release)."""
    groups: object = getattr(resource, _CRD_GROUPS, None)
    return groups if isinstance(groups, frozenset) else frozenset()


def crds_for(after: Sequence[pulumi.Resource], *api_versions: str) -> list[pulumi.Resource]:
    """Of what a component was told to wait for, the releases that install the CRDs of ``api_versions``
    (``group/version``, as on the objects): what a child of those kinds needs, and nothing else it was
    given (a namespace's or another chart's release). A kind whose CRDs none of them installs is a
    wiring mistake: raised, not skipped, so a needed wait is never lost silently."""
    picked: list[pulumi.Resource] = []
    for api_version in api_versions:
        group = api_version.rpartition("/")[0]
        serving = [r for r in after if group in crd_groups(r)]
        if not serving:
            raise ValueError(f"no release in depends_on installs the CRDs of {group!r}: give it")
        picked += [r for r in serving if all(r is not p for p in picked)]
    return picked


def besides_crds(after: Sequence[pulumi.Resource]) -> list[pulumi.Resource]:
    """Of what a component was told to wait for, what installs no CRDs (a store, a namespace): what a
    child that names one of them waits for, without the releases that only its sibling kinds need."""
    return [r for r in after if not crd_groups(r)]


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


TRACING_STATEMENT = {
    "Sid": "TraceItsCalls",
    "Effect": "Allow",
    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    "Resource": "*",  # X-Ray's write actions take no resource
}


def _traced(document: str) -> str:
    """The function's policy with the X-Ray write actions its active tracing needs."""
    parsed = json.loads(document)
    statements = parsed.get("Statement", [])
    parsed["Statement"] = [*([statements] if isinstance(statements, dict) else statements), TRACING_STATEMENT]
    return json.dumps(parsed, sort_keys=True)


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
    the policy made by ``policy`` from the log group's ARN, plus X-Ray's write actions), the function
    itself (``<name>-function``, JSON logs into that group, created after it, traced with X-Ray, one run
    at a time), and the schedule's own role (``<name>-schedule``) that may invoke this function only."""
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
    role_policy = aws.iam.RolePolicy(
        f"{name}-function", role=role.id, policy=pulumi.Output.from_input(policy(logs.arn)).apply(_traced), opts=child
    )
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
        tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
        reserved_concurrent_executions=1,  # one run at a time: a slow run is never overlapped by the next
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


# -- Secrets the External Secrets Operator renders in the cluster ------------------------------------
def from_store(
    store: pulumi.Input[str],
    *,
    kind: Literal["ClusterSecretStore", "SecretStore"] = "ClusterSecretStore",
    refresh_interval: str = "1h",
    data: list[dict[str, Any]] | None = None,
    data_from: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Where an :func:`external_secret`'s values come from: a store (by kind and name), fetched every
    ``refresh_interval``; ``data`` picks single values, ``data_from`` whole secrets."""
    source: dict[str, Any] = {"refreshInterval": refresh_interval, "secretStoreRef": {"kind": kind, "name": store}}
    if data_from is not None:
        source["dataFrom"] = data_from
    if data is not None:
        source["data"] = data
    return source


def from_generator(generator: str) -> dict[str, Any]:
    """The values of a ``Password`` generator (:func:`generated_password`), rendered once: a refresh
    would change the password under whoever already uses it."""
    return {
        "refreshPolicy": "CreatedOnce",
        "dataFrom": [
            {"sourceRef": {"generatorRef": {"apiVersion": GENERATORS_API, "kind": "Password", "name": generator}}}
        ],
    }


def external_secret(
    resource_name: str,
    name: pulumi.Input[str],
    namespace: pulumi.Input[str],
    source: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    template: Mapping[str, Any] | None = None,
    retain: bool = False,
) -> k8s.apiextensions.CustomResource:
    """An ``ExternalSecret`` ``name`` in ``namespace`` that the operator renders into the Secret of the
    same name, which it owns; ``source`` says from where (:func:`from_store`, :func:`from_generator`),
    ``template`` how (engine v2: its ``data``, ``type``, ``metadata``, ``mergePolicy``), ``retain`` keeps
    the Secret when the ExternalSecret goes (a workload still reading it keeps working)."""
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner"}
    if retain:
        target["deletionPolicy"] = "Retain"
    if template is not None:
        target["template"] = {"engineVersion": "v2", **template}
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=ESO_API,
        kind="ExternalSecret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec={**source, "target": target},
        opts=opts,
    )


def generated_password(
    resource_name: str, name: str, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """A ``Password`` generator: 32 characters, 8 of them digits, no symbols; generated in the cluster,
    so the value never passes through Pulumi, its state or the plan."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=GENERATORS_API,
        kind="Password",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec={"length": 32, "digits": 8, "symbols": 0, "noUpper": False, "allowRepeat": True},
        opts=opts,
    )


# -- TLS certificates cert-manager issues --------------------------------------------------------
def certificate(
    resource_name: str,
    secret_name: str,
    namespace: pulumi.Input[str],
    dns_names: Sequence[str],
    cluster_issuer: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """A cert-manager ``Certificate`` (named like its Secret) for ``dns_names`` from a ClusterIssuer:
    an ECDSA P-256 key, new at every renewal, renewed 30 days before expiry. Pulumi waits until it is
    issued (up to 15 minutes): what presents it refuses to start or serves no TLS without it."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=CERT_MANAGER_API,
        kind="Certificate",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=secret_name,
            namespace=namespace,
            annotations={"pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "900"},
        ),
        spec={
            "secretName": secret_name,
            "dnsNames": list(dns_names),
            "issuerRef": {"name": cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "renewBefore": "720h",
        },
        opts=opts,
    )


def kubelet_probes_spec(
    pod_selector: k8s.meta.v1.LabelSelectorArgs,
    source_cidr: str,
    ports: Sequence[k8s.networking.v1.NetworkPolicyPortArgs] | None = None,
) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Ingress from the address the kubelet's probes arrive from in the ambient mesh (ztunnel's link-local
    source), on ``ports`` (None: every port)."""
    return k8s.networking.v1.NetworkPolicySpecArgs(
        pod_selector=pod_selector,
        policy_types=["Ingress"],
        ingress=[
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[
                    k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=source_cidr))
                ],
                ports=list(ports) if ports is not None else None,
            )
        ],
    )
