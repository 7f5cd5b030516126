"""Amazon MQ's own log groups: the publishing policy MQ needs (narrow), the broker's log key (usable by
CloudWatch Logs for this broker's groups only), and the function that puts key and retention on them
(its role, schedule and first run) as planned; and the function's code against moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.datastores import broker_logs_handler as handler
from tests.support import of_type, one, policy
from tests.unit.test_rabbitmq import rabbitmq

ACCOUNT, REGION = "123456789012", "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-1111-4222-8333-444444444444"


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return rabbitmq()


def _broker_id(resources: list[dict[str, Any]]) -> str:
    broker_id = str(one(resources, "aws:mq/broker:Broker")["id"])
    assert broker_id.startswith("b-")
    return broker_id


def test_mq_may_write_only_broker_groups_of_this_account_and_only_for_this_broker(
    resources: list[dict[str, Any]],
) -> None:
    published = one(resources, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    (statement,) = policy(published, "policyDocument")["Statement"]
    assert statement["Principal"] == {"Service": "mq.amazonaws.com"}
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/amazonmq/broker/*"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:platform-test-rabbitmq:*"},
    }
    broker = one(resources, "aws:mq/broker:Broker")
    assert published["urn"] in broker["dependencies"], "MQ must be allowed to write before the broker starts"


def test_the_log_key_serves_cloudwatch_logs_for_this_brokers_groups_only(resources: list[dict[str, Any]]) -> None:
    key = one(resources, "aws:kms/key:Key", "rabbitmq-broker-logs")
    assert key["inputs"]["enableKeyRotation"] is True and key.get("protect") is True
    statements = {s.get("Sid"): s for s in policy(key, "policy")["Statement"]}
    logs = statements["CloudWatchLogsUseKey"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/amazonmq/broker/{_broker_id(resources)}/*"
            )
        }
    }
    assert not any(s.get("Action") == "kms:*" for s in statements.values())


def test_the_function_may_only_govern_this_brokers_groups(resources: list[dict[str, Any]]) -> None:
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "rabbitmq-broker-logs-function")
    statements = {s["Sid"]: s for s in policy(role_policy, "policy")["Statement"]}
    assert set(statements) == {"GovernTheBrokersLogGroups", "OwnLogs", "TraceItsCalls"}
    govern = statements["GovernTheBrokersLogGroups"]
    assert sorted(govern["Action"]) == ["logs:AssociateKmsKey", "logs:PutRetentionPolicy"]
    assert govern["Resource"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/amazonmq/broker/{_broker_id(resources)}/*"
    )
    own = one(resources, "aws:cloudwatch/logGroup:LogGroup", "rabbitmq-broker-logs-logs")
    assert statements["OwnLogs"]["Resource"] == f"{own['outputs']['arn']}:*"
    assert own["inputs"]["retentionInDays"] == 365 and own["inputs"]["kmsKeyId"]
    # No wildcard but X-Ray's write actions, which take no resource.
    assert [sid for sid, s in statements.items() if s["Resource"] == "*"] == ["TraceItsCalls"]


def test_the_function_runs_after_the_broker_and_then_every_hour(resources: list[dict[str, Any]]) -> None:
    function = one(resources, "aws:lambda/function:Function", "rabbitmq-broker-logs-function")
    key = one(resources, "aws:kms/key:Key", "rabbitmq-broker-logs")
    assert function["inputs"]["environment"]["variables"] == {
        "ENGINE": "rabbitmq",
        "BROKER_ID": _broker_id(resources),
        "KMS_KEY_ARN": key["outputs"]["arn"],
        "RETENTION_DAYS": "365",
    }
    assert function["inputs"]["handler"] == "broker_logs_handler.handler"
    schedules = [s for s in of_type(resources, "aws:scheduler/schedule:Schedule") if "broker-logs" in s["urn"]]
    (schedule,) = schedules
    assert schedule["inputs"]["scheduleExpression"] == "rate(1 hour)"
    assert schedule["inputs"]["target"]["arn"] == function["outputs"]["arn"]
    first = one(resources, "aws:lambda/invocation:Invocation")
    assert first["inputs"]["functionName"] == function["outputs"]["name"]
    needs = {one(resources, "aws:mq/broker:Broker")["urn"], key["urn"],
             one(resources, "aws:iam/rolePolicy:RolePolicy", "rabbitmq-broker-logs-function")["urn"]}  # fmt: skip
    assert needs <= set(first["dependencies"]), "the first run waits for the broker, its key and its permissions"
    assert first["inputs"]["triggers"]["broker"] == _broker_id(resources)


# -- the function's code, against moto ----------------------------------------------------------------


class WithKeys:
    """moto's CloudWatch Logs with AssociateKmsKey (which moto does not implement): a key is recorded
    for a group that exists, the error for one that does not is the service's."""

    def __init__(self, client: Any) -> None:
        self.client, self.exceptions, self.keys = client, client.exceptions, {}

    def associate_kms_key(self, logGroupName: str, kmsKeyId: str) -> None:  # noqa: N803 (boto3's names)
        found = self.client.describe_log_groups(logGroupNamePrefix=logGroupName)["logGroups"]
        if not any(g["logGroupName"] == logGroupName for g in found):
            raise self.exceptions.ResourceNotFoundException(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "missing"}}, "AssociateKmsKey"
            )
        self.keys[logGroupName] = kmsKeyId

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[WithKeys]:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    with mock_aws():
        yield WithKeys(boto3.client("logs", region_name=REGION))


