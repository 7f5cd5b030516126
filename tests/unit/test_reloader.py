"""Reloader: pinned, scoped to the services' namespace (namespaced RBAC, Secrets only), Argo Rollouts
on, highly available and hardened; the Rollouts that read Secrets carry its annotations; the pickup
time the rotation functions must respect."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.addons.base import unknown_keys
from components.addons.reloader import PIN as RELOADER
from components.addons.reloader import (
    RELOAD_SECRETS_ANNOTATION,
    ROLLOUT_STRATEGY_ANNOTATION,
    Reloader,
    ReloaderArgs,
    reload_annotations,
)
from components.datastores import pickup
from infra.config import ServiceConfig
from infra.config.base import RESERVED_NAMESPACES
from tests.support import Resource, build, one
from tests.unit.service.support import ROLLOUT, WORKER, deploy


def reloader() -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        rollouts = k8s.core.v1.ConfigMap("rollouts-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        Reloader(
            "reloader",
            ReloaderArgs(kubernetes_provider=provider, watched_namespace="apps"),
            opts=pulumi.ResourceOptions(depends_on=[rollouts]),
        )

    return build(program)


def test_reloader_watches_the_services_namespace_only_with_namespaced_rbac() -> None:
    resources = reloader()
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    inputs = release["inputs"]
    assert (inputs["chart"], inputs["version"]) == ("reloader", RELOADER.version) == ("reloader", "2.2.16")
    assert inputs["repositoryOpts"]["repo"] == "https://stakater.github.io/stakater-charts"
    assert inputs["atomic"] is True
    values = inputs["values"]
    assert unknown_keys(RELOADER, values) == []
    settings = values["reloader"]
    # watchGlobally false + namespaces: a Role and RoleBinding in "apps" (and its own namespace), no ClusterRole.
    assert settings["watchGlobally"] is False and settings["namespaces"] == ["apps"]
    assert settings["isArgoRollouts"] is True
    assert settings["ignoreConfigMaps"] is True, "the Role then reads Secrets only"
    assert settings["ignoreJobs"] is True and settings["ignoreCronJobs"] is True
    assert settings["enableHA"] is True and settings["deployment"]["replicas"] == 2
    assert settings["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert settings["readOnlyRootFileSystem"] is True
    assert settings["podMonitor"] == {"enabled": True}
    assert settings["deployment"]["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert settings["deployment"]["securityContext"]["runAsNonRoot"] is True
    namespace = one(resources, "kubernetes:core/v1:Namespace")
    assert namespace["inputs"]["metadata"]["name"] == inputs["namespace"] == "reloader"
    assert namespace["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert one(resources, "kubernetes:core/v1:ConfigMap")["urn"] in release["dependencies"], "after Argo Rollouts"
    assert "reloader" in RESERVED_NAMESPACES


def test_rollouts_that_read_secrets_are_restarted_in_place_when_they_change() -> None:
    web = one(deploy(), ROLLOUT)["inputs"]["metadata"]
    assert web["annotations"] == {
        RELOAD_SECRETS_ANNOTATION: "postgres-credentials,redis-credentials",
        ROLLOUT_STRATEGY_ANNOTATION: "restart",  # restartAt: no new blue-green revision, no promotion to wait for
    }
    worker = one(deploy(**WORKER), ROLLOUT)["inputs"]["metadata"]
    assert worker["annotations"][RELOAD_SECRETS_ANNOTATION] == "rabbitmq-credentials"
    # Every Secret the pods read is named, so none changes without a restart.
    env = one(deploy(), ROLLOUT)["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"]
    read = {e["valueFrom"]["secretKeyRef"]["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}
    assert read == set(web["annotations"][RELOAD_SECRETS_ANNOTATION].split(","))
    plain = ServiceConfig.model_validate({"runtime": "nodejs-express", "port": 8002, "image": {"blue": "1.0.0"}})
    none = one(deploy(datastores={}, spec=plain), ROLLOUT)
    assert not none["inputs"]["metadata"].get("annotations")
    assert reload_annotations([]) == {}


def _service(max_replicas: int, datastores: tuple[str, ...] = ("redis",)) -> ServiceConfig:
    scaling = {"minReplicas": 1, "maxReplicas": max_replicas}
    spec = {"runtime": "python-fastapi", "port": 8001, "datastores": list(datastores), "image": {"blue": "1.0.0"}}
    return ServiceConfig.model_validate({**spec, "scaling": scaling})


def test_pickup_time_is_the_refresh_plus_the_slowest_clients_rolling_restart() -> None:
    assert pickup.pod_replacement_seconds() == 60 + 120 + 5
    services = {"a": _service(10), "b": _service(3), "c": _service(50, datastores=())}
    # prod's largest client (10 pods) one at a time; "c" reads no datastore and does not count.
    assert pickup.pickup_seconds(1, services) == 60 + 10 + 10 * 185 == 1920
    assert pickup.pickup_seconds(5, services) == 300 + 10 + 1850
    assert pickup.pickup_seconds(1, {}) == 70


@pytest.mark.parametrize("refresh", [1, 60])
def test_the_pickup_time_always_fits_in_the_shortest_rotation_period(refresh: int) -> None:
    # The largest service config allows (100 pods) and the longest refresh still leave the previous
    # credential, valid for a whole rotation period (1 day at least), more than enough.
    assert pickup.pickup_seconds(refresh, {"big": _service(100)}) < 86_400
