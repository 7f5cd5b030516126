"""The scheduled function every scheduled component builds on: the schedule may invoke its own function
only, and the function logs into a group of its own."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from components.parts import ScheduledFunctionSpec, scheduled_function
from tests.support import AWS, Resource, build, of_type, one, policy

HANDLER = Path(__file__).resolve().parents[2] / "components" / "backups" / "freshness_handler.py"


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    def program() -> None:
        parent = pulumi.ComponentResource("platform:test:Scheduled", "job")
        for name in ("job", "other"):  # two functions, so a policy naming the wrong one would show
            scheduled_function(
                name,
                ScheduledFunctionSpec(
                    function_name=f"platform-test-{name}",
                    role_description=f"platform-test-{name}: test",
                    description="A test function",
                    handler=HANDLER,
                    environment={"KEY": "value"},
                    schedule_suffix="hourly",
                    schedule_description="Hourly",
                    schedule_expression="rate(1 hour)",
                    retries=2,
                ),
                lambda log_group_arn: log_group_arn.apply(lambda _: '{"Version": "2012-10-17", "Statement": []}'),
                AWS,
                7,
                parent,
                protect=False,
            )

    return build(program)


def test_the_schedule_may_invoke_its_own_function_only(resources: list[Resource]) -> None:
    for name in ("job", "other"):
        function = one(resources, "aws:lambda/function:Function", f"{name}-function")
        scheduler_role = one(resources, "aws:iam/role:Role", f"{name}-schedule")
        (trust,) = policy(scheduler_role, "assumeRolePolicy")["Statement"]
        assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
        (grant,) = policy(one(resources, "aws:iam/rolePolicy:RolePolicy", f"{name}-schedule"), "policy")["Statement"]
        assert grant["Action"] == "lambda:InvokeFunction"
        assert grant["Resource"] == function["outputs"]["arn"], "the function's own ARN, no wildcard"
        target = one(resources, "aws:scheduler/schedule:Schedule", f"{name}-hourly")["inputs"]["target"]
        assert (target["arn"], target["roleArn"]) == (function["outputs"]["arn"], scheduler_role["outputs"]["arn"])
        assert target["retryPolicy"]["maximumRetryAttempts"] == 2


def test_the_function_logs_into_its_own_group(resources: list[Resource]) -> None:
    assert len(of_type(resources, "aws:lambda/function:Function")) == 2
    function = one(resources, "aws:lambda/function:Function", "job-function")
    logs = one(resources, "aws:cloudwatch/logGroup:LogGroup", "job-logs")
    assert logs["inputs"]["name"] == "/aws/lambda/platform-test-job"
    assert logs["urn"] in function["dependencies"]
    assert function["inputs"]["loggingConfig"]["logGroup"] == logs["outputs"]["name"]
    assert function["inputs"]["handler"] == "freshness_handler.handler"


def test_the_function_is_traced_and_runs_one_at_a_time(resources: list[Resource]) -> None:
    function = one(resources, "aws:lambda/function:Function", "job-function")
    assert function["inputs"]["tracingConfig"] == {"mode": "Active"}
    assert function["inputs"]["reservedConcurrentExecutions"] == 1
    (trace,) = policy(one(resources, "aws:iam/rolePolicy:RolePolicy", "job-function"), "policy")["Statement"]
    assert trace["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]  # and nothing else added
