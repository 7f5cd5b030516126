"""The WorkloadNamespace component: restricted namespace, namespace-wide default deny, the system's per-pod
LimitRange."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.workload_namespace import WorkloadNamespace, WorkloadNamespaceArgs
from infra.config import PodResources, ResourceAmounts
from tests.support import Resource, build, one
from tests.unit.test_addon_base import recorded_aliases

DEFAULTS = PodResources()
CUSTOM = PodResources(
    requests=ResourceAmounts(cpu="750m", memory="1Gi"), limits=ResourceAmounts(cpu="1500m", memory="1536Mi")
)


def namespace(defaults: PodResources = DEFAULTS, **moved: pulumi.Alias) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        built = WorkloadNamespace("apps", WorkloadNamespaceArgs(provider, "apps", defaults, moved=moved))
        # A workload in the namespace waits for its guard rails.
        k8s.core.v1.ConfigMap(
            "workload-stand-in",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=built.name),
            opts=pulumi.ResourceOptions(provider=provider, depends_on=built.ready),
        )

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    return namespace()


def test_namespace_enforces_the_restricted_pod_security_standard(resources: list[Resource]) -> None:
    metadata = one(resources, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert metadata["name"] == "apps"
    assert metadata["labels"] == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def test_default_deny_for_every_pod_of_the_namespace(resources: list[Resource]) -> None:
    deny = one(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")["inputs"]
    assert deny["metadata"] == {"name": "default-deny-all", "namespace": "apps"}
    assert deny["spec"]["podSelector"] == {}
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]


def test_limit_range_is_the_system_range(resources: list[Resource]) -> None:
    limit_range = one(resources, "kubernetes:core/v1:LimitRange")["inputs"]
    assert limit_range["metadata"] == {"name": "pod-range", "namespace": "apps"}
    (item,) = limit_range["spec"]["limits"]
    assert item["type"] == "Container"
    assert item["min"] == {"cpu": "500m", "memory": "512Mi"}
    assert item["max"] == {"cpu": "2000m", "memory": "2048Mi"}
    assert item["defaultRequest"] == {"cpu": "500m", "memory": "512Mi"}
    assert item["default"] == {"cpu": "2000m", "memory": "2Gi"}


def test_defaults_follow_args_inside_the_same_range() -> None:
    (item,) = one(namespace(CUSTOM), "kubernetes:core/v1:LimitRange")["inputs"]["spec"]["limits"]
    assert item["defaultRequest"] == {"cpu": "750m", "memory": "1Gi"}
    assert item["default"] == {"cpu": "1500m", "memory": "1536Mi"}
    assert item["min"] == {"cpu": "500m", "memory": "512Mi"}
    assert item["max"] == {"cpu": "2000m", "memory": "2048Mi"}


def test_a_workload_waiting_for_ready_waits_for_all_three(resources: list[Resource]) -> None:
    workload = one(resources, "kubernetes:core/v1:ConfigMap")
    guard_rails = {
        one(resources, token)["urn"]
        for token in (
            "kubernetes:core/v1:Namespace",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "kubernetes:core/v1:LimitRange",
        )
    }
    assert guard_rails <= set(workload["dependencies"])
    component = one(resources, "platform:workload_namespace:WorkloadNamespace")
    children: list[dict[str, Any]] = [r for r in resources if r.get("parent") == component["urn"]]
    assert {r["urn"] for r in children} == guard_rails


def test_moved_alias_goes_on_the_namespace() -> None:
    with recorded_aliases() as aliases:
        namespace(**{"apps-ns": pulumi.Alias(name="external-secrets-apps")})
    (alias,) = aliases[("kubernetes:core/v1:Namespace", "apps-ns")]
    assert alias.spec.name == "external-secrets-apps"
    assert aliases[("kubernetes:core/v1:LimitRange", "apps-limits")] == []
    with recorded_aliases() as none:
        namespace()
    assert none[("kubernetes:core/v1:Namespace", "apps-ns")] == []
