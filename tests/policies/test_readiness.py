"""Readiness: no object without its controller (policies/rules/readiness.py), over the planned stacks."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from policies.rules import readiness
from tools.check import check

Plan = list[dict[str, Any]]


def gaps(resources: Plan) -> list[str]:
    return [v.message for v in check(resources, readiness.POLICIES) if v.mandatory]


def without_release(resources: Plan, chart: str) -> Plan:
    return [r for r in resources if not (r["type"] == readiness.HELM_RELEASE and r["inputs"].get("chart") == chart)]


def edited(resources: Plan, kind: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    copied = copy.deepcopy(resources)
    for r in copied:
        if r["type"] == kind:
            change(r)
    return copied


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_three_plans_have_every_controller(planned: Any, stack: str) -> None:
    assert gaps(planned(stack)[1]) == []


def test_an_hpa_without_metrics_server_is_caught(planned: Any) -> None:
    found = gaps(without_release(planned("prod")[1], "metrics-server"))
    assert found and all("needs metrics-server" in m for m in found)
    assert any(m.startswith("HorizontalPodAutoscaler apps/") for m in found)


def test_network_policies_with_enforcement_off_are_caught(planned: Any) -> None:
    def off(addon: dict[str, Any]) -> None:
        if addon["inputs"].get("addonName") == "vpc-cni":
            addon["inputs"]["configurationValues"] = json.dumps({"enableNetworkPolicy": "false"})

    found = gaps(edited(planned("prod")[1], "aws:eks/addon:Addon", off))
    assert found and all("needs an enforcing network plugin" in m for m in found)
    assert any(m.startswith("NetworkPolicy apps/") for m in found)


def test_a_volume_whose_provisioner_nobody_installs_is_caught(planned: Any) -> None:
    def elsewhere(storage_class: dict[str, Any]) -> None:
        storage_class["inputs"]["provisioner"] = "efs.csi.aws.com"

    found = gaps(edited(planned("prod")[1], "kubernetes:storage.k8s.io/v1:StorageClass", elsewhere))
    assert found == [
        "StorageClass gp3-encrypted: provisioner efs.csi.aws.com needs the CSI driver (aws-efs-csi-driver), "
        "which the plan does not install"
    ]


def test_a_certificate_without_cert_manager_is_caught(planned: Any) -> None:
    found = gaps(without_release(planned("prod")[1], "cert-manager"))
    assert any(m.startswith("Certificate nginx-ingress/") and "needs cert-manager" in m for m in found)
    assert any(m.startswith("ClusterIssuer ") for m in found)


def test_a_rollout_without_argo_rollouts_is_caught(planned: Any) -> None:
    found = gaps(without_release(planned("prod")[1], "argo-rollouts"))
    assert any(m.startswith("Rollout apps/") and "needs Argo Rollouts" in m for m in found)
    assert any(m.startswith("AnalysisTemplate apps/") for m in found)


def test_a_custom_resource_created_before_its_operator_is_caught(planned: Any) -> None:
    def unordered(issuer: dict[str, Any]) -> None:
        issuer["dependencies"] = [d for d in issuer["dependencies"] if "helm.sh" not in d]

    found = gaps(edited(planned("prod")[1], "kubernetes:cert-manager.io/v1:ClusterIssuer", unordered))
    assert "ClusterIssuer letsencrypt-production is not created after cert-manager, which installs its CRD" in found
    # The Certificate waited for cert-manager only through the issuer.
    assert all("is not created after cert-manager" in m for m in found)


def test_an_ingress_whose_class_nobody_serves_is_caught(planned: Any) -> None:
    found = gaps(without_release(planned("prod")[1], "nginx-ingress"))
    assert any(m.startswith("Ingress ") and "IngressClass nginx" in m for m in found)


def test_the_table_is_data_a_new_operator_is_a_row() -> None:
    row = readiness.controller_for("Elasticsearch", "elasticsearch.k8s.elastic.co")
    assert row is not None and "eck-operator" in row.charts
    assert readiness.controller_for("Widget", "demo.example.com") is None
