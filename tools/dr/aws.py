"""AWS calls for the disaster-recovery tools: one client per (service, region) from boto3's default
credential chain, and every failure turned into one ``AwsError`` line naming the call and the resource."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError  # type: ignore[import-untyped]

Clients = Callable[[str, str], Any]  # (service, region) -> a boto3 client

# Error codes that mean the caller's credentials, not the resource, are wrong: bad input.
CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
    }
)


class AwsError(RuntimeError):
    """An AWS call failed. ``str(err)`` is one line: the call, the resource (and region), the reason.
    ``bad_input`` is true when the credentials are missing or rejected (exit 2), false otherwise (1)."""

    def __init__(self, call: str, resource: str, reason: str, *, bad_input: bool = False) -> None:
        self.call, self.resource, self.bad_input = call, resource, bad_input
        super().__init__(f"{call} ({resource}): {' '.join(reason.split())}")


def session_clients(session: boto3.session.Session | None = None) -> Clients:
    """Clients of one session, cached per (service, region); short timeouts, standard retries."""
    session = session or boto3.session.Session()
    config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 4})
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[service, region] = session.client(service, region_name=region, config=config)
        return cache[service, region]

    return client


def _error(client: Any, operation: str, resource: str, error: Exception) -> AwsError:
    call = f"{client.meta.service_model.service_name}.{operation}"
    where = f"{resource}, {client.meta.region_name}"
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        code = str(detail.get("Code", "Unknown"))
        return AwsError(
            call, where, f"{code}: {detail.get('Message', '')}".rstrip(": "), bad_input=code in CREDENTIAL_CODES
        )
    if isinstance(error, NoCredentialsError | NoRegionError):
        return AwsError(call, where, f"{error} (boto3's default credential chain found none)", bad_input=True)
    return AwsError(call, where, str(error))


def call(client: Any, operation: str, resource: str, *, missing: tuple[str, ...] = (), **params: Any) -> Any:
    """``client.<operation>(**params)``; None when the error code is one of ``missing`` (not found)."""
    try:
        return getattr(client, operation)(**params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in missing:
            return None
        raise _error(client, operation, resource, error) from None
    except BotoCoreError as error:
        raise _error(client, operation, resource, error) from None


def items(
    client: Any, operation: str, key: str, resource: str, *, missing: tuple[str, ...] = (), **params: Any
) -> Iterator[dict[str, Any]]:
    """Every item under ``key`` of every page of a paginated operation; nothing when not found."""
    try:
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, [])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in missing:
            return
        raise _error(client, operation, resource, error) from None
    except BotoCoreError as error:
        raise _error(client, operation, resource, error) from None
