"""The Delivery component: the Argo Rollouts controller that acts on the services' Rollouts."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.delivery import Delivery, DeliveryArgs
from infra.charts import ARGO_ROLLOUTS, unknown_keys
from tests.support import Resource, build, one


def delivery(replicas: int) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        Delivery("delivery", DeliveryArgs(kubernetes_provider=provider, controller_replicas=replicas, after=[crds]))

    return build(program)


@pytest.mark.parametrize(("replicas", "pdb"), [(1, False), (2, True)])
def test_argo_rollouts_is_pinned_hardened_and_highly_available(replicas: int, pdb: bool) -> None:
    resources = delivery(replicas)
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    inputs = release["inputs"]
    assert (inputs["chart"], inputs["version"]) == (ARGO_ROLLOUTS.chart, ARGO_ROLLOUTS.version)
    values = inputs["values"]
    assert unknown_keys(ARGO_ROLLOUTS, values) == []
    assert values["installCRDs"] is True and values["keepCRDs"] is True
    assert values["controller"]["replicas"] == replicas
    assert values["controller"]["pdb"]["enabled"] is pdb
    assert values["controller"]["metrics"] == {"enabled": True, "serviceMonitor": {"enabled": True}}
    assert values["dashboard"]["enabled"] is False
    assert values["containerSecurityContext"]["readOnlyRootFilesystem"] is True
    assert one(resources, "kubernetes:core/v1:ConfigMap")["urn"] in release["dependencies"]
    namespace = one(resources, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_args_refuse_too_many_controllers() -> None:
    with pytest.raises(ValueError, match="1 to 3"):
        DeliveryArgs(kubernetes_provider=None, controller_replicas=5)  # type: ignore[arg-type]
