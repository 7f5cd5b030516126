"""The rules that keep kube-system isolated and the internet-facing controllers out of other namespaces'
Secrets: each passes the clean plans (tests/policies/test_rules.py) and catches its violation here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.support import PROVIDER, Resource, mutated, resource, violations_of
from tools.render.rendered_check import check_rendered

NGINX = "kubernetes:helm.sh/v3:Release::ingress-nginx"
KONG = "kubernetes:helm.sh/v3:Release::gateway-kong"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"


def _drop_rbac(r: Resource) -> None:
    r["inputs"]["values"].pop("rbac")


def _secrets_elsewhere(r: Resource) -> None:
    r["inputs"]["values"]["controller"]["watchSecretNamespace"] += ",apps"


def _watch_everything(r: Resource) -> None:
    r["inputs"]["values"]["controller"].pop("watchNamespace")


def _kong_everywhere(r: Resource) -> None:
    r["inputs"]["values"]["ingressController"].pop("watchNamespaces")


def _read_secrets(r: Resource) -> None:
    r["inputs"]["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]})


def _every_resource(r: Resource) -> None:
    r["inputs"]["rules"].append({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})


def _grafana_cluster_wide(r: Resource) -> None:
    r["inputs"]["values"]["grafana"].pop("rbac")


def _removed(r: Resource) -> None:
    r["type"] = "test:index:Removed"


CASES: list[tuple[str, str, str, Callable[[Resource], None]]] = [
    ("internet-facing-controllers-namespaced", NGINX, "prod", _drop_rbac),
    ("internet-facing-controllers-namespaced", NGINX, "dev", _secrets_elsewhere),
    ("internet-facing-controllers-namespaced", NGINX, "staging", _watch_everything),
    ("internet-facing-controllers-namespaced", KONG, "prod", _kong_everywhere),
    (
        "internet-facing-controllers-namespaced",
        "kubernetes:helm.sh/v3:Release::monitoring-kube-prometheus-stack",
        "staging",
        _grafana_cluster_wide,
    ),
    ("internet-facing-no-cluster-secrets", CLUSTER_ROLE, "prod", _read_secrets),
    ("internet-facing-no-cluster-secrets", CLUSTER_ROLE, "dev", _every_resource),
    ("kube-system-default-deny", f"{POLICY}::kube-system-default-deny-all", "prod", _removed),
    ("kube-system-default-deny", f"{POLICY}::kube-system-dns-from-pods", "staging", _removed),
]


@pytest.mark.parametrize(("rule", "kind", "stack", "change"), CASES, ids=lambda x: x if isinstance(x, str) else "")
def test_rule_catches_its_violation_in_a_real_plan(
    planned: Any, rule: str, kind: str, stack: str, change: Callable[[Resource], None]
) -> None:
    _, resources = planned(stack)
    assert violations_of(resources, rule) == []
    broken, _ = mutated(resources, kind, change)
    found = violations_of(broken, rule)
    assert found and all(v.mandatory for v in found), f"{rule} missed {kind}"


def test_dns_from_a_single_namespace_is_not_dns_for_every_pod(planned: Any) -> None:
    _, resources = planned("prod")

    def one_namespace(r: Resource) -> None:
        peer = r["inputs"]["spec"]["ingress"][0]["from"][0]
        peer["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}

    broken, _ = mutated(resources, f"{POLICY}::kube-system-dns-from-pods", one_namespace)
    assert [v.message for v in violations_of(broken, "kube-system-default-deny")] == [
        "kube-system denies by default but no policy admits DNS (UDP 53) to CoreDNS from every pod"
    ]


def test_a_plan_without_a_cluster_needs_no_kube_system_policies() -> None:
    assert violations_of([PROVIDER], "kube-system-default-deny") == []


def _chart_cluster_role(name: str, namespace: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    """What a chart renders: a ClusterRole and its binding to the release's service account."""
    return {
        "release": name,
        "chart": name,
        "namespace": namespace,
        "objects": [
            {"object": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                        "metadata": {"name": name}, "rules": rules}},
            {"object": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                        "metadata": {"name": name},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]}},
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("namespace", "rules", "caught"),
    [
        ("nginx-ingress", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}], True),
        ("nginx-ingress", [{"apiGroups": ["networking.k8s.io"], "resources": ["ingressclasses"], "verbs": ["get"]}],
         False),
        ("cert-manager", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}], False),
    ],
)  # fmt: skip
def test_a_rendered_cluster_role_reading_secrets_is_caught_for_an_internet_facing_controller(
    namespace: str, rules: list[dict[str, Any]], caught: bool
) -> None:
    release = resource(
        "kubernetes:helm.sh/v3:Release",
        "edge",
        {"chart": "nginx-ingress", "namespace": "nginx-ingress", "name": "nginx-ingress", "values": {}},
    )
    rendered = _chart_cluster_role("nginx-ingress", namespace, rules)
    rendered["urn"] = release["urn"]
    result = check_rendered([PROVIDER, release], [rendered], "1.35")
    found = [v for v in result.violations if v.policy == "internet-facing-no-cluster-secrets"]
    assert bool(found) == caught, found
