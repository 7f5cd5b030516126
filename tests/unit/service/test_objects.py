"""ServiceDeployment, the objects around its pods: Services, HPA, PDB, NetworkPolicies, IRSA, ECR,
token signing, ordering, ServiceMonitor, and the Kubernetes schema."""

from __future__ import annotations

import json

import pytest

from infra.config import (
    ProtectionConfig,
)
from tests.support import Resource, of_type, one, policy
from tests.unit.service.support import DATA_CIDRS, ROLLOUT, SIGNER, STAND_IN, WEB, container, deploy, policies, web_with
from tools.offline import manifests, schema


def test_active_and_preview_services_on_the_port(web: list[Resource]) -> None:
    services = {s["inputs"]["metadata"]["name"]: s for s in of_type(web, "kubernetes:core/v1:Service")}
    assert set(services) == {"user-service", "user-service-preview"}
    for service in services.values():
        assert service["inputs"]["spec"]["ports"] == [{"name": "http", "port": 8001, "targetPort": "http"}]
        assert service["inputs"]["spec"]["selector"] == {"app.kubernetes.io/name": "user-service"}
    assert services["user-service"]["inputs"]["metadata"]["annotations"] == {
        "konghq.com/upstream-policy": "least-connections"
    }
    rollout = one(web, ROLLOUT)
    assert {s["urn"] for s in services.values()} <= set(rollout["dependencies"])


# -- scaling and disruption ------------------------------------------------------------------------
def test_hpa_targets_the_rollout_on_cpu_and_memory(web: list[Resource]) -> None:
    hpa = one(web, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["inputs"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "user-service"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["metrics"]}
    assert targets == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }


def test_pdb_keeps_all_but_one_pod(web: list[Resource]) -> None:
    pdb = one(web, "kubernetes:policy/v1:PodDisruptionBudget")["inputs"]["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["selector"] == {"matchLabels": {"app.kubernetes.io/name": "user-service"}}


# -- network policies -------------------------------------------------------------------------------
def test_default_deny_covers_ingress_and_egress(web: list[Resource]) -> None:
    deny = policies(web)["user-service-default-deny"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny and "egress" not in deny
    assert deny["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "user-service"}}


def test_only_the_gateway_may_call_the_port(web: list[Resource]) -> None:
    (rule,) = policies(web)["user-service-from-gateway"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8001}]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kong"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "kong"}},
        }
    ]


def test_egress_only_to_dns_and_the_datastores_it_uses(web: list[Resource]) -> None:
    found = policies(web)
    assert set(found) == {
        "user-service-default-deny",
        "user-service-from-gateway",
        "user-service-from-prometheus",
        "user-service-to-dns",
        "user-service-to-postgres",
        "user-service-to-redis",
    }
    (dns,) = found["user-service-to-dns"]["egress"]
    assert dns["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    (pg,) = found["user-service-to-postgres"]["egress"]
    assert [t["ipBlock"]["cidr"] for t in pg["to"]] == DATA_CIDRS
    assert pg["ports"] == [{"protocol": "TCP", "port": 5432}]


def test_worker_accepts_only_prometheus(worker: list[Resource]) -> None:
    found = policies(worker)
    assert "data-processing-from-gateway" not in found
    (rule,) = found["data-processing-from-prometheus"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9808}]
    assert found["data-processing-to-rabbitmq"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 5671}]


