"""The ExternalSecrets component: pinned operator, least-privilege IRSA, store, one ExternalSecret each."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.datastores.external_secrets import (
    DeliveredSecret,
    ExternalSecrets,
    ExternalSecretsArgs,
)
from infra.charts import EXTERNAL_SECRETS, unknown_keys
from tests.support import AWS, build, of_type, one, policy

OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
SECRETS = [
    DeliveredSecret("postgres-credentials", "p/datastores/postgres", "arn:aws:secretsmanager:us-east-1:1:secret:pg-a"),
    DeliveredSecret("redis-credentials", "p/datastores/redis", "arn:aws:secretsmanager:us-east-1:1:secret:rd-b"),
]
KEYS = ["arn:aws:kms:us-east-1:123456789012:key/users"]


def program() -> None:
    provider = k8s.Provider("k8s", kubeconfig="{}")
    ExternalSecrets(
        "external-secrets",
        ExternalSecretsArgs(
            oidc_provider_arn=OIDC_ARN,
            oidc_issuer_url=ISSUER,
            kubernetes_provider=provider,
            aws=AWS,
            namespace="apps",
            secrets=SECRETS,
            kms_key_arns=KEYS,
        ),
    )


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return build(program)


def test_operator_role_is_for_its_service_account_only(resources: list[dict[str, Any]]) -> None:
    role = one(resources, "aws:iam/role:Role")
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    condition = statement["Condition"]["StringEquals"]
    assert condition["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == (
        "system:serviceaccount:external-secrets:external-secrets"
    )


def test_operator_may_read_exactly_those_secrets_and_decrypt_with_those_keys(resources: list[dict[str, Any]]) -> None:
    statements = policy(one(resources, "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    read = by_sid["ReadTheDatastoreSecrets"]
    assert read["Resource"] == sorted(s.secret_arn for s in SECRETS)
    assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    decrypt = by_sid["DecryptThemThroughSecretsManager"]
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"] == KEYS
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == "secretsmanager.us-east-1.amazonaws.com"
    assert "*" not in json.dumps([s["Resource"] for s in statements])


def test_chart_is_pinned_and_sets_only_known_keys(resources: list[dict[str, Any]]) -> None:
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    inputs = release["inputs"]
    assert (inputs["chart"], inputs["version"]) == ("external-secrets", EXTERNAL_SECRETS.version)
    assert inputs["repositoryOpts"]["repo"] == EXTERNAL_SECRETS.repository
    assert inputs["namespace"] == "external-secrets"
    values = inputs["values"]
    assert unknown_keys(EXTERNAL_SECRETS, values) == []
    role = one(resources, "aws:iam/role:Role")
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role["outputs"]["arn"]
    assert values["serviceAccount"]["name"] == "external-secrets" and values["installCRDs"] is True


def test_cluster_store_uses_jwt_of_the_operator_and_serves_only_apps(resources: list[dict[str, Any]]) -> None:
    store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore")
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    assert release["urn"] in store["dependencies"], "the CRDs come with the chart"
    aws = store["inputs"]["spec"]["provider"]["aws"]
    assert aws["service"] == "SecretsManager" and aws["region"] == "us-east-1"
    assert aws["auth"]["jwt"]["serviceAccountRef"] == {"name": "external-secrets", "namespace": "external-secrets"}
    assert store["inputs"]["spec"]["conditions"] == [{"namespaces": ["apps"]}]


def test_one_external_secret_per_datastore_in_the_apps_namespace(resources: list[dict[str, Any]]) -> None:
    store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore")
    externals = of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
    assert len(externals) == len(SECRETS)
    by_name = {e["inputs"]["metadata"]["name"]: e for e in externals}
    for delivered in SECRETS:
        external = by_name[delivered.kubernetes_name]
        spec = external["inputs"]["spec"]
        assert external["inputs"]["apiVersion"] == "external-secrets.io/v1"
        assert external["inputs"]["metadata"]["namespace"] == "apps"
        assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
        assert spec["dataFrom"] == [{"extract": {"key": delivered.secret_name}}]
        assert spec["target"]["name"] == delivered.kubernetes_name
        assert store["urn"] in external["dependencies"]


def test_namespaces_are_created_with_pod_security_labels(resources: list[dict[str, Any]]) -> None:
    namespaces = {n["inputs"]["metadata"]["name"]: n for n in of_type(resources, "kubernetes:core/v1:Namespace")}
    assert set(namespaces) == {"apps", "external-secrets"}
    assert namespaces["apps"]["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_args_refuse_duplicate_names() -> None:
    with pytest.raises(ValueError, match="same Kubernetes name"):
        ExternalSecretsArgs(OIDC_ARN, ISSUER, None, AWS, "apps", [SECRETS[0], SECRETS[0]], KEYS)  # type: ignore[arg-type]
