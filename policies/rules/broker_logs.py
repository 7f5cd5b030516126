"""Amazon MQ's own log groups: MQ makes ``/aws/amazonmq/broker/<id>/<kind>`` itself, with no key and no
expiry, so the stack must (a) let MQ write there through a CloudWatch Logs resource policy narrowed to
this account and this broker (``aws:SourceAccount``, ``aws:SourceArn``), never to every account or
resource, and (b) run a function on a schedule, beside the broker, that puts a key and a retention on
those groups (its environment names the broker, the key and the retention)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.rules._base import get, is_true, listify, stack_rule

MQ_BROKER = "aws:mq/broker:Broker"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
FUNCTION = "aws:lambda/function:Function"
SCHEDULE = "aws:scheduler/schedule:Schedule"
GOVERNING_ENV = ("BROKER_ID", "KMS_KEY_ARN", "RETENTION_DAYS")


def _of(args: StackValidationArgs, kind: str) -> Iterator[PolicyResource]:
    return (r for r in args.resources if r.resource_type == kind)


def _parent(resource: PolicyResource) -> str | None:
    if resource.parent is not None:
        return str(resource.parent.urn)
    parent = getattr(resource.opts, "parent", None)
    return str(parent) if parent else None


def _document(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return dict(value) if isinstance(value, dict) else {}


def _mq_statements(policy: PolicyResource) -> list[dict[str, Any]]:
    found = []
    for statement in listify(_document(get(policy.props, "policyDocument")).get("Statement")):
        services = listify(get(statement, "Principal", "Service")) if isinstance(statement, dict) else []
        if statement.get("Effect", "Allow") == "Allow" and any(str(s).startswith("mq.") for s in services):
            found.append(statement)
    return found


def _condition(statement: dict[str, Any], key: str) -> list[str]:
    values: list[str] = []
    for operator in (get(statement, "Condition") or {}).values():
        if isinstance(operator, dict) and key in operator:
            values += [str(v) for v in listify(operator[key])]
    return values


def _too_wide(statement: dict[str, Any]) -> list[str]:
    problems = []
    accounts, sources = _condition(statement, "aws:SourceAccount"), _condition(statement, "aws:SourceArn")
    if not accounts or any("*" in a for a in accounts):
        problems.append("no aws:SourceAccount of this account")
    if not sources or any(s.split(":broker:")[-1].startswith("*") or ":broker:" not in s for s in sources):
        problems.append("no aws:SourceArn naming the broker")
    for resource in listify(statement.get("Resource")):
        if "/aws/amazonmq/" not in str(resource) or str(resource).split(":")[4:5] in (["*"], [""]):
            problems.append(f"Resource {resource} is more than this account's /aws/amazonmq/ groups")
    return problems


def _broker_logs(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    policies = list(_of(args, LOG_RESOURCE_POLICY))
    for policy in policies:
        for statement in _mq_statements(policy):
            for problem in _too_wide(statement):
                yield f"the resource policy lets Amazon MQ write logs too widely: {problem}", policy.urn
    functions = list(_of(args, FUNCTION))
    schedules = list(_of(args, SCHEDULE))
    for broker in _of(args, MQ_BROKER):
        if not is_true(get(broker.props, "logs", "general")):
            continue  # the general log being off is datastore-audit-logs' to report
        name = str(get(broker.props, "brokerName", default=""))
        allowed = [
            s
            for p in policies
            for s in _mq_statements(p)
            if any(f":broker:{name}:" in arn for arn in _condition(s, "aws:SourceArn"))
        ]
        if not allowed:
            yield (
                "no CloudWatch Logs resource policy lets Amazon MQ write this broker's logs (narrowed to it)",
                broker.urn,
            )
        governing = [
            f
            for f in functions
            if _parent(f) == _parent(broker)
            and all(k in (get(f.props, "environment", "variables", hidden_ok=True) or {}) for k in GOVERNING_ENV)
        ]
        scheduled = [
            f
            for f in governing
            if any(f.urn in {d.urn for d in s.property_dependencies.get("target", [])} for s in schedules)
        ]
        if not scheduled:
            yield (
                "nothing puts a KMS key and a retention on the log groups Amazon MQ makes for this broker "
                "(a scheduled function beside it with BROKER_ID, KMS_KEY_ARN, RETENTION_DAYS)",
                broker.urn,
            )


BROKER_LOGS_GOVERNED = stack_rule(
    "mq-broker-logs-governed",
    "Amazon MQ's own log groups are encrypted with a key of the stack's and expire: a function on a schedule "
    "beside each broker puts them on, and the CloudWatch Logs resource policy that lets Amazon MQ write is "
    "narrowed to this account (aws:SourceAccount), the broker (aws:SourceArn) and /aws/amazonmq/ groups.",
    Severity.HIGH,
    "Keep publishing_policy and govern_logs of components/datastores/broker_logs.py in the broker's component.",
    _broker_logs,
)

POLICIES = (BROKER_LOGS_GOVERNED,)
