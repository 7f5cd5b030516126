"""Every environment: rotated credentials reach the pods without downtime (External Secrets' refresh,
Reloader watching the services' namespace, the rotation functions' pickup time), and Amazon MQ's own
log groups are governed."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import config_from_stack_file, read_stack_file
from stacks.credentials import credential_pickup_seconds
from tests.support import ROOT, of_type, one

STACKS = ("dev", "staging", "prod")


@pytest.mark.parametrize("stack", STACKS)
def test_the_chain_from_rotation_to_restart_holds_in_every_environment(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    cfg = config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml"))
    pickup = credential_pickup_seconds(cfg)
    # 1. External Secrets reads the datastores' secrets every secretRefreshMinutes.
    secrets = [r for r in of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
               if r["inputs"]["metadata"]["name"].endswith("-credentials")]  # fmt: skip
    assert len(secrets) == 4
    assert {s["inputs"]["spec"]["refreshInterval"] for s in secrets} == {f"{cfg.datastores.secret_refresh_minutes}m"}
    # 2. Reloader watches exactly the namespace those Secrets land in.
    release = one(resources, "kubernetes:helm.sh/v3:Release", "reloader")
    namespaces = {s["inputs"]["metadata"]["namespace"] for s in secrets}
    assert release["inputs"]["values"]["reloader"]["namespaces"] == sorted(namespaces)
    # 3. Each rotation function leaves the previous credential valid for the pickup time, well inside
    #    the rotation period (the previous credential lives for a whole period).
    for name in ("redis-rotation", "rabbitmq-rotation"):
        env = one(resources, "aws:lambda/function:Function", name)["inputs"]["environment"]["variables"]
        assert int(env["MIN_GRACE_SECONDS"]) == pickup
    assert cfg.datastores.secret_refresh_minutes * 60 < pickup < cfg.datastores.credential_rotation_days * 86_400
    # 4. Its namespace is isolated like every other.
    policies = [p for p in of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if p["inputs"]["metadata"]["namespace"] == "reloader"]  # fmt: skip
    assert policies, "the reloader namespace has no NetworkPolicies"
    assert any(not p["inputs"]["spec"].get("ingress") and p["inputs"]["spec"]["podSelector"] == {} for p in policies)


@pytest.mark.parametrize("stack", STACKS)
def test_the_brokers_log_groups_are_governed(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    cfg = config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml"))
    function = one(resources, "aws:lambda/function:Function", "rabbitmq-broker-logs-function")
    env = function["inputs"]["environment"]["variables"]
    assert env["RETENTION_DAYS"] == str(cfg.datastores.log_retention_days)
    assert env["BROKER_ID"] == one(resources, "aws:mq/broker:Broker")["id"]
    assert one(resources, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_a_restart_in_place_keeps_ready_pods_behind_the_active_service(planned: Any, stack: str) -> None:
    """Argo Rollouts' restart evicts (so the PodDisruptionBudget holds) one pod at a time: with at least two
    replicas, at least one ready pod serves throughout (dev runs one: documented gap)."""
    _, resources = planned(stack)
    clients = [r for r in of_type(resources, "kubernetes:argoproj.io/v1alpha1:Rollout")
               if r["inputs"]["metadata"].get("annotations")]  # fmt: skip
    assert len(clients) == 3, "the three services read datastore Secrets"
    for rollout in clients:
        name = rollout["inputs"]["metadata"]["name"]
        hpa = one(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", f"{name}-hpa")
        pdb = one(resources, "kubernetes:policy/v1:PodDisruptionBudget", f"{name}-pdb")
        assert hpa["inputs"]["spec"]["minReplicas"] >= 2
        assert pdb["inputs"]["spec"]["maxUnavailable"] == 1
        assert pdb["inputs"]["spec"]["selector"] == rollout["inputs"]["spec"]["selector"]
        assert rollout["inputs"]["metadata"]["annotations"]["reloader.stakater.com/rollout-strategy"] == "restart"