# -- identity ----------------------------------------------------------------------------------------
def test_irsa_role_trusts_exactly_its_service_account_and_has_no_permissions(web: list[Resource]) -> None:
    role = one(web, "aws:iam/role:Role")
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    condition = statement["Condition"]["StringEquals"]
    assert condition["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:apps:user-service"
    assert condition["oidc.eks.us-east-1.amazonaws.com/id/ABC:aud"] == "sts.amazonaws.com"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert of_type(web, "aws:iam/rolePolicy:RolePolicy") == []
    account = one(web, "kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role["outputs"]["arn"]
    assert account["automountServiceAccountToken"] is False
    assert "to-aws-apis" not in " ".join(policies(web))


def test_aws_permissions_become_the_roles_only_policy_and_open_https_to_the_apis() -> None:
    spec = web_with(awsPermissions=[{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::reports/*"]}])
    resources = deploy(spec=spec)
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy")
    statement = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::reports/*"]}
    assert policy(role_policy, "policy")["Statement"] == [statement]
    assert role_policy["inputs"]["role"] == one(resources, "aws:iam/role:Role")["id"]
    (rule,) = policies(resources)["user-service-to-aws-apis"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]
    assert rule["to"] == [{"ipBlock": {"cidr": "10.30.0.0/16"}}]


def test_a_reasoned_pass_role_is_limited_to_the_services_it_names() -> None:
    grant = {
        "actions": ["iam:PassRole"],
        "resources": ["arn:aws:iam::123456789012:role/report-task"],
        "adminEquivalentReason": "the service starts its report tasks on ECS with this role",
        "passedToServices": ["ecs-tasks.amazonaws.com"],
    }
    role_policy = one(deploy(spec=web_with(awsPermissions=[grant])), "aws:iam/rolePolicy:RolePolicy")
    (statement,) = policy(role_policy, "policy")["Statement"]
    assert statement["Resource"] == ["arn:aws:iam::123456789012:role/report-task"]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}}


# -- registry and monitoring ---------------------------------------------------------------------------
def test_ecr_repository_is_immutable_scanned_and_kms_encrypted(web: list[Resource]) -> None:
    repo = one(web, "aws:ecr/repository:Repository")
    key = one(web, "aws:kms/key:Key")
    assert repo["inputs"]["name"] == "platform-test/user-service"
    assert repo["inputs"]["imageTagMutability"] == "IMMUTABLE"
    assert repo["inputs"]["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["inputs"]["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key["outputs"]["arn"]}]
    assert key["inputs"]["enableKeyRotation"] is True
    assert repo.get("protect") is True and key.get("protect") is True
    lifecycle = json.loads(one(web, "aws:ecr/lifecyclePolicy:LifecyclePolicy")["inputs"]["policy"])
    rules = sorted(lifecycle["rules"], key=lambda r: r["rulePriority"])
    assert rules[0]["selection"]["tagStatus"] == "untagged"
    assert rules[-1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}


def test_unprotected_when_args_say_so() -> None:
    resources = deploy(protection=ProtectionConfig(protect=False, deletion_protection=False))
    assert one(resources, "aws:ecr/repository:Repository").get("protect", False) is False
    assert one(resources, "aws:kms/key:Key").get("protect", False) is False


# -- token signing --------------------------------------------------------------------------------------
def test_the_token_issuer_signs_with_the_kms_key() -> None:
    resources = deploy(token_signer=SIGNER)
    env = {e["name"]: e.get("value") for e in container(resources)["env"]}
    assert env["JWT_SIGNING_KEY_ARN"] == SIGNER.key_arn and env["JWT_ALGORITHM"] == "RS256"
    statements = policy(one(resources, "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    assert statements == [SIGNER.statement]
    (rule,) = policies(resources)["user-service-to-aws-apis"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]


def test_a_service_without_tokens_does_not_get_the_signer() -> None:
    spec = WEB.model_copy(update={"tokens": None})
    resources = deploy(spec=spec, token_signer=SIGNER)
    env = {e["name"] for e in container(resources)["env"]}
    assert not env & {"JWT_SIGNING_KEY_ARN", "JWT_ALGORITHM", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL"}
    assert of_type(resources, "aws:iam/rolePolicy:RolePolicy") == []


# -- ordering ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["web", "worker"])
def test_every_kubernetes_object_waits_for_the_callers_depends_on(
    kind: str, web: list[Resource], worker: list[Resource]
) -> None:
    resources = web if kind == "web" else worker
    ready = one(resources, STAND_IN, "ready-stand-in")["urn"]
    objects = [
        r
        for r in resources
        if r["custom"]
        and r["type"].startswith("kubernetes:")
        and not r["urn"].endswith("-stand-in")
        and not r["type"].startswith("pulumi:providers:")
    ]
    assert len(objects) >= 10
    assert all(ready in r.get("dependencies", []) for r in objects), [
        r["urn"] for r in objects if ready not in r.get("dependencies", [])
    ]


def test_service_monitor_scrapes_metrics_of_both_colours(web: list[Resource], worker: list[Resource]) -> None:
    monitor = one(web, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor")["inputs"]["spec"]
    assert monitor["selector"] == {"matchLabels": {"app.kubernetes.io/name": "user-service"}}
    assert monitor["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    assert monitor["namespaceSelector"] == {"matchNames": ["apps"]}
    assert monitor["podTargetLabels"] == ["rollouts-pod-template-hash"]
    worker_monitor = one(worker, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor")["inputs"]["spec"]
    assert worker_monitor["endpoints"][0]["port"] == "metrics"


# -- schema ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["web", "worker"])
def test_built_in_objects_and_the_pod_template_match_the_kubernetes_schema(
    kind: str, web: list[Resource], worker: list[Resource]
) -> None:
    resources = web if kind == "web" else worker
    for resource in resources:
        if manifests.is_manifest(resource):
            assert schema.validate(manifests.manifest(resource), "1.35") is None, resource["urn"]
    rollout = one(resources, ROLLOUT)["inputs"]["spec"]
    # The Rollout is a custom resource; its pod template is a core PodTemplateSpec: check it as one.
    as_deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "template-check"},
        "spec": {"selector": rollout["selector"], "template": rollout["template"]},
    }
    assert schema.validate(as_deployment, "1.35") is None


def test_each_object_waits_for_what_it_needs_and_nothing_more() -> None:
    """The guard rails for every object; the Argo Rollouts CRDs for its kinds; the Prometheus Operator's
    CRDs for the ServiceMonitor; Prometheus itself only for the Rollout, whose analysis queries it."""
    resources = deploy()
    stand_ins = {r["urn"]: r["urn"].rsplit("::", 1)[-1] for r in resources if r["urn"].endswith("-stand-in")}
    waits = {
        r["type"].rsplit(":", 1)[-1] + "/" + r["urn"].rsplit("::", 1)[-1]: {
            stand_ins[d] for d in r["dependencies"] if d in stand_ins
        }
        for r in resources
        if r["type"].startswith("kubernetes:") and not r["urn"].endswith("-stand-in")
    }
    assert waits, "the service made no Kubernetes objects"
    for name, on in waits.items():
        kind = name.split("/")[0]
        if kind == "Rollout":
            assert on == {"ready-stand-in", "rollouts-crds-stand-in", "prometheus-stand-in"}, name
        elif kind == "AnalysisTemplate":
            assert on == {"ready-stand-in", "rollouts-crds-stand-in"}, name
        elif kind == "ServiceMonitor":
            assert on == {"ready-stand-in", "monitoring-crds-stand-in"}, name
        else:
            assert on == {"ready-stand-in"}, name
