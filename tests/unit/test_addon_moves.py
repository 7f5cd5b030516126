"""A move names the child it moves: a mistyped name must fail the plan, not silently leave the old
resource to be deleted and a new one created by a real ``pulumi up``."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.addons.metrics_server import MetricsServer, MetricsServerArgs
from components.workload_namespace import WorkloadNamespace, WorkloadNamespaceArgs
from infra.config.workloads import PodResources
from tests.support import build


def test_an_add_on_refuses_a_move_of_a_child_it_does_not_have() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        MetricsServer("metrics-server", MetricsServerArgs(provider, 1, moved={"metric-server": pulumi.Alias(name="x")}))

    with pytest.raises(Exception, match="moved names no child of this add-on"):
        build(program)


def test_the_workload_namespace_refuses_a_move_of_a_child_it_does_not_have() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        WorkloadNamespace(
            "apps", WorkloadNamespaceArgs(provider, "apps", PodResources(), moved={"apps-namespace": pulumi.Alias()})
        )

    with pytest.raises(Exception, match="moved names no child of this component"):
        build(program)
