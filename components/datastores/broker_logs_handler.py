"""The function that puts Amazon MQ's own log groups under the platform's rules: encrypted with the
broker's log key and kept ``RETENTION_DAYS`` days. Deployed as the code of an AWS Lambda function
(``broker_logs.py``); standard library and boto3 only.

Amazon MQ makes the groups ``/aws/amazonmq/broker/<broker-id>/<kind>`` itself when the broker first
writes, with no key and no expiry, so the program cannot own them. The function names each group
outright (it never lists the account's groups), associates the key and sets the retention; both calls
are idempotent, so it runs once after the broker and then on a schedule (a group MQ made later, or one
someone changed, is corrected on the next run). A group MQ has not made yet is reported, not an error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

PREFIX = "/aws/amazonmq/broker"
# RabbitMQ writes only the general log; ActiveMQ writes an audit log as well.
KINDS = {"rabbitmq": ("general",), "activemq": ("general", "audit")}


def group_names(broker_id: str, kinds: Sequence[str]) -> list[str]:
    return [f"{PREFIX}/{broker_id}/{kind}" for kind in kinds]


def govern(logs: Any, broker_id: str, key_arn: str, retention_days: int, kinds: Sequence[str]) -> dict[str, str]:
    """Key and retention on each of the broker's groups; what was done per group."""
    if not broker_id.startswith("b-"):
        raise ValueError(f"{broker_id!r} is not an Amazon MQ broker id")
    done: dict[str, str] = {}
    for name in group_names(broker_id, kinds):
        try:
            logs.associate_kms_key(logGroupName=name, kmsKeyId=key_arn)
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
        except logs.exceptions.ResourceNotFoundException:
            done[name] = "absent"  # the broker has not written yet; the next run takes it
            continue
        done[name] = "governed"
    return done


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    import boto3  # type: ignore[import-untyped]

    engine = os.environ["ENGINE"].lower()
    return govern(
        boto3.client("logs"),
        os.environ["BROKER_ID"],
        os.environ["KMS_KEY_ARN"],
        int(os.environ["RETENTION_DAYS"]),
        KINDS[engine],
    )