def _retention(logs: WithKeys, name: str) -> int | None:
    (group,) = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    return group.get("retentionInDays")


def test_the_brokers_group_gets_the_key_and_the_retention_and_nothing_else_is_touched(logs: WithKeys) -> None:
    mine, other = "/aws/amazonmq/broker/b-1234/general", "/aws/amazonmq/broker/b-9999/general"
    logs.create_log_group(logGroupName=mine)  # as MQ makes it: no key, no retention
    logs.create_log_group(logGroupName=other)
    assert _retention(logs, mine) is None
    done = handler.govern(logs, "b-1234", KEY, 365, handler.KINDS["rabbitmq"])
    assert done == {mine: "governed"}
    assert logs.keys == {mine: KEY} and _retention(logs, mine) == 365
    assert _retention(logs, other) is None, "another broker's group is not this function's"
    # Run again (the schedule): the same state, no error.
    assert handler.govern(logs, "b-1234", KEY, 365, handler.KINDS["rabbitmq"]) == {mine: "governed"}
    assert _retention(logs, mine) == 365


def test_a_group_mq_has_not_made_yet_is_reported_and_governed_on_a_later_run(logs: WithKeys) -> None:
    name = "/aws/amazonmq/broker/b-5678/general"
    assert handler.govern(logs, "b-5678", KEY, 30, ["general"]) == {name: "absent"}
    logs.create_log_group(logGroupName=name)
    assert handler.govern(logs, "b-5678", KEY, 30, ["general"]) == {name: "governed"}
    assert logs.keys[name] == KEY and _retention(logs, name) == 30


def test_a_retention_someone_changed_is_put_back(logs: WithKeys) -> None:
    name = "/aws/amazonmq/broker/b-1234/general"
    logs.create_log_group(logGroupName=name)
    logs.put_retention_policy(logGroupName=name, retentionInDays=3653)
    handler.govern(logs, "b-1234", KEY, 365, ["general"])
    assert _retention(logs, name) == 365


def test_rabbitmq_has_no_audit_log_and_a_bad_broker_id_is_refused(logs: WithKeys) -> None:
    assert handler.KINDS["rabbitmq"] == ("general",)
    assert handler.group_names("b-1", handler.KINDS["activemq"])[-1] == "/aws/amazonmq/broker/b-1/audit"
    with pytest.raises(ValueError, match="broker id"):
        handler.govern(logs, "*", KEY, 365, ["general"])


def test_the_handler_reads_its_settings_from_the_environment(logs: WithKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    logs.create_log_group(logGroupName="/aws/amazonmq/broker/b-42/general")
    seen: dict[str, Any] = {}

    def govern(client: Any, broker_id: str, key: str, days: int, kinds: Any) -> dict[str, str]:
        seen.update(broker_id=broker_id, key=key, days=days, kinds=tuple(kinds))
        return {}

    for variable, value in {"ENGINE": "rabbitmq", "BROKER_ID": "b-42", "KMS_KEY_ARN": KEY,
                            "RETENTION_DAYS": "90", "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(variable, value)
    monkeypatch.setattr(handler, "govern", govern)
    handler.handler({}, None)
    assert seen == {"broker_id": "b-42", "key": KEY, "days": 90, "kinds": ("general",)}
