"""The Secrets Manager rotation function of the credentials the platform generates: Redis's AUTH token
and RabbitMQ's broker user. Deployed as the code of an AWS Lambda function (``rotation.py``); standard
library and boto3 only.

Secrets Manager calls it four times per rotation (``createSecret``, ``setSecret``, ``testSecret``,
``finishSecret``) with the version being made (``AWSPENDING``). The secret is the datastore's JSON
document (host, port, password, url ...); each rotation writes a new version with a new password and
the URL rebuilt, so the services' ``url`` key stays true. Neither engine loses a client that has not
yet read the new version:

- Redis: ElastiCache's ``ROTATE`` strategy adds the new AUTH token and keeps the previous one valid.
- RabbitMQ: two users take turns (``<user>`` and ``<user>-alt``); a rotation gives the user not in use
  a new password (through the broker's management API, over HTTPS) and makes it the current one, so the
  previous user's password keeps working until the rotation after.

So a rotation invalidates the credential of the version *before* the current one (``AWSPREVIOUS``).
The services may still be on that one until they have read the current version and restarted
(``MIN_GRACE_SECONDS``: the External Secrets refresh plus the services' rolling restart), so a rotation
asked for sooner than that after the last one (a manual ``rotate-secret``, a retry storm) is refused
in ``createSecret``, before anything changes; the first rotation after creation is always allowed
(there is no previous version to invalidate).
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

PENDING, CURRENT, PREVIOUS = "AWSPENDING", "AWSCURRENT", "AWSPREVIOUS"
ALT_SUFFIX = "-alt"
LENGTH = {"redis": 64, "rabbitmq": 40}


class NotReady(RuntimeError):  # noqa: N818 (a signal to retry, not an error of the function)
    """The datastore is busy (an earlier change is still applying); Secrets Manager retries the step."""


def new_password(secrets: Any, engine: str) -> str:
    # Letters and digits only: every engine accepts them and they need no escaping in a URL.
    answer = secrets.get_random_password(
        PasswordLength=LENGTH[engine], ExcludePunctuation=True, IncludeSpace=False, RequireEachIncludedType=True
    )
    return str(answer["RandomPassword"])


def url(engine: str, document: dict[str, Any]) -> str:
    host, port = document["host"], document["port"]
    password = urllib.parse.quote(str(document["password"]), safe="")
    if engine == "redis":
        return f"rediss://:{password}@{host}:{port}/0"
    return f"amqps://{urllib.parse.quote(str(document['username']), safe='')}:{password}@{host}:{port}"


def alternate(username: str) -> str:
    """The other user of RabbitMQ's pair."""
    return username.removesuffix(ALT_SUFFIX) if username.endswith(ALT_SUFFIX) else username + ALT_SUFFIX


def _document(secrets: Any, secret_id: str, stage: str, version: str | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"SecretId": secret_id, "VersionStage": stage}
    if version is not None:
        kwargs["VersionId"] = version
    return dict(json.loads(secrets.get_secret_value(**kwargs)["SecretString"]))


class TooSoon(RuntimeError):  # noqa: N818 (a refusal, named for what it guards)
    """The current credential is younger than the services need to pick it up."""


def current_age_seconds(secrets: Any, secret_id: str, now: float) -> float | None:
    """Seconds since the current version was made, or None when there is no previous version (nothing a
    rotation could invalidate that a service might still use)."""
    versions = secrets.list_secret_version_ids(SecretId=secret_id, IncludeDeprecated=False)["Versions"]
    current = next((v for v in versions if CURRENT in v.get("VersionStages", ())), None)
    if current is None or not any(PREVIOUS in v.get("VersionStages", ()) for v in versions):
        return None
    return now - float(current["CreatedDate"].timestamp())


def check_grace(secrets: Any, secret_id: str, min_grace_seconds: int, now: float) -> None:
    """Refuse a rotation that would invalidate the credential the services may still be switching from."""
    if min_grace_seconds <= 0:
        return
    age = current_age_seconds(secrets, secret_id, now)
    if age is not None and age < min_grace_seconds:
        raise TooSoon(
            f"the current credential is {int(age)} s old; the services need {min_grace_seconds} s to pick it up "
            "before the one before it may stop working"
        )


def create_secret(
    secrets: Any, secret_id: str, token: str, engine: str, min_grace_seconds: int = 0, now: float | None = None
) -> None:
    """Write the pending version (once: a retried call finds it and leaves it)."""
    current = _document(secrets, secret_id, CURRENT)
    try:
        _document(secrets, secret_id, PENDING, token)
        return
    except secrets.exceptions.ResourceNotFoundException:
        pass
    check_grace(secrets, secret_id, min_grace_seconds, time.time() if now is None else now)
    pending = {**current, "password": new_password(secrets, engine)}
    if engine == "rabbitmq":
        pending["username"] = alternate(str(current["username"]))
    pending["url"] = url(engine, pending)
    secrets.put_secret_value(
        SecretId=secret_id, ClientRequestToken=token, SecretString=json.dumps(pending), VersionStages=[PENDING]
    )


