"""ServiceDeployment, its pods and its rollout: limits, probes, security context, spread, secrets by
reference, pinned images, blue-green with analysis before and after promotion."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from components.contracts import DatastoreEndpoint
from components.service import ServiceDeploymentArgs, error_rate_query, image
from infra.config import (
    AnalysisConfig,
    ImageConfig,
    PodResources,
    ResourceAmounts,
)
from tests.support import Resource, one
from tests.unit.service.support import (
    ANALYSIS,
    DIGEST,
    GATEWAY,
    ROLLOUT,
    ROLLOUTS,
    WEB,
    WORKER,
    WORKER_SPEC,
    args,
    container,
    deploy,
    policies,
    web_with,
)


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
