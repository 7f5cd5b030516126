"""mq-broker-logs-governed: the clean plan passes; removing the function's schedule, the publishing
policy, or widening it, is caught."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.support import Resource, mutated, violations_of

RULE = "mq-broker-logs-governed"
POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"


def _statement(change: Callable[[dict[str, Any]], None]) -> Callable[[Resource], None]:
    def edit(resource: Resource) -> None:
        document = json.loads(resource["inputs"]["policyDocument"])
        change(document["Statement"][0])
        resource["inputs"]["policyDocument"] = json.dumps(document)

    return edit


def test_the_clean_plan_passes(planned: Any) -> None:
    _, resources = planned("dev")
    assert violations_of(resources, RULE) == []


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("aws:scheduler/schedule:Schedule::rabbitmq-broker-logs-periodic",
         lambda r: r.update(propertyDependencies={}), "nothing puts a KMS key"),
        ("aws:lambda/function:Function::rabbitmq-broker-logs-function",
         lambda r: r["inputs"]["environment"]["variables"].pop("KMS_KEY_ARN"), "nothing puts a KMS key"),
        (POLICY, lambda r: r.update(type="test:index:Removed"), "no CloudWatch Logs resource policy"),
        (POLICY, _statement(lambda s: s["Condition"].pop("StringEquals")), "aws:SourceAccount"),
        (POLICY, _statement(lambda s: s["Condition"]["ArnLike"].update({"aws:SourceArn": "arn:aws:mq:*"})),
         "aws:SourceArn"),
        (POLICY, _statement(lambda s: s.update(Resource="arn:aws:logs:*:*:log-group:*")), "more than"),
    ],
)  # fmt: skip
def test_a_change_that_would_undo_it_is_caught(
    planned: Any, kind: str, change: Callable[[Resource], None], message: str
) -> None:
    _, resources = planned("dev")
    broken, _ = mutated(resources, kind, change)
    found = violations_of(broken, RULE)
    assert any(message in v.message for v in found), [v.message for v in found]
    assert all(v.mandatory for v in found)
