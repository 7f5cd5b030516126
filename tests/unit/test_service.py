"""The ServiceDeployment component: blue-green Rollout with analysis, limits, probes, security context,
HPA, PDB, NetworkPolicies, ServiceMonitor, ECR and IRSA."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pydantic
import pytest

from components.contracts import ClusterIdentity, DatastoreEndpoint, PeerPods
from components.service import ServiceDeployment, ServiceDeploymentArgs, TokenSigner, error_rate_query, image
from infra.config import (
    AnalysisConfig,
    ImageConfig,
    PodResources,
    ProtectionConfig,
    ResourceAmounts,
    ServiceConfig,
    ServicesConfig,
)
from tests.support import AWS, Resource, build, of_type, one, policy
from tools.offline import manifests, schema

DATA_CIDRS = ["10.30.96.0/22", "10.30.100.0/22", "10.30.104.0/22"]
GATEWAY = PeerPods("kong", {"app.kubernetes.io/name": "kong"})
PROMETHEUS = PeerPods("monitoring", {"app.kubernetes.io/name": "prometheus"})
DNS = PeerPods("kube-system", {"k8s-app": "kube-dns"})
IDENTITY = ClusterIdentity(
    oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    oidc_issuer_url="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
)
ANALYSIS = AnalysisConfig(interval_seconds=60, count=5, failure_limit=1, max_error_rate=0.01)
ROLLOUTS = ServicesConfig(auto_promotion=False, scale_down_delay_seconds=900, analysis=ANALYSIS)
DIGEST = "sha256:" + "ab" * 32
ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
STAND_IN = "kubernetes:core/v1:ConfigMap"

WEB = ServiceConfig.model_validate(
    {
        "runtime": "python-fastapi",
        "port": 8001,
        "command": ["uvicorn"],
        "args": ["app.main:app"],
        "env": {"LOG_LEVEL": "info"},
        "tokens": {"accessTokenTtl": "15m", "refreshTokenTtl": "7d"},
        "datastores": ["postgres", "redis"],
        "image": {"blue": "1.4.2"},
        "scaling": {"minReplicas": 3, "maxReplicas": 10, "cpuUtilization": 70, "memoryUtilization": 80},
    }
)
WORKER_SPEC = ServiceConfig.model_validate(
    {
        "runtime": "python-celery",
        "metricsPort": 9808,
        "command": ["celery"],
        "args": ["worker"],
        "concurrency": 4,
        "datastores": ["rabbitmq"],
        "errorMetric": "celery_tasks_total",
        "errorSelector": 'state="FAILURE"',
        "image": {"blue": "1.0.0"},
    }
)
SIGNER = TokenSigner(
    key_arn="arn:aws:kms:us-east-1:123456789012:key/signing",
    algorithm="RS256",
    statement={
        "Effect": "Allow",
        "Action": ["kms:Sign"],
        "Resource": ["arn:aws:kms:us-east-1:123456789012:key/signing"],
    },
)


def args(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "user-service",
        "spec": WEB,
        "rollouts": ROLLOUTS,
        "default_resources": PodResources(),
        "namespace": "apps",
        "aws": AWS,
        "identity": IDENTITY,
        "ecr_repository_name": "platform-test/user-service",
        "prometheus_address": "http://prometheus.monitoring.svc:9090",
        "scrapers": PROMETHEUS,
        "dns": DNS,
        "protection": ProtectionConfig(),
        "gateway": GATEWAY,
        "service_annotations": {"konghq.com/upstream-policy": "least-connections"},
        "datastores": {
            "postgres": DatastoreEndpoint(5432, "postgres-credentials"),
            "redis": DatastoreEndpoint(6379, "redis-credentials"),
        },
        "datastore_cidrs": DATA_CIDRS,
        "aws_api_cidrs": ["10.30.0.0/16"],
    }
    fields.update(overrides)
    return fields


WORKER = {
    "name": "data-processing",
    "spec": WORKER_SPEC,
    "ecr_repository_name": "platform-test/data-processing",
    "gateway": None,
    "service_annotations": {},
    "datastores": {"rabbitmq": DatastoreEndpoint(5671, "rabbitmq-credentials")},
}


def web_with(**changes: Any) -> ServiceConfig:
    """The web service's config with some keys changed (validated again, as config would be)."""
    return ServiceConfig.model_validate({**WEB.model_dump(by_alias=True, exclude_none=True), **changes})


