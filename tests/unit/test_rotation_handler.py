"""The rotation function's code: Secrets Manager under moto, ElastiCache through botocore's Stubber
(moto does not apply AUTH token strategies), the broker's management API through a recording fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from components.datastores import rotation_handler as rotation

GROUP = "platform-test-redis"
HOST = "master.platform-test-redis.abc123.use1.cache.amazonaws.com"
BROKER = "b-1234.mq.us-east-1.on.aws"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def _secret(client: Any, name: str, document: dict[str, Any]) -> str:
    return str(client.create_secret(Name=name, SecretString=json.dumps(document))["ARN"])


def _event(secret: str, token: str, step: str) -> dict[str, str]:
    return {"SecretId": secret, "ClientRequestToken": token, "Step": step}


def _group(status: str, auth: bool = True) -> dict[str, Any]:
    return {"ReplicationGroups": [{"ReplicationGroupId": GROUP, "Status": status, "AuthTokenEnabled": auth}]}


def redis_document(password: str = "A" * 64) -> dict[str, Any]:
    return {"engine": "redis", "host": HOST, "port": 6379, "tls": "true", "password": password,
            "url": f"rediss://:{password}@{HOST}:6379/0"}  # fmt: skip


def test_a_redis_rotation_adds_the_new_token_beside_the_old_and_makes_it_current(secrets: Any) -> None:
    secret = _secret(secrets, "p/datastores/redis", redis_document())
    token = "11111111-1111-4111-8111-111111111111"
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    with Stubber(elasticache) as stub:
        rotation.rotate(_event(secret, token, "createSecret"), secrets, "redis")
        pending = json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSPENDING")["SecretString"])
        assert pending["password"] != "A" * 64 and len(pending["password"]) == 64 and pending["password"].isalnum()
        assert pending["url"] == f"rediss://:{pending['password']}@{HOST}:6379/0"
        assert pending["host"] == HOST  # the connection details are kept
        stub.add_response("describe_replication_groups", _group("available"), {"ReplicationGroupId": GROUP})
        stub.add_response(
            "modify_replication_group",
            {},
            {
                "ReplicationGroupId": GROUP,
                "AuthToken": pending["password"],
                "AuthTokenUpdateStrategy": "ROTATE",
                "ApplyImmediately": True,
            },
        )
        rotation.rotate(_event(secret, token, "setSecret"), secrets, "redis", elasticache, GROUP)
        stub.add_response("describe_replication_groups", _group("available"), {"ReplicationGroupId": GROUP})
        rotation.rotate(_event(secret, token, "testSecret"), secrets, "redis", elasticache, GROUP)
        stub.assert_no_pending_responses()
    rotation.rotate(_event(secret, token, "finishSecret"), secrets, "redis")
    current = json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")["SecretString"])
    assert current["password"] == pending["password"]
    previous = json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["password"] == "A" * 64


def test_create_is_idempotent_and_a_busy_group_is_not_touched(secrets: Any) -> None:
    secret = _secret(secrets, "p/datastores/redis", redis_document())
    token = "22222222-2222-4222-8222-222222222222"
    rotation.rotate(_event(secret, token, "createSecret"), secrets, "redis")
    first = secrets.get_secret_value(SecretId=secret, VersionStage="AWSPENDING")["SecretString"]
    rotation.rotate(_event(secret, token, "createSecret"), secrets, "redis")  # Secrets Manager retried
    assert secrets.get_secret_value(SecretId=secret, VersionStage="AWSPENDING")["SecretString"] == first
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    with Stubber(elasticache) as stub:
        stub.add_response("describe_replication_groups", _group("modifying"), {"ReplicationGroupId": GROUP})
        with pytest.raises(rotation.NotReady):
            rotation.rotate(_event(secret, token, "setSecret"), secrets, "redis", elasticache, GROUP)
        stub.assert_no_pending_responses()  # no modify_replication_group on a busy group


def test_the_check_waits_for_the_group_and_refuses_one_without_auth() -> None:
    elasticache = boto3.client("elasticache", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    slept: list[float] = []
    with Stubber(elasticache) as stub:
        stub.add_response("describe_replication_groups", _group("modifying"), {"ReplicationGroupId": GROUP})
        stub.add_response("describe_replication_groups", _group("available"), {"ReplicationGroupId": GROUP})
        rotation.check_redis(elasticache, GROUP, polls=3, sleep=slept.append)
        assert slept == [15]
        stub.add_response("describe_replication_groups", _group("available", auth=False), {"ReplicationGroupId": GROUP})
        with pytest.raises(RuntimeError, match="no AUTH token"):
            rotation.check_redis(elasticache, GROUP, polls=1, sleep=slept.append)


def test_a_token_that_is_no_version_of_the_secret_is_refused(secrets: Any) -> None:
    secret = _secret(secrets, "p/datastores/redis", redis_document())
    with pytest.raises(ValueError, match="not a version"):
        rotation.rotate(_event(secret, "99999999-9999-4999-8999-999999999999", "setSecret"), secrets, "redis")


class Broker:
    """The management API of a broker: users with passwords, and who logs in."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = dict(users)
        self.calls: list[tuple[str, str, str]] = []

    def __call__(
        self, method: str, address: str, body: dict[str, Any] | None, auth: tuple[str, str]
    ) -> tuple[int, Any]:
        self.calls.append((method, address, auth[0]))
        if self.users.get(auth[0]) != auth[1]:
            return 401, None
        path = address.removeprefix(f"https://{BROKER}/api/")
        if method == "PUT" and path.startswith("users/"):
            assert body is not None
            self.users[path.removeprefix("users/")] = body["password"]
            return 204, None
        if method == "PUT" and path.startswith("permissions/%2F/"):
            return 204, None
        if method == "GET" and path == "whoami":
            return 200, {"name": auth[0]}
        return 404, None


