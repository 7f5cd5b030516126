"""The Argo Rollouts add-on: the controller that acts on the services' Rollouts."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pydantic
import pytest

from components.addons.argo_rollouts import PIN as ARGO_ROLLOUTS
from components.addons.argo_rollouts import ArgoRollouts, ArgoRolloutsArgs
from components.addons.base import unknown_keys
from infra.config import ServicesConfig
from tests.support import Resource, build, one


def argo_rollouts(replicas: int) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # What the caller makes it wait for: the Prometheus Operator's CRDs (its ServiceMonitor).
        crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        ArgoRollouts(
            "argo-rollouts",
            ArgoRolloutsArgs(kubernetes_provider=provider, controller_replicas=replicas),
            opts=pulumi.ResourceOptions(depends_on=[crds]),
        )

    return build(program)


@pytest.mark.parametrize(("replicas", "pdb"), [(1, False), (2, True)])
def test_argo_rollouts_is_pinned_hardened_and_highly_available(replicas: int, pdb: bool) -> None:
    resources = argo_rollouts(replicas)
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    inputs = release["inputs"]
    assert (inputs["chart"], inputs["version"]) == (ARGO_ROLLOUTS.chart, ARGO_ROLLOUTS.version)
    assert inputs["repositoryOpts"]["repo"] == ARGO_ROLLOUTS.repository
    assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True
    values = inputs["values"]
    assert unknown_keys(ARGO_ROLLOUTS, values) == []
    assert values["installCRDs"] is True and values["keepCRDs"] is True
    assert values["controller"]["replicas"] == replicas
    assert values["controller"]["pdb"]["enabled"] is pdb
    assert values["controller"]["metrics"] == {"enabled": True, "serviceMonitor": {"enabled": True}}
    assert values["dashboard"]["enabled"] is False
    assert values["containerSecurityContext"]["readOnlyRootFilesystem"] is True
    assert values["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert one(resources, "kubernetes:core/v1:ConfigMap")["urn"] in release["dependencies"]
    namespace = one(resources, "kubernetes:core/v1:Namespace")
    labels = namespace["inputs"]["metadata"]["labels"]
    assert namespace["inputs"]["metadata"]["name"] == inputs["namespace"] == "argo-rollouts"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    assert namespace["urn"] in release["dependencies"]
    assert release["parent"] == one(resources, "platform:addons:ArgoRollouts")["urn"]


def test_config_refuses_too_many_controllers() -> None:
    with pytest.raises(pydantic.ValidationError, match="less than or equal to 3"):
        ServicesConfig(rollouts_controller_replicas=5)
