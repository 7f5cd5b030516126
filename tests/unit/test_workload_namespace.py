"""The WorkloadNamespace component: restricted namespace, namespace-wide default deny, the per-pod LimitRange."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from components.workload_namespace import WorkloadNamespace, WorkloadNamespaceArgs
from infra.config import PodResources
from tests.support import Resource, build, of_type, one


def namespace(create: bool) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        WorkloadNamespace(
            "apps",
            WorkloadNamespaceArgs(kubernetes_provider=provider, name="apps", defaults=PodResources(), create=create),
        )

    return build(program)


@pytest.mark.parametrize("create", [True, False])
def test_default_deny_for_every_pod_of_the_namespace(create: bool) -> None:
    resources = namespace(create)
    deny = one(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")["inputs"]
    assert deny["metadata"] == {"name": "default-deny-all", "namespace": "apps"}
    assert deny["spec"]["podSelector"] == {}
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    namespaces = of_type(resources, "kubernetes:core/v1:Namespace")
    assert len(namespaces) == (1 if create else 0)
    if create:
        assert namespaces[0]["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_limit_range_is_the_pod_range() -> None:
    (item,) = one(namespace(True), "kubernetes:core/v1:LimitRange")["inputs"]["spec"]["limits"]
    assert item["type"] == "Container"
    assert item["min"] == {"cpu": "500m", "memory": "512Mi"}
    assert item["max"] == {"cpu": "2000m", "memory": "2048Mi"}
    assert item["defaultRequest"] == {"cpu": "500m", "memory": "512Mi"}
    assert item["default"] == {"cpu": "2000m", "memory": "2Gi"}
