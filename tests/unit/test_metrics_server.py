"""The metrics-server add-on: the resource metrics API the HorizontalPodAutoscalers read, in kube-system."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.addons.base import unknown_keys
from components.addons.metrics_server import PIN, MetricsServer, MetricsServerArgs
from tests.support import Resource, build, of_type, one

RELEASE = "kubernetes:helm.sh/v3:Release"


def metrics_server(replicas: int) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # What the caller makes it wait for: the Prometheus Operator's CRDs (its ServiceMonitor).
        crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        MetricsServer(
            "metrics-server", MetricsServerArgs(provider, replicas), opts=pulumi.ResourceOptions(depends_on=[crds])
        )

    return build(program)


@pytest.mark.parametrize(("replicas", "pdb"), [(1, False), (2, True)])
def test_metrics_server_is_pinned_in_kube_system_and_waits_for_the_operator_crds(replicas: int, pdb: bool) -> None:
    resources = metrics_server(replicas)
    release = one(resources, RELEASE)
    inputs = release["inputs"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
        PIN.chart,
        PIN.version,
        PIN.repository,
    )
    assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True
    assert inputs["namespace"] == "kube-system"
    values = inputs["values"]
    assert unknown_keys(PIN, values) == []
    assert values["replicas"] == replicas
    assert values["podDisruptionBudget"] == {"enabled": pdb, "minAvailable": 1}
    assert values["serviceMonitor"] == {"enabled": True}
    assert one(resources, "kubernetes:core/v1:ConfigMap")["urn"] in release["dependencies"]
    assert of_type(resources, "kubernetes:core/v1:Namespace") == [], "kube-system exists already"
    assert release["parent"] == one(resources, "platform:addons:MetricsServer")["urn"]