def test_rabbitmq_users_take_turns_so_the_old_password_keeps_working(secrets: Any) -> None:
    document = {"engine": "rabbitmq", "host": BROKER, "port": 5671, "username": "processing", "password": "B" * 40}
    secret = _secret(secrets, "p/datastores/rabbitmq", {**document, "url": "amqps://..."})
    broker = Broker({"processing": "B" * 40})
    token = "33333333-3333-4333-8333-333333333333"
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotation.rotate(_event(secret, token, step), secrets, "rabbitmq", request=broker)
    current = json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")["SecretString"])
    assert current["username"] == "processing-alt" and broker.users["processing-alt"] == current["password"]
    assert broker.users["processing"] == "B" * 40, "clients still on the previous version keep working"
    assert current["url"] == f"amqps://processing-alt:{current['password']}@{BROKER}:5671"
    assert ("PUT", f"https://{BROKER}/api/users/processing-alt", "processing") in broker.calls
    # The next rotation gives the first user a new password and hands it back.
    token = "44444444-4444-4444-8444-444444444444"
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotation.rotate(_event(secret, token, step), secrets, "rabbitmq", request=broker)
    again = json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")["SecretString"])
    assert again["username"] == "processing" and broker.users["processing"] == again["password"] != "B" * 40
    assert broker.users["processing-alt"] == current["password"]


def test_a_broker_that_refuses_the_password_fails_the_rotation(secrets: Any) -> None:
    document = {"engine": "rabbitmq", "host": BROKER, "port": 5671, "username": "processing", "password": "B" * 40}
    secret = _secret(secrets, "p/datastores/rabbitmq", document)
    broker = Broker({"processing": "wrong"})
    token = "55555555-5555-4555-8555-555555555555"
    rotation.rotate(_event(secret, token, "createSecret"), secrets, "rabbitmq", request=broker)
    with pytest.raises(RuntimeError, match="refused the password"):
        rotation.rotate(_event(secret, token, "setSecret"), secrets, "rabbitmq", request=broker)
    with pytest.raises(RuntimeError, match="cannot log in"):
        rotation.rotate(_event(secret, token, "testSecret"), secrets, "rabbitmq", request=broker)
    assert (
        json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")["SecretString"])["username"]
        == "processing"
    )


# -- the old credential stays valid while the services switch ------------------------------------------

PICKUP = 1800  # what the composition hands the function: refresh + the longest rolling restart, in seconds


def _rotate_rabbitmq(secrets: Any, secret: str, token: str, broker: Broker, now: float) -> None:
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotation.rotate(
            _event(secret, token, step), secrets, "rabbitmq", request=broker, min_grace_seconds=PICKUP, now=now
        )


