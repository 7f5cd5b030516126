"""NGINX's access when it watches named namespaces: no chart ClusterRole, a ClusterRole of cluster-scoped
objects only, Roles (Secrets included) in its own namespace and in each namespace it serves, before the
release; without named namespaces the chart's own RBAC stays."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from components.addons.base import unknown_keys
from components.addons.nginx_ingress import CLUSTER_RULES, PIN, WATCH_RULES, full_name
from components.ingress_access import IngressAccess, IngressAccessArgs
from tests.support import build, of_type, one
from tests.unit.test_ingress import RELEASE, ingress

CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
NAMESPACED = {"secrets", "configmaps", "pods", "services", "endpointslices", "ingresses", "events"}


def resources_of(rule_objects: list[dict[str, Any]]) -> set[str]:
    return {res for rule in rule_objects for res in rule["resources"]}


def test_the_chart_names_its_service_account_after_the_release() -> None:
    assert full_name("nginx-ingress") == "nginx-ingress"
    assert full_name("edge") == "edge-nginx-ingress"


def test_watching_named_namespaces_drops_the_charts_cluster_role_for_the_add_ons_own() -> None:
    made = ingress(served_namespaces=("kong",))
    release = next(r for r in of_type(made, RELEASE) if r["inputs"]["chart"] == "nginx-ingress")
    values = release["inputs"]["values"]
    assert values["rbac"] == {"clusterrole": {"create": False}}
    assert unknown_keys(PIN, values) == []
    (cluster_role,) = of_type(made, CLUSTER_ROLE)
    rules = cluster_role["inputs"]["rules"]
    # Cluster-scoped objects only: nothing namespaced, no Secret anywhere.
    assert resources_of(rules) == {"ingressclasses", "namespaces"}
    assert not resources_of(rules) & NAMESPACED
    assert all(set(rule["verbs"]) <= {"get", "list"} for rule in rules)
    binding = one(made, CLUSTER_ROLE_BINDING)["inputs"]
    assert binding["roleRef"]["name"] == cluster_role["inputs"]["metadata"]["name"] != "nginx-ingress"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "nginx-ingress", "namespace": "nginx-ingress"}]
    # Its own namespace: a Role with what it watches there, Secrets included, and its own Service.
    (role,) = of_type(made, ROLE)
    assert role["inputs"]["metadata"]["namespace"] == "nginx-ingress"
    assert {"secrets", "ingresses", "endpointslices"} <= resources_of(role["inputs"]["rules"])
    assert any("create" in r["verbs"] and r["resources"] == ["services"] for r in role["inputs"]["rules"])
    (role_binding,) = of_type(made, ROLE_BINDING)
    assert role_binding["inputs"]["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["inputs"]["metadata"]["name"],
    }
    # The release starts once it has its access.
    for needed in (cluster_role, role, role_binding, one(made, CLUSTER_ROLE_BINDING)):
        assert needed["urn"] in release["dependencies"], needed["urn"]


def test_watching_every_namespace_keeps_the_charts_rbac() -> None:
    made = ingress()
    release = next(r for r in of_type(made, RELEASE) if r["inputs"]["chart"] == "nginx-ingress")
    assert "rbac" not in release["inputs"]["values"]
    assert of_type(made, CLUSTER_ROLE) == of_type(made, ROLE) == []


def test_each_served_namespace_gets_its_role_once_its_namespace_exists() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        kong = k8s.core.v1.Namespace("kong-ns", metadata={"name": "kong"})
        consoles = k8s.core.v1.Namespace("consoles-ns", metadata={"name": "consoles"})
        IngressAccess(
            "ingress-access",
            IngressAccessArgs(provider, "nginx-ingress", "nginx-ingress", {"kong": kong, "consoles": consoles}),
        )

    made = build(program)
    namespaces = {r["inputs"]["metadata"]["name"]: r["urn"] for r in of_type(made, "kubernetes:core/v1:Namespace")}
    roles = of_type(made, ROLE)
    assert {r["inputs"]["metadata"]["namespace"] for r in roles} == {"kong", "consoles"}
    for role in roles:
        namespace = role["inputs"]["metadata"]["namespace"]
        assert namespaces[namespace] in role["dependencies"]
        assert resources_of(role["inputs"]["rules"]) == resources_of(
            [{"resources": list(r)} for _, r, _ in WATCH_RULES]
        )
    for binding in of_type(made, ROLE_BINDING):
        assert binding["inputs"]["subjects"] == [
            {"kind": "ServiceAccount", "name": "nginx-ingress", "namespace": "nginx-ingress"}
        ]
    assert of_type(made, CLUSTER_ROLE) == []
    assert {rule[1] for rule in CLUSTER_RULES} == {("ingressclasses",), ("namespaces",)}
