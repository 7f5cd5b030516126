"""mq-broker-logs-governed and rollouts-reload-rotated-secrets: the clean plans pass; a change that would
undo them (the broker logs' function, schedule or publishing policy; a Rollout's reload annotations) is caught."""

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


ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout::user-service-rollout"
RELOAD_RULE = "rollouts-reload-rotated-secrets"


def _annotations(change: Callable[[dict[str, str]], None]) -> Callable[[Resource], None]:
    return lambda r: change(r["inputs"]["metadata"]["annotations"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rollouts_reading_secrets_pass_when_reloaded_in_place(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    assert violations_of(resources, RELOAD_RULE) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_annotations(lambda a: a.pop("secret.reloader.stakater.com/reload")), "nothing restarts them"),
        (_annotations(lambda a: a.update({"secret.reloader.stakater.com/reload": "postgres-credentials"})),
         "nothing restarts them"),
        (_annotations(lambda a: a.pop("reloader.stakater.com/rollout-strategy")), "rollout-strategy: restart"),
    ],
)  # fmt: skip
def test_a_rollout_that_would_keep_a_stale_credential_is_caught(
    planned: Any, change: Callable[[Resource], None], message: str
) -> None:
    _, resources = planned("prod")
    broken, urn = mutated(resources, ROLLOUT, change)
    found = violations_of(broken, RELOAD_RULE)
    assert found and {v.urn for v in found} == {urn}
    assert any(message in v.message for v in found), [v.message for v in found]