def test_a_rotation_sooner_than_the_pickup_time_is_refused_and_the_credential_in_use_keeps_working(
    secrets: Any,
) -> None:
    import time

    document = {"engine": "rabbitmq", "host": BROKER, "port": 5671, "username": "processing", "password": "B" * 40}
    secret = _secret(secrets, "p/datastores/rabbitmq", document)
    broker = Broker({"processing": "B" * 40})
    started = time.time()
    # The first rotation (right after creation) is allowed at once: no earlier credential to invalidate.
    _rotate_rabbitmq(secrets, secret, "66666666-6666-4666-8666-666666666666", broker, started)
    first = json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")["SecretString"])
    assert first["username"] == "processing-alt"
    # A second one a minute later would give "processing" (what pods not yet restarted use) a new password.
    calls, before = len(broker.calls), secrets.describe_secret(SecretId=secret)["VersionIdsToStages"]
    with pytest.raises(rotation.TooSoon, match=f"need {PICKUP} s"):
        rotation.rotate(
            _event(secret, "77777777-7777-4777-8777-777777777777", "createSecret"),
            secrets,
            "rabbitmq",
            request=broker,
            min_grace_seconds=PICKUP,
            now=started + 60,
        )
    assert len(broker.calls) == calls and broker.users["processing"] == "B" * 40, "the broker was not touched"
    assert secrets.describe_secret(SecretId=secret)["VersionIdsToStages"] == before, "no version was written"
    # Both credentials a service may hold during the switch authenticate.
    for user, password in (("processing", "B" * 40), ("processing-alt", first["password"])):
        assert broker(method="GET", address=f"https://{BROKER}/api/whoami", body=None, auth=(user, password))[0] == 200
    # Once the services have had the pickup time, the rotation goes ahead (the credential they now use stays).
    _rotate_rabbitmq(secrets, secret, "88888888-8888-4888-8888-888888888888", broker, started + PICKUP + 1)
    assert broker.users["processing-alt"] == first["password"]
    assert broker.users["processing"] != "B" * 40


def test_redis_keeps_the_previous_token_and_a_rotation_within_the_pickup_time_is_refused(secrets: Any) -> None:
    import time

    secret = _secret(secrets, "p/datastores/redis", redis_document())
    elasticache = boto3.client("elasticache", region_name="us-east-1")
    started = time.time()
    token = "99999999-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
    with Stubber(elasticache) as stub:
        rotation.rotate(_event(secret, token, "createSecret"), secrets, "redis", min_grace_seconds=PICKUP, now=started)
        pending = json.loads(secrets.get_secret_value(SecretId=secret, VersionStage="AWSPENDING")["SecretString"])
        stub.add_response("describe_replication_groups", _group("available"), {"ReplicationGroupId": GROUP})
        # ROTATE, never SET or DELETE: the token the services hold stays accepted beside the new one.
        expected = {"ReplicationGroupId": GROUP, "AuthToken": pending["password"],
                    "AuthTokenUpdateStrategy": "ROTATE", "ApplyImmediately": True}  # fmt: skip
        stub.add_response("modify_replication_group", {}, expected)
        rotation.rotate(_event(secret, token, "setSecret"), secrets, "redis", elasticache, GROUP)
        stub.assert_no_pending_responses()
    rotation.rotate(_event(secret, token, "finishSecret"), secrets, "redis")
    with pytest.raises(rotation.TooSoon):
        rotation.rotate(
            _event(secret, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "createSecret"),
            secrets,
            "redis",
            min_grace_seconds=PICKUP,
            now=started + PICKUP - 5,
        )
    rotation.rotate(
        _event(secret, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "createSecret"),
        secrets,
        "redis",
        min_grace_seconds=PICKUP,
        now=started + PICKUP + 5,
    )
    assert secrets.get_secret_value(SecretId=secret, VersionStage="AWSPENDING")["SecretString"]


def test_the_handler_takes_the_pickup_time_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def rotate(event: Any, secrets: Any, engine: str, *rest: Any, min_grace_seconds: int = 0) -> str:
        seen.update(engine=engine, grace=min_grace_seconds)
        return "createSecret"

    for variable, value in {"ENGINE": "rabbitmq", "MIN_GRACE_SECONDS": "1800", "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():  # fmt: skip
        monkeypatch.setenv(variable, value)
    monkeypatch.setattr(rotation, "rotate", rotate)
    assert rotation.handler({}, None) == {"step": "createSecret"}
    assert seen == {"engine": "rabbitmq", "grace": 1800}
