"""Invoke results the offline engine's mocks answer with (the data sources the program reads).

Each answer is shaped like the provider's, in the region of the provider the invoke goes through;
an invoke not listed here is a plan failure, never a silent empty result.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from tools.offline.outputs import ACCOUNT_ID, PARTITION

ZONE_LETTERS = {"us-east-1": "abcdef", "us-west-2": "abcd", "eu-west-1": "abc", "eu-central-1": "abc"}


def answer(token: str, args: Mapping[str, Any], region: str) -> dict[str, Any] | None:
    """The result of invoke ``token`` with ``args`` in ``region``, or None if the engine has no answer."""
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ACCOUNT_ID,
            "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/offline-plan",
            "userId": "AIDAOFFLINEPLAN",
            "id": ACCOUNT_ID,
        }
    if token == "aws:index/getPartition:getPartition":
        return {
            "partition": PARTITION,
            "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws",
            "id": PARTITION,
        }
    if token == "aws:kms/getPublicKey:getPublicKey":
        key_id = str(args.get("keyId", ""))
        body = base64.b64encode(f"offline-public-key:{key_id}".encode()).decode()
        return {
            "arn": key_id,
            "keyId": key_id,
            "id": key_id,
            "customerMasterKeySpec": "RSA_2048",
            "keyUsage": "SIGN_VERIFY",
            "publicKey": body,
            "publicKeyPem": f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n",
            "signingAlgorithms": ["RSASSA_PKCS1_V1_5_SHA_256"],
            "encryptionAlgorithms": [],
            "region": region,
        }
    if token == "aws:index/getRegion:getRegion":
        return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        letters = ZONE_LETTERS.get(region, "abc")
        return {
            "names": [f"{region}{c}" for c in letters],
            "zoneIds": [f"use1-az{i + 1}" for i in range(len(letters))],
            "state": "available",
            "id": region,
        }
    return None