def deploy(**overrides: Any) -> list[Resource]:
    fields = args(**overrides)

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # What the caller makes it wait for: the namespace's guard rails, the CRDs' charts.
        ready = k8s.core.v1.ConfigMap("ready-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        ServiceDeployment(
            fields["name"],
            ServiceDeploymentArgs(kubernetes_provider=provider, **fields),
            opts=pulumi.ResourceOptions(depends_on=[ready]),
        )

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
def test_requests_and_limits_are_the_system_range_by_default(web: list[Resource]) -> None:
    assert container(web)["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "2000m", "memory": "2Gi"},
    }


def test_requests_and_limits_follow_args() -> None:
    custom = PodResources(
        requests=ResourceAmounts(cpu="750m", memory="1Gi"), limits=ResourceAmounts(cpu="1500m", memory="1536Mi")
    )
    resources = deploy(spec=WEB.model_copy(update={"resources": custom}))
    assert container(resources)["resources"] == {
        "requests": {"cpu": "750m", "memory": "1Gi"},
        "limits": {"cpu": "1500m", "memory": "1536Mi"},
    }


def test_a_service_naming_no_resources_gets_the_workloads_defaults() -> None:
    defaults = PodResources(
        requests=ResourceAmounts(cpu="1000m", memory="1Gi"), limits=ResourceAmounts(cpu="1000m", memory="1Gi")
    )
    resources = deploy(default_resources=defaults)
    assert container(resources)["resources"] == {
        "requests": {"cpu": "1000m", "memory": "1Gi"},
        "limits": {"cpu": "1000m", "memory": "1Gi"},
    }


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
    assert c["command"] == ["celery"]
    assert c["args"] == ["worker", "--concurrency=4"]
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
    assert env["LOG_LEVEL"]["value"] == "info" and env["SERVICE_NAME"]["value"] == "user-service"
    assert "JWT_SIGNING_KEY_ARN" not in env, "no signer given"
    assert container(web)["command"] == ["uvicorn"] and container(web)["args"] == ["app.main:app"]


def test_a_datastore_secret_key_other_than_url_is_read_from_its_endpoint() -> None:
    spec = WORKER_SPEC.model_copy(update={"datastores": ("documentdb",)})
    resources = deploy(
        **{**WORKER, "spec": spec, "datastores": {"documentdb": DatastoreEndpoint(27017, "docdb", "uri")}}
    )
    env = {e["name"]: e for e in container(resources)["env"]}
    assert env["MONGODB_URI"]["valueFrom"]["secretKeyRef"] == {"name": "docdb", "key": "uri", "optional": False}
    egress = policies(resources)["data-processing-to-documentdb"]["egress"]
    assert egress[0]["ports"] == [{"protocol": "TCP", "port": 27017}]


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
    spec = web_with(image={"repository": "registry.example.com/team/user-service", "blue": DIGEST})
    resources = deploy(spec=spec)
    assert container(resources)["image"] == f"registry.example.com/team/user-service@{DIGEST}"


def test_the_target_colour_is_what_the_rollout_runs() -> None:
    resources = deploy(spec=web_with(image={"blue": "1.4.2", "green": "1.5.0", "target": "green"}))
    repo = one(resources, "aws:ecr/repository:Repository")
    assert container(resources)["image"] == f"{repo['outputs']['repositoryUrl']}:1.5.0"


