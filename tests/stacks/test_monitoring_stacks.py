"""Alertmanager end to end per environment: the receivers' secrets are readable by the External
Secrets Operator (by name, nothing else), the platform's store admits the monitoring namespace, and
the AlertmanagerConfig exists where the stack file names receivers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import STACKS
from tests.support import of_type, one, policy

Plan = Any
RECEIVER_SECRETS = {
    "dev": [],
    "staging": ["platform/staging/alerting/slack-webhook"],
    "prod": ["platform/prod/alerting/pagerduty-routing-key", "platform/prod/alerting/slack-webhook"],
}


@pytest.mark.parametrize("stack", STACKS)
def test_the_operator_may_read_exactly_the_receivers_secrets(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    role_policy = next(
        p
        for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")
        if p["urn"].endswith("::external-secrets-operator")
    )
    statements = {s["Sid"]: s for s in policy(role_policy, "policy")["Statement"]}
    expected = [
        f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-??????" for name in RECEIVER_SECRETS[stack]
    ]
    if expected:
        assert statements["ReadTheOperatorsSecrets"]["Resource"] == expected
    else:
        assert "ReadTheOperatorsSecrets" not in statements


@pytest.mark.parametrize("stack", STACKS)
def test_the_store_admits_monitoring_and_the_receivers_arrive_there(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert store["inputs"]["spec"]["conditions"] == [{"namespaces": ["apps", "monitoring"]}]
    configs = of_type(resources, "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig")
    receivers = [
        e
        for e in of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
        if e["urn"].endswith("alertmanager-receivers")
    ]
    assert len(configs) == len(receivers) == (1 if RECEIVER_SECRETS[stack] else 0)
    for external in receivers:
        assert external["inputs"]["metadata"]["namespace"] == "monitoring"
        assert sorted(d["remoteRef"]["key"] for d in external["inputs"]["spec"]["data"]) == RECEIVER_SECRETS[stack]
        assert store["urn"] in external["dependencies"] or any(
            store["parent"] == dep for dep in external["dependencies"]
        ), "the ExternalSecret waits for its store"
