"""The ExternalSecrets delivery: a store that authenticates as the operator and serves only the given
namespace, and one ExternalSecret per datastore secret in it, after the operator's release."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.datastores.external_secrets import (
    DeliveredSecret,
    ExternalSecrets,
    ExternalSecretsArgs,
)
from tests.support import build, of_type, one

MANAGED = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-abcdef"
URL = "postgresql://{{ .username | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/users"
SECRETS = [
    DeliveredSecret("postgres-credentials", "p/datastores/postgres", MANAGED, {"url": URL}),
    DeliveredSecret("redis-credentials", "p/datastores/redis"),
]
STORE = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def args(provider: k8s.Provider, secrets: list[DeliveredSecret] = SECRETS) -> ExternalSecretsArgs:
    return ExternalSecretsArgs(
        kubernetes_provider=provider,
        region="us-east-1",
        namespace="apps",
        operator_namespace="external-secrets",
        operator_service_account="external-secrets",
        secrets=secrets,
    )


def program(consumer: bool = False) -> None:
    provider = k8s.Provider("k8s", kubeconfig="{}")
    # Stands in for the operator's release, which brings the CRDs.
    operator = aws.sns.Topic("operator-release")
    delivery = ExternalSecrets("external-secrets", args(provider), opts=pulumi.ResourceOptions(depends_on=[operator]))
    if consumer:
        # A workload that names the delivered Secrets (as a Deployment's env would).
        k8s.core.v1.ConfigMap(
            "workload",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="workload", namespace="apps"),
            data=delivery.kubernetes_secret_names,
            opts=pulumi.ResourceOptions(provider=provider),
        )


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return build(program)


def test_cluster_store_uses_jwt_of_the_operator_and_serves_only_apps(resources: list[dict[str, Any]]) -> None:
    store = one(resources, STORE)
    assert store["inputs"]["metadata"]["name"] == "aws-secrets-manager"
    aws_provider = store["inputs"]["spec"]["provider"]["aws"]
    assert aws_provider["service"] == "SecretsManager" and aws_provider["region"] == "us-east-1"
    assert aws_provider["auth"]["jwt"]["serviceAccountRef"] == {
        "name": "external-secrets",
        "namespace": "external-secrets",
    }
    assert store["inputs"]["spec"]["conditions"] == [{"namespaces": ["apps"]}]


def test_the_store_waits_for_the_operators_release(resources: list[dict[str, Any]]) -> None:
    store = one(resources, STORE)
    assert one(resources, "aws:sns/topic:Topic", "operator-release")["urn"] in store["dependencies"]


def test_everything_is_made_with_the_given_provider(resources: list[dict[str, Any]]) -> None:
    provider = one(resources, "pulumi:providers:kubernetes")
    for resource in [one(resources, STORE), *of_type(resources, EXTERNAL_SECRET)]:
        assert resource["provider"].startswith(provider["urn"] + "::")


def test_one_external_secret_per_datastore_in_the_apps_namespace(resources: list[dict[str, Any]]) -> None:
    store = one(resources, STORE)
    externals = of_type(resources, EXTERNAL_SECRET)
    assert len(externals) == len(SECRETS)
    by_name = {e["inputs"]["metadata"]["name"]: e for e in externals}
    for delivered in SECRETS:
        external = by_name[delivered.kubernetes_name]
        spec = external["inputs"]["spec"]
        assert external["inputs"]["apiVersion"] == "external-secrets.io/v1"
        assert external["inputs"]["metadata"]["namespace"] == "apps"
        assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
        assert spec["dataFrom"] == [{"extract": {"key": delivered.secret_name}}]
        target = dict(spec["target"])
        template = target.pop("template", None)
        assert target == {
            "name": delivered.kubernetes_name,
            "creationPolicy": "Owner",
            "deletionPolicy": "Retain",
        }
        # Read again every 5 minutes: a rotated credential reaches the cluster within that.
        assert spec["refreshInterval"] == "5m"
        assert store["urn"] in external["dependencies"]
        if delivered.credentials_secret is None:
            assert template is None and "data" not in spec
        else:
            assert template == {"engineVersion": "v2", "mergePolicy": "Merge", "data": {"url": URL}}
            assert spec["data"] == [
                {"secretKey": k, "remoteRef": {"key": MANAGED, "property": k}} for k in ("username", "password")
            ]


def test_the_delivery_makes_no_namespace_role_or_release(resources: list[dict[str, Any]]) -> None:
    # The namespace is handed in; the operator (its namespace, role and chart) is the add-on's.
    for token in (
        "kubernetes:core/v1:Namespace",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "kubernetes:helm.sh/v3:Release",
    ):
        assert of_type(resources, token) == [], token


def test_a_workload_naming_a_delivered_secret_waits_for_its_external_secret() -> None:
    resources = build(lambda: program(consumer=True))
    workload = one(resources, "kubernetes:core/v1:ConfigMap", "workload")
    assert workload["inputs"]["data"] == {s.kubernetes_name: s.kubernetes_name for s in SECRETS}
    for external in of_type(resources, EXTERNAL_SECRET):
        assert external["urn"] in workload["dependencies"]


def test_args_refuse_duplicate_names() -> None:
    with pytest.raises(ValueError, match="same Kubernetes name"):
        args(None, [SECRETS[0], SECRETS[0]])  # type: ignore[arg-type]
