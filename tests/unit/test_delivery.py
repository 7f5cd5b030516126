"""Delivery, the component: the account's existing OIDC provider reused, branch subjects, roles only for
what the config names, and the release record that never takes back a release."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.delivery import Delivery, DeliveryArgs, ReleasedService
from infra.config.delivery import DeliveryConfig
from tests.support import AWS, build, of_type, one

EXISTING = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def delivery(spec: dict[str, Any]) -> list[dict[str, Any]]:
    config = DeliveryConfig.model_validate(spec)

    def program() -> None:
        Delivery(
            "delivery",
            DeliveryArgs(
                spec=config,
                name_prefix="platform-test",
                aws=AWS,
                cluster_name="platform-test",
                namespace="apps",
                kubernetes_provider=k8s.Provider("k8s", kubeconfig="{}"),
                services={
                    name: ReleasedService(f"arn:aws:ecr:us-east-1:123456789012:repository/x/{name}", name, "1.0.0")
                    for name in config.github.services
                },
            ),
        )

    return build(program)


def test_an_existing_provider_is_reused_not_created_again() -> None:
    resources = delivery(
        {
            "github": {
                "oidcProviderArn": EXISTING,
                "services": {"user-service": {"repository": "example-org/user-service", "branch": "main"}},
            }
        }
    )
    assert not of_type(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    trust = json.loads(one(resources, "aws:iam/role:Role")["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Federated": EXISTING}
    assert trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:example-org/user-service:ref:refs/heads/main"
    )


def test_no_infrastructure_section_no_pipeline_roles() -> None:
    resources = delivery({"github": {"services": {"analytics": {"repository": "o/analytics", "environment": "x"}}}})
    assert [r["inputs"]["name"] for r in of_type(resources, "aws:iam/role:Role")] == ["platform-test-analytics-release"]
    assert not of_type(resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"), "no cluster-wide right"


def test_the_release_record_starts_at_the_stack_image_and_then_belongs_to_the_release() -> None:
    resources = delivery({"github": {"services": {"analytics": {"repository": "o/analytics", "environment": "x"}}}})
    record = one(resources, "aws:ssm/parameter:Parameter")
    assert record["inputs"]["insecureValue"] == "1.0.0", "a tag or digest is no secret: the Rollout spec stays visible"
    assert "value" not in record["inputs"]
    assert record["ignoreChanges"] == ["insecureValue"], "pulumi up never resets what a release recorded"


def test_a_service_named_in_config_needs_its_repository_and_rollout() -> None:
    config = DeliveryConfig.model_validate(
        {"github": {"services": {"analytics": {"repository": "o/analytics", "environment": "x"}}}}
    )
    with pytest.raises(ValueError, match="analytics"):
        DeliveryArgs(config, "p", AWS, "c", "apps", k8s.Provider.__new__(k8s.Provider), services={})