def set_redis(elasticache: Any, group_id: str, pending: dict[str, Any]) -> None:
    """Add the pending token beside the current one (``ROTATE``: both are accepted until the next)."""
    (group,) = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    if group.get("Status") != "available":
        raise NotReady(f"{group_id} is {group.get('Status')}; the token is set when it is available")
    elasticache.modify_replication_group(
        ReplicationGroupId=group_id,
        AuthToken=pending["password"],
        AuthTokenUpdateStrategy="ROTATE",
        ApplyImmediately=True,
    )


def check_redis(elasticache: Any, group_id: str, polls: int = 40, sleep: Callable[[float], None] = time.sleep) -> None:
    """The group applied the token: available again (polled every 15 s, 10 minutes at most) with AUTH on."""
    for attempt in range(polls):
        (group,) = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
        if group.get("Status") == "available":
            if not group.get("AuthTokenEnabled"):
                raise RuntimeError(f"{group_id} has no AUTH token after the rotation")
            return
        if attempt + 1 < polls:
            sleep(15)
    raise NotReady(f"{group_id} is still {group.get('Status')}")


Request = Callable[[str, str, dict[str, Any] | None, tuple[str, str]], tuple[int, Any]]


def management_request(
    method: str, address: str, body: dict[str, Any] | None, auth: tuple[str, str]
) -> tuple[int, Any]:
    """One call of the broker's management API over HTTPS (certificates verified)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(address, data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10, context=ssl.create_default_context()) as response:
            text = response.read().decode() or "null"
            return response.status, json.loads(text)
    except urllib.error.HTTPError as error:
        return error.code, None


def _api(document: dict[str, Any], path: str) -> str:
    return f"https://{document['host']}/api/{path}"


def set_rabbitmq(current: dict[str, Any], pending: dict[str, Any], request: Request) -> None:
    """Give the pending user its new password (made if missing) and the current user's permissions on
    the default virtual host, authenticating as the current user."""
    auth = (str(current["username"]), str(current["password"]))
    user = urllib.parse.quote(str(pending["username"]), safe="")
    status, _ = request(
        "PUT", _api(current, f"users/{user}"), {"password": pending["password"], "tags": "administrator"}, auth
    )
    if status not in (200, 201, 204):
        raise RuntimeError(f"the broker refused the password of {pending['username']} (HTTP {status})")
    status, _ = request(
        "PUT", _api(current, f"permissions/%2F/{user}"), {"configure": ".*", "write": ".*", "read": ".*"}, auth
    )
    if status not in (200, 201, 204):
        raise RuntimeError(f"the broker refused the permissions of {pending['username']} (HTTP {status})")


def check_rabbitmq(pending: dict[str, Any], request: Request) -> None:
    status, body = request("GET", _api(pending, "whoami"), None, (str(pending["username"]), str(pending["password"])))
    if status != 200 or (body or {}).get("name") != pending["username"]:
        raise RuntimeError(f"{pending['username']} cannot log in with the new password (HTTP {status})")


def finish_secret(secrets: Any, secret_id: str, token: str) -> None:
    """Make the pending version current (once)."""
    versions = secrets.describe_secret(SecretId=secret_id)["VersionIdsToStages"]
    current = next((v for v, stages in versions.items() if CURRENT in stages), None)
    if current == token:
        return
    secrets.update_secret_version_stage(
        SecretId=secret_id, VersionStage=CURRENT, MoveToVersionId=token, RemoveFromVersionId=current
    )


def rotate(
    event: dict[str, Any],
    secrets: Any,
    engine: str,
    elasticache: Any = None,
    group_id: str = "",
    request: Request = management_request,
    min_grace_seconds: int = 0,
    now: float | None = None,
) -> str:
    """One step of a rotation; returns the step done."""
    secret_id, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    stages = secrets.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
    if token not in stages and step != "createSecret":
        raise ValueError(f"version {token} is not a version of the secret")
    if CURRENT in stages.get(token, ()) and step != "finishSecret":
        return f"{step}: {token} is current already"
    if step == "createSecret":
        create_secret(secrets, secret_id, token, engine, min_grace_seconds, now)
    elif step in ("setSecret", "testSecret"):
        pending = _document(secrets, secret_id, PENDING, token)
        if engine == "redis":
            set_redis(elasticache, group_id, pending) if step == "setSecret" else check_redis(elasticache, group_id)
        elif step == "setSecret":
            set_rabbitmq(_document(secrets, secret_id, CURRENT), pending, request)
        else:
            check_rabbitmq(pending, request)
    elif step == "finishSecret":
        finish_secret(secrets, secret_id, token)
    else:
        raise ValueError(f"unknown rotation step {step}")
    return step


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    import boto3  # type: ignore[import-untyped]

    engine = os.environ["ENGINE"]
    elasticache = boto3.client("elasticache") if engine == "redis" else None
    done = rotate(
        event,
        boto3.client("secretsmanager"),
        engine,
        elasticache,
        os.environ.get("REPLICATION_GROUP_ID", ""),
        min_grace_seconds=int(os.environ.get("MIN_GRACE_SECONDS", "0")),
    )
    return {"step": done}
