"""What the ServiceDeployment tests share: the Args of a web service and of a worker, and how to plan them."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import ClusterIdentity, DatastoreEndpoint, PeerPods
from components.parts import installs_crds
from components.service import ServiceDeployment, ServiceDeploymentArgs, TokenSigner
from infra.config import (
    AnalysisConfig,
    PodResources,
    ProtectionConfig,
    ServiceConfig,
    ServicesConfig,
)
from tests.support import AWS, Resource, build, of_type, one

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
        # What the caller makes it wait for: the namespace's guard rails, the CRDs' charts; and what the
        # first analysis queries (Prometheus).
        on = pulumi.ResourceOptions(provider=provider)
        ready = k8s.core.v1.ConfigMap("ready-stand-in", opts=on)
        rollouts = k8s.core.v1.ConfigMap("rollouts-crds-stand-in", opts=on)
        installs_crds(rollouts, {"argoproj.io"})
        monitoring = k8s.core.v1.ConfigMap("monitoring-crds-stand-in", opts=on)
        installs_crds(monitoring, {"monitoring.coreos.com"})
        prometheus = k8s.core.v1.ConfigMap("prometheus-stand-in", opts=on)
        ServiceDeployment(
            fields["name"],
            ServiceDeploymentArgs(kubernetes_provider=provider, analysis_after=[prometheus], **fields),
            opts=pulumi.ResourceOptions(depends_on=[ready, rollouts, monitoring]),
        )

    return build(program)


def container(resources: list[Resource]) -> dict[str, Any]:
    (only,) = one(resources, ROLLOUT)["inputs"]["spec"]["template"]["spec"]["containers"]
    return only


def policies(resources: list[Resource]) -> dict[str, dict[str, Any]]:
    return {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in of_type(resources, POLICY)}
