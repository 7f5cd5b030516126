"""TokenSigning: an asymmetric KMS key signs the access tokens; Kong gets only the public key."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.token_signing import ConsumerCredential, TokenSigning, TokenSigningArgs
from infra.config import ConfigError, build_config
from tests.support import AWS, build, of_type, one


def signing(protect: bool = True) -> list[dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        TokenSigning(
            "token-signing",
            TokenSigningArgs(
                key_alias="alias/platform-test-token-signing",
                namespace="apps",
                credentials=[
                    ConsumerCredential("web-app", "kong-jwt-web-app"),
                    ConsumerCredential("cli", "kong-jwt-cli"),
                ],
                kubernetes_provider=provider,
                aws=AWS,
                protect=protect,
            ),
        )

    return build(program)


def test_the_signing_key_is_asymmetric_rs256_and_never_leaves_kms() -> None:
    key = one(signing(), "aws:kms/key:Key")["inputs"]
    assert key["keyUsage"] == "SIGN_VERIFY"
    assert key["customerMasterKeySpec"] == "RSA_2048"
    assert key["deletionWindowInDays"] == 30


@pytest.mark.parametrize("protect", [True, False])
def test_the_key_is_protected_by_config(protect: bool) -> None:
    assert one(signing(protect), "aws:kms/key:Key").get("protect", False) is protect


def test_every_consumer_gets_a_jwt_credential_secret() -> None:
    secrets = of_type(signing(), "kubernetes:core/v1:Secret")
    names = sorted(s["inputs"]["metadata"]["name"] for s in secrets)
    assert names == ["kong-jwt-cli", "kong-jwt-web-app"]
    for secret in secrets:
        assert secret["inputs"]["metadata"]["namespace"] == "apps"
        assert secret["inputs"]["metadata"]["labels"] == {"konghq.com/credential": "jwt"}


def test_args_refuse_shared_or_missing_credentials() -> None:
    common: dict[str, Any] = {"key_alias": "alias/x", "namespace": "apps", "kubernetes_provider": None, "aws": AWS}
    with pytest.raises(ValueError, match="no consumer"):
        TokenSigningArgs(credentials=[], **common)
    with pytest.raises(ValueError, match="share a credential"):
        TokenSigningArgs(credentials=[ConsumerCredential("a", "s"), ConsumerCredential("b", "s")], **common)


def test_jwt_routes_without_a_token_issuer_are_refused() -> None:
    values = {
        "environment": "dev",
        "ingress": {
            "hostnames": ["api.example.com"],
            "dnsZoneId": "Z0EXAMPLE0000001",
            "dnsZoneName": "example.com",
            "acmeEmail": "ops@example.com",
            "acmeEnvironment": "staging",
        },
        "services": {"deployments": {"user-service": {"tokens": None}}},
    }
    with pytest.raises(ConfigError, match=r"platform:services\.deployments: routes .* require JWTs"):
        build_config(values)
