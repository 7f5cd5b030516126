"""The JWT chain end to end in the plans: who signs, what Kong verifies with, who may use the key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import STACKS
from tests.support import of_type, one


@pytest.mark.parametrize("stack", STACKS)
def test_every_kong_consumer_credential_exists(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    secrets = {
        (s["inputs"]["metadata"]["namespace"], s["inputs"]["metadata"]["name"]): s
        for s in of_type(resources, "kubernetes:core/v1:Secret")
    }
    consumers = of_type(resources, "kubernetes:configuration.konghq.com/v1:KongConsumer")
    assert consumers
    for consumer in consumers:
        namespace = consumer["inputs"]["metadata"]["namespace"]
        for credential in consumer["inputs"]["credentials"]:
            secret = secrets[(namespace, credential)]
            assert secret["inputs"]["metadata"]["labels"]["konghq.com/credential"] == "jwt"


def test_only_the_token_issuer_may_sign_and_only_with_the_signing_key(planned: Any) -> None:
    _, resources = planned("prod")
    key = one(resources, "aws:kms/key:Key", "token-signing-key")
    signers = []
    for policy in of_type(resources, "aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            if "kms:Sign" in statement["Action"]:
                assert statement["Resource"] == [key["outputs"]["arn"]]
                signers.append(policy["urn"])
    assert len(signers) == 1 and "user-service" in signers[0]
    rollout = one(resources, "kubernetes:argoproj.io/v1alpha1:Rollout", "user-service-rollout")
    env = {e["name"]: e.get("value") for e in rollout["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["JWT_SIGNING_KEY_ARN"] == key["outputs"]["arn"]
    assert env["JWT_ALGORITHM"] == "RS256"
