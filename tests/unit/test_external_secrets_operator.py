"""The External Secrets Operator add-on: pinned chart with known values, its own namespace, and an IRSA
role that may read exactly the given secrets and decrypt with exactly the given keys, through Secrets
Manager only; the release waits for that policy."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.addons import PINS
from components.addons.base import unknown_keys
from components.addons.external_secrets import PIN, ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.contracts import ClusterIdentity
from tests.support import build, one, policy

OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
IDENTITY = ClusterIdentity(oidc_provider_arn=OIDC_ARN, oidc_issuer_url=ISSUER)
# Given out of order: the policy lists them sorted.
SECRET_ARNS = [
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:rd-b",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:pg-a",
]
KEY_ARNS = [
    "arn:aws:kms:us-east-1:123456789012:key/users",
    "arn:aws:kms:us-east-1:123456789012:key/analytics",
]
RELEASE = "kubernetes:helm.sh/v3:Release"


def operator_args(provider: k8s.Provider, **changes: Any) -> ExternalSecretsOperatorArgs:
    fields: dict[str, Any] = {
        "kubernetes_provider": provider,
        "identity": IDENTITY,
        "region": "us-east-1",
        "dns_suffix": "amazonaws.com",
        "secret_arns": SECRET_ARNS,
        "kms_key_arns": KEY_ARNS,
    }
    return ExternalSecretsOperatorArgs(**{**fields, **changes})


def program() -> None:
    provider = k8s.Provider("k8s", kubeconfig="{}")
    # Stands in for what the caller makes the release wait for.
    before = aws.sns.Topic("before")
    ExternalSecretsOperator(
        "external-secrets", operator_args(provider), opts=pulumi.ResourceOptions(depends_on=[before])
    )


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return build(program)


def test_the_role_is_for_the_operators_service_account_only(resources: list[dict[str, Any]]) -> None:
    role = one(resources, "aws:iam/role:Role")
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:external-secrets:external-secrets",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }


def test_the_role_may_read_exactly_those_secrets_and_decrypt_with_those_keys(resources: list[dict[str, Any]]) -> None:
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy")
    assert role_policy["inputs"]["role"] == one(resources, "aws:iam/role:Role")["id"]
    statements = policy(role_policy, "policy")["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {"ReadTheDatastoreSecrets", "DecryptThemThroughSecretsManager"}
    read = by_sid["ReadTheDatastoreSecrets"]
    assert read["Effect"] == "Allow" and read["Resource"] == sorted(SECRET_ARNS)
    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    decrypt = by_sid["DecryptThemThroughSecretsManager"]
    assert decrypt["Effect"] == "Allow" and decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == sorted(KEY_ARNS)
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
    assert "*" not in json.dumps([s["Resource"] for s in statements])


def test_the_decrypt_condition_follows_the_region_and_partition_suffix() -> None:
    def china() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        ExternalSecretsOperator(
            "external-secrets", operator_args(provider, region="cn-north-1", dns_suffix="amazonaws.com.cn")
        )

    statements = policy(one(build(china), "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    (decrypt,) = [s for s in statements if s["Sid"] == "DecryptThemThroughSecretsManager"]
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == "secretsmanager.cn-north-1.amazonaws.com.cn"


def test_the_namespace_enforces_baseline_and_reports_restricted(resources: list[dict[str, Any]]) -> None:
    namespace = one(resources, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert namespace["name"] == "external-secrets"
    assert namespace["labels"] == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def test_the_chart_is_pinned_atomic_and_in_its_namespace(resources: list[dict[str, Any]]) -> None:
    release = one(resources, RELEASE)
    inputs = release["inputs"]
    assert (inputs["chart"], inputs["version"]) == (PIN.chart, PIN.version) == ("external-secrets", "2.9.0")
    assert inputs["repositoryOpts"]["repo"] == PIN.repository == "https://charts.external-secrets.io"
    assert inputs["name"] == "external-secrets" and inputs["namespace"] == "external-secrets"
    assert one(resources, "kubernetes:core/v1:Namespace")["urn"] in release["dependencies"]
    assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True
    provider = one(resources, "pulumi:providers:kubernetes")
    assert release["provider"].startswith(provider["urn"] + "::")
    assert PIN in PINS


def test_values_set_only_keys_read_in_the_chart(resources: list[dict[str, Any]]) -> None:
    values = one(resources, RELEASE)["inputs"]["values"]
    assert unknown_keys(PIN, values) == []
    assert unknown_keys(PIN, {**values, "webhook": {"replicas": 2}}) == ["webhook.replicas"]
    role = one(resources, "aws:iam/role:Role")
    assert values["serviceAccount"] == {
        "create": True,
        "name": "external-secrets",
        "annotations": {"eks.amazonaws.com/role-arn": role["outputs"]["arn"]},
    }
    assert values["installCRDs"] is True, "the stores and ExternalSecrets need the chart's CRDs"


def test_the_release_waits_for_the_policy_and_for_what_the_caller_names(resources: list[dict[str, Any]]) -> None:
    release = one(resources, RELEASE)
    assert one(resources, "aws:iam/rolePolicy:RolePolicy")["urn"] in release["dependencies"]
    assert one(resources, "aws:sns/topic:Topic", "before")["urn"] in release["dependencies"]


def test_the_component_publishes_namespace_release_and_role(resources: list[dict[str, Any]]) -> None:
    (component,) = [r for r in resources if r["type"] == "platform:addons:ExternalSecretsOperator"]
    assert component["outputs"] == {
        "namespace": "external-secrets",
        "release": "external-secrets",
        "service_account": "external-secrets",
        "role_arn": one(resources, "aws:iam/role:Role")["outputs"]["arn"],
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"secret_arns": []}, "no secrets to deliver"), ({"kms_key_arns": []}, "KMS keys are needed")],
)
def test_args_refuse_nothing_to_read_or_no_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        operator_args(None, **changes)  # type: ignore[arg-type]
