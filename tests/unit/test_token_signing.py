"""TokenSigning: an asymmetric KMS key signs the access tokens; Kong gets only the public key."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pydantic
import pytest
from pulumi.runtime import rpc

from components.token_signing import TokenSigning, TokenSigningArgs
from infra.config import ConfigError, GatewayConfig, GatewayConsumerConfig, ProtectionConfig, build_config
from tests.support import AWS, build, of_type, one, policy
from tools.offline.engine import record

CONSUMERS = (
    GatewayConsumerConfig(username="web-app", credential_secret="kong-jwt-web-app"),
    GatewayConsumerConfig(username="cli", credential_secret="kong-jwt-cli", requests_per_minute=60),
)


def signing_program(protect: bool = True) -> None:
    provider = k8s.Provider("k8s", kubeconfig="{}")
    TokenSigning(
        "token-signing",
        TokenSigningArgs(
            key_alias="alias/platform-test-token-signing",
            namespace="apps",
            consumers=CONSUMERS,
            kubernetes_provider=provider,
            aws=AWS,
            protection=ProtectionConfig(protect=protect, deletion_protection=protect),
        ),
    )


def signing(protect: bool = True) -> list[dict[str, Any]]:
    return build(lambda: signing_program(protect))


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return signing()


def test_the_signing_key_is_asymmetric_rs256_and_never_leaves_kms(resources: list[dict[str, Any]]) -> None:
    key = one(resources, "aws:kms/key:Key")
    assert key["inputs"]["keyUsage"] == "SIGN_VERIFY"
    assert key["inputs"]["customerMasterKeySpec"] == "RSA_2048"
    assert key["inputs"]["deletionWindowInDays"] == 30
    (statement,) = policy(key, "policy")["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    alias = one(resources, "aws:kms/alias:Alias")["inputs"]
    assert alias == {"name": "alias/platform-test-token-signing", "targetKeyId": key["outputs"]["keyId"]}


@pytest.mark.parametrize("protect", [True, False])
def test_the_key_is_protected_by_config(protect: bool) -> None:
    assert one(signing(protect), "aws:kms/key:Key").get("protect", False) is protect


def test_every_consumer_gets_a_jwt_credential_secret(resources: list[dict[str, Any]]) -> None:
    secrets = {s["inputs"]["metadata"]["name"]: s for s in of_type(resources, "kubernetes:core/v1:Secret")}
    assert set(secrets) == {c.credential_secret for c in CONSUMERS}
    provider = one(resources, "pulumi:providers:kubernetes")
    for consumer in CONSUMERS:
        secret = secrets[consumer.credential_secret]
        assert secret["inputs"]["metadata"]["namespace"] == "apps"
        assert secret["inputs"]["metadata"]["labels"] == {"konghq.com/credential": "jwt"}
        assert secret["provider"].startswith(provider["urn"] + "::")


def test_the_credentials_carry_only_the_keys_public_half(resources: list[dict[str, Any]]) -> None:
    (component,) = [r for r in resources if r["type"] == "platform:gateway:TokenSigning"]
    key = one(resources, "aws:kms/key:Key")
    assert component["outputs"]["key_arn"] == key["outputs"]["arn"]
    pem = component["outputs"]["public_key_pem"]
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem
    for secret in of_type(resources, "kubernetes:core/v1:Secret"):
        # The credential (consumer name as key, RS256, the public key) is hidden in the plan; it is
        # read from the signing key.
        assert "ciphertext" in str(secret["inputs"]["stringData"])
        assert key["urn"] in secret["dependencies"]


def test_each_credential_is_the_consumers_name_rs256_and_the_public_key(resources: list[dict[str, Any]]) -> None:
    (component,) = [r for r in resources if r["type"] == "platform:gateway:TokenSigning"]
    # The plan hides the Secrets' data; the recording keeps it, marked secret.
    recorded = {
        r.name: r.inputs["stringData"]
        for r in record(signing_program, project="platform", stack="test").resources
        if r.type == "kubernetes:core/v1:Secret"
    }
    assert set(recorded) == {f"token-signing-{c.username}" for c in CONSUMERS}
    for consumer in CONSUMERS:
        data = recorded[f"token-signing-{consumer.username}"]
        assert rpc.is_rpc_secret(data)
        assert rpc.unwrap_rpc_secret(data) == {
            "key": consumer.username,  # tokens carry it as iss: how Kong finds the consumer
            "algorithm": "RS256",
            "rsa_public_key": component["outputs"]["public_key_pem"],
        }


def test_consumers_listed_twice_are_refused_by_the_config() -> None:
    with pytest.raises(pydantic.ValidationError, match="a consumer username is listed twice"):
        GatewayConfig.model_validate(
            {
                "consumers": [
                    {"username": "web-app", "credentialSecret": "kong-jwt-a"},
                    {"username": "web-app", "credentialSecret": "kong-jwt-b"},
                ]
            }
        )


# TokenSigningArgs used to refuse these two; the checks left the component but no config model makes them.
def test_consumers_sharing_a_credential_secret_are_refused_by_the_config() -> None:
    with pytest.raises(pydantic.ValidationError):
        GatewayConfig.model_validate(
            {
                "consumers": [
                    {"username": "web-app", "credentialSecret": "kong-jwt"},
                    {"username": "cli", "credentialSecret": "kong-jwt"},
                ]
            }
        )


def test_no_consumer_is_refused_by_the_config() -> None:
    with pytest.raises(pydantic.ValidationError):
        GatewayConfig.model_validate({"consumers": []})


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
