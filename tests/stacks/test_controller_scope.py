"""The internet-facing ingress controllers read Secrets only where they serve Ingresses: NGINX's Roles exist
in exactly the namespaces it watches, no ClusterRole of the plan bound to it grants a namespaced object,
and the charts' cluster-wide roles are not rendered (the values; the charts themselves are not available
offline)."""

from __future__ import annotations

from typing import Any

import pytest

from components.addons.nginx_ingress import full_name
from components.ingress import NGINX_NAMESPACE
from tests.conftest import STACKS
from tests.support import of_type

RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"


def releases(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["chart"]: r["inputs"]["values"] for r in of_type(resources, "kubernetes:helm.sh/v3:Release")}


def bound_to_nginx(binding: dict[str, Any]) -> bool:
    return {"kind": "ServiceAccount", "name": full_name("nginx-ingress"), "namespace": NGINX_NAMESPACE} in binding[
        "inputs"
    ]["subjects"]


@pytest.mark.parametrize("stack", STACKS)
def test_nginx_reads_secrets_only_in_the_namespaces_it_serves(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    values = releases(resources)["nginx-ingress"]
    assert values["rbac"]["clusterrole"]["create"] is False  # the chart's ClusterRole reads every Secret
    watched = set(values["controller"]["watchNamespace"].split(","))
    roles = {
        (r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"]): r
        for r in of_type(resources, RBAC + "Role")
    }
    bindings = [b for b in of_type(resources, RBAC + "RoleBinding") if bound_to_nginx(b)]
    granted = {b["inputs"]["metadata"]["namespace"] for b in bindings}
    assert granted == watched, "a Role in each namespace NGINX watches, and in no other"
    for binding in bindings:
        role = roles[(binding["inputs"]["metadata"]["namespace"], binding["inputs"]["roleRef"]["name"])]
        assert any("secrets" in rule["resources"] for rule in role["inputs"]["rules"])
    cluster_roles = {r["inputs"]["metadata"]["name"]: r for r in of_type(resources, RBAC + "ClusterRole")}
    cluster_bindings = [b for b in of_type(resources, RBAC + "ClusterRoleBinding") if bound_to_nginx(b)]
    assert cluster_bindings
    for binding in cluster_bindings:
        rules = cluster_roles[binding["inputs"]["roleRef"]["name"]]["inputs"]["rules"]
        assert {res for rule in rules for res in rule["resources"]} == {"ingressclasses", "namespaces"}


@pytest.mark.parametrize("stack", STACKS)
def test_kong_watches_its_own_and_the_services_namespace_only(planned: Any, stack: str) -> None:
    """With watchNamespaces the chart renders Roles there and a ClusterRole of cluster-scoped kinds only
    (its kubernetesRBACClusterRules at the pinned version: no Secrets)."""
    _, resources = planned(stack)
    controller = releases(resources)["kong"]["ingressController"]
    assert controller["watchNamespaces"] == ["kong", "apps"]
    assert "rbac" not in controller  # the chart's defaults: Roles per watched namespace


@pytest.mark.parametrize("stack", STACKS)
def test_grafana_reads_configmaps_and_secrets_of_its_own_namespace_only(planned: Any, stack: str) -> None:
    """The chart (12.11.1) renders a Role in Grafana's namespace instead of its ClusterRole over every Secret;
    with no searchNamespace the sidecars watch that namespace, where the dashboards are published."""
    _, resources = planned(stack)
    grafana = releases(resources)["kube-prometheus-stack"]["grafana"]
    assert grafana["rbac"] == {"namespaced": True}
    assert "searchNamespace" not in grafana["sidecar"]["dashboards"]
    assert "searchNamespace" not in grafana["sidecar"]["datasources"]
    monitoring = next(
        r
        for r in of_type(resources, "kubernetes:helm.sh/v3:Release")
        if r["inputs"]["chart"] == "kube-prometheus-stack"
    )["inputs"]["namespace"]
    dashboards = [
        c
        for c in of_type(resources, "kubernetes:core/v1:ConfigMap")
        if c["inputs"].get("metadata", {}).get("labels", {}).get("grafana_dashboard") == "1"
    ]
    assert dashboards and {c["inputs"]["metadata"]["namespace"] for c in dashboards} == {monitoring}