def test_config_refuses_an_image_reference_that_is_not_a_tag_or_digest() -> None:
    with pytest.raises(pydantic.ValidationError, match="is not an image tag"):
        ImageConfig(blue="app:1.0")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"datastores": {"postgres": DatastoreEndpoint(5432, "postgres-credentials")}},
            "no endpoint given for datastore redis",
        ),
        ({**WORKER, "gateway": GATEWAY}, "the gateway can only be let in on a port"),
        (
            {
                "spec": web_with(awsPermissions=[{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::r/*"]}]),
                "aws_api_cidrs": [],
            },
            "AWS permissions need the AWS API endpoints' CIDRs",
        ),
    ],
    ids=["missing-endpoint", "gateway-to-a-worker", "permissions-without-api-cidrs"],
)
def test_args_refuse_wiring_that_does_not_fit_the_config(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServiceDeploymentArgs(kubernetes_provider=None, **args(**overrides))  # type: ignore[arg-type]


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
    rollouts = ROLLOUTS.model_copy(update={"auto_promotion": True, "scale_down_delay_seconds": 600})
    blue_green = one(deploy(rollouts=rollouts), ROLLOUT)["inputs"]["spec"]["strategy"]["blueGreen"]
    assert blue_green["autoPromotionEnabled"] is True
    assert blue_green["scaleDownDelaySeconds"] == 600


def test_analysis_template_queries_prometheus_and_fails_on_errors(web: list[Resource]) -> None:
    template = one(web, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate")["inputs"]
    assert template["metadata"]["name"] == "user-service-error-rate"
    (metric,) = template["spec"]["metrics"]
    assert metric["failureLimit"] == 1 and metric["count"] == 5 and metric["interval"] == "60s"
    assert metric["successCondition"] == "len(result) > 0 && result[0] <= 0.01"
    prometheus = metric["provider"]["prometheus"]
    assert prometheus["address"] == "http://prometheus.monitoring.svc:9090"
    assert prometheus["query"] == error_rate_query("apps", ANALYSIS, "http_requests_total", 'status=~"5.."')
    assert 'status=~"5.."' in prometheus["query"] and 'service="{{args.service}}"' in prometheus["query"]
    assert template["spec"]["args"] == [{"name": "service"}]


def test_worker_analysis_measures_failed_tasks(worker: list[Resource]) -> None:
    template = one(worker, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate")["inputs"]
    query = template["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
    assert 'celery_tasks_total{namespace="apps",service="{{args.service}}",state="FAILURE"}' in query
    assert query == error_rate_query("apps", ANALYSIS, "celery_tasks_total", 'state="FAILURE"')


def test_error_rate_query_counts_no_errors_as_zero_over_two_intervals() -> None:
    query = error_rate_query("apps", ANALYSIS.model_copy(update={"interval_seconds": 90}), "m", 's="x"')
    assert query == (
        '(sum(rate(m{namespace="apps",service="{{args.service}}",s="x"}[180s])) or vector(0))'
        ' / sum(rate(m{namespace="apps",service="{{args.service}}"}[180s]))'
    )
    assert "[120s]" in error_rate_query("apps", ANALYSIS.model_copy(update={"interval_seconds": 30}), "m", 's="x"')


def test_analysis_follows_the_rollouts_config() -> None:
    analysis = AnalysisConfig(interval_seconds=30, count=10, failure_limit=2, max_error_rate=0.05)
    resources = deploy(rollouts=ROLLOUTS.model_copy(update={"analysis": analysis}))
    (metric,) = one(resources, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate")["inputs"]["spec"]["metrics"]
    assert (metric["interval"], metric["count"], metric["failureLimit"]) == ("30s", 10, 2)
    assert metric["successCondition"] == "len(result) > 0 && result[0] <= 0.05"


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
    ready = one(resources, STAND_IN)["urn"]
    objects = [
        r
        for r in resources
        if r["custom"]
        and r["type"].startswith("kubernetes:")
        and r["type"] != STAND_IN
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
