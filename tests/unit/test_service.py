"""The ServiceDeployment component: blue-green Rollout with analysis, limits, probes, security context,
HPA, PDB, NetworkPolicies, ServiceMonitor, ECR and IRSA."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.service import (
    AnalysisSpec,
    EgressTarget,
    PeerPods,
    SecretEnv,
    ServiceDeployment,
    ServiceDeploymentArgs,
    error_rate_query,
    image,
)
from infra.config import PodResources, ResourceAmounts
from tests.support import AWS, Resource, build, of_type, one, policy
from tools.offline import manifests, schema

DATA_CIDRS = ["10.30.96.0/22", "10.30.100.0/22", "10.30.104.0/22"]
GATEWAY = PeerPods("kong", {"app.kubernetes.io/name": "kong"})
PROMETHEUS = PeerPods("monitoring", {"app.kubernetes.io/name": "prometheus"})
DNS = PeerPods("kube-system", {"k8s-app": "kube-dns"})
ANALYSIS = AnalysisSpec(
    prometheus_address="http://prometheus.monitoring.svc:9090",
    interval_seconds=60,
    count=5,
    failure_limit=1,
    max_error_rate=0.01,
)
DIGEST = "sha256:" + "ab" * 32
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def args(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "user-service",
        "namespace": "apps",
        "aws": AWS,
        "runtime": "python-fastapi",
        "image_reference": "1.4.2",
        "ecr_repository_name": "platform-test/user-service",
        "port": 8001,
        "metrics_port": None,
        "resources": PodResources(),
        "min_replicas": 3,
        "max_replicas": 10,
        "cpu_utilization": 70,
        "memory_utilization": 80,
        "auto_promotion": False,
        "scale_down_delay_seconds": 900,
        "analysis": ANALYSIS,
        "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "oidc_issuer_url": "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "scrapers": PROMETHEUS,
        "dns": DNS,
        "gateway": GATEWAY,
        "datastore_egress": [EgressTarget("postgres", DATA_CIDRS, 5432), EgressTarget("redis", DATA_CIDRS, 6379)],
        "aws_api_cidrs": ["10.30.0.0/16"],
        "command": ["uvicorn"],
        "args": ["app.main:app"],
        "env": {"LOG_LEVEL": "info", "ACCESS_TOKEN_TTL": "15m", "REFRESH_TOKEN_TTL": "7d"},
        "secret_env": [
            SecretEnv("DATABASE_URL", "postgres-credentials", "url"),
            SecretEnv("REDIS_URL", "redis-credentials", "url"),
        ],
        "service_annotations": {"konghq.com/upstream-policy": "least-connections"},
    }
    fields.update(overrides)
    return fields


WORKER = {
    "name": "data-processing",
    "runtime": "python-celery",
    "ecr_repository_name": "platform-test/data-processing",
    "port": None,
    "metrics_port": 9808,
    "gateway": None,
    "service_annotations": {},
    "args": ["worker", "--concurrency=4"],
    "datastore_egress": [EgressTarget("rabbitmq", DATA_CIDRS, 5671)],
    "secret_env": [SecretEnv("CELERY_BROKER_URL", "rabbitmq-credentials", "url")],
    "analysis": AnalysisSpec(
        prometheus_address="http://prometheus.monitoring.svc:9090",
        interval_seconds=60,
        count=5,
        failure_limit=1,
        max_error_rate=0.05,
        error_metric="celery_tasks_total",
        error_selector='state="FAILURE"',
    ),
}


def deploy(**overrides: Any) -> list[Resource]:
    fields = args(**overrides)

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        ServiceDeployment(fields["name"], ServiceDeploymentArgs(kubernetes_provider=provider, **fields))

    return build(program)


@pytest.fixture(scope="module")
def web() -> list[Resource]:
    return deploy()


@pytest.fixture(scope="module")
def worker() -> list[Resource]:
    return deploy(**WORKER)


def container(resources: list[Resource]) -> dict[str, Any]:
    (only,) = one(resources, ROLLOUT)["inputs"]["spec"]["template"]["spec"]["containers"]
    return only


def policies(resources: list[Resource]) -> dict[str, dict[str, Any]]:
    return {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in of_type(resources, POLICY)}


# -- pods ---------------------------------------------------------------------------------------
def test_requests_and_limits_are_the_seed_range_by_default(web: list[Resource]) -> None:
    assert container(web)["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "2000m", "memory": "2Gi"},
    }


def test_requests_and_limits_follow_args() -> None:
    custom = PodResources(
        requests=ResourceAmounts(cpu="750m", memory="1Gi"), limits=ResourceAmounts(cpu="1500m", memory="1536Mi")
    )
    resources = deploy(resources=custom)
    assert container(resources)["resources"]["limits"] == {"cpu": "1500m", "memory": "1536Mi"}


def test_web_probes_hit_health_on_the_http_port(web: list[Resource]) -> None:
    c = container(web)
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}, probe
    assert c["ports"] == [{"name": "http", "containerPort": 8001, "protocol": "TCP"}]


def test_worker_probes_hit_health_on_its_metrics_port(worker: list[Resource]) -> None:
    c = container(worker)
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "metrics"}
    assert c["ports"] == [{"name": "metrics", "containerPort": 9808, "protocol": "TCP"}]
    assert "--concurrency=4" in c["args"]
    assert not any(e["name"] == "PORT" for e in c["env"])


def test_security_context_is_hardened(web: list[Resource]) -> None:
    pod = one(web, ROLLOUT)["inputs"]["spec"]["template"]["spec"]
    sc = container(web)["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] > 0
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"name": "tmp", "mountPath": "/tmp"} in container(web)["volumeMounts"]
    assert any(v["name"] == "tmp" and "emptyDir" in v for v in pod["volumes"])
    assert pod["automountServiceAccountToken"] is False


def test_pods_spread_across_zones(web: list[Resource]) -> None:
    spread = one(web, ROLLOUT)["inputs"]["spec"]["template"]["spec"]["topologySpreadConstraints"]
    zone = next(s for s in spread if s["topologyKey"] == "topology.kubernetes.io/zone")
    assert zone["whenUnsatisfiable"] == "DoNotSchedule" and zone["maxSkew"] == 1
    assert zone["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "user-service"}}


def test_secrets_are_referenced_by_secret_name_never_by_value(web: list[Resource]) -> None:
    env = {e["name"]: e for e in container(web)["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "postgres-credentials",
        "key": "url",
        "optional": False,
    }
    assert "value" not in env["DATABASE_URL"] and "value" not in env["REDIS_URL"]
    assert env["ACCESS_TOKEN_TTL"]["value"] == "15m" and env["REFRESH_TOKEN_TTL"]["value"] == "7d"
    assert env["PORT"]["value"] == "8001"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("1.4.2", "repo/app:1.4.2"), (DIGEST, f"repo/app@{DIGEST}")],
)
def test_image_is_pinned_by_tag_or_digest(reference: str, expected: str) -> None:
    assert image("repo/app", reference) == expected


def test_image_defaults_to_its_own_ecr_repository(web: list[Resource]) -> None:
    repo = one(web, "aws:ecr/repository:Repository")
    assert container(web)["image"] == f"{repo['outputs']['repositoryUrl']}:1.4.2"


def test_image_repository_can_be_given() -> None:
    resources = deploy(image_repository="registry.example.com/team/user-service", image_reference=DIGEST)
    assert container(resources)["image"] == f"registry.example.com/team/user-service@{DIGEST}"


@pytest.mark.parametrize("reference", ["latest", "", "app:1.0"])
def test_unpinned_images_are_refused(reference: str) -> None:
    with pytest.raises(ValueError, match="pinned"):
        ServiceDeploymentArgs(kubernetes_provider=None, **args(image_reference=reference))  # type: ignore[arg-type]


def test_args_refuse_a_service_without_ports() -> None:
    with pytest.raises(ValueError, match="port"):
        ServiceDeploymentArgs(kubernetes_provider=None, **args(port=None, metrics_port=None, gateway=None))  # type: ignore[arg-type]


def test_args_refuse_a_scale_down_delay_shorter_than_the_analysis() -> None:
    with pytest.raises(ValueError, match="outlive"):
        ServiceDeploymentArgs(kubernetes_provider=None, **args(scale_down_delay_seconds=120))  # type: ignore[arg-type]


# -- blue-green -----------------------------------------------------------------------------------
def test_rollout_is_blue_green_with_analysis_before_and_after_promotion(web: list[Resource]) -> None:
    spec = one(web, ROLLOUT)["inputs"]["spec"]
    blue_green = spec["strategy"]["blueGreen"]
    assert blue_green["activeService"] == "user-service"
    assert blue_green["previewService"] == "user-service-preview"
    assert blue_green["autoPromotionEnabled"] is False
    assert blue_green["scaleDownDelaySeconds"] == 900
    assert blue_green["prePromotionAnalysis"] == {
        "templates": [{"templateName": "user-service-error-rate"}],
        "args": [{"name": "service", "value": "user-service-preview"}],
    }
    assert blue_green["postPromotionAnalysis"]["args"] == [{"name": "service", "value": "user-service"}]
    assert spec["progressDeadlineAbort"] is True
    assert "replicas" not in spec, "the HPA owns the replica count"
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()


def test_auto_promotion_follows_args() -> None:
    rollout = one(deploy(auto_promotion=True), ROLLOUT)
    assert rollout["inputs"]["spec"]["strategy"]["blueGreen"]["autoPromotionEnabled"] is True


def test_analysis_template_queries_prometheus_and_fails_on_errors(web: list[Resource]) -> None:
    template = one(web, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate")["inputs"]
    assert template["metadata"]["name"] == "user-service-error-rate"
    (metric,) = template["spec"]["metrics"]
    assert metric["failureLimit"] == 1 and metric["count"] == 5 and metric["interval"] == "60s"
    assert metric["successCondition"] == "len(result) > 0 && result[0] <= 0.01"
    prometheus = metric["provider"]["prometheus"]
    assert prometheus["address"] == "http://prometheus.monitoring.svc:9090"
    assert prometheus["query"] == error_rate_query("apps", ANALYSIS)
    assert 'status=~"5.."' in prometheus["query"] and 'service="{{args.service}}"' in prometheus["query"]
    assert template["spec"]["args"] == [{"name": "service"}]


def test_worker_analysis_measures_failed_tasks(worker: list[Resource]) -> None:
    template = one(worker, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate")["inputs"]
    query = template["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
    assert 'celery_tasks_total{namespace="apps",service="{{args.service}}",state="FAILURE"}' in query


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
    statement = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::reports/*"]}
    resources = deploy(aws_permissions=[statement])
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy")
    assert policy(role_policy, "policy")["Statement"] == [statement]
    (rule,) = policies(resources)["user-service-to-aws-apis"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]
    assert rule["to"] == [{"ipBlock": {"cidr": "10.30.0.0/16"}}]


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
    resources = deploy(protect=False)
    assert one(resources, "aws:ecr/repository:Repository").get("protect", False) is False


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
