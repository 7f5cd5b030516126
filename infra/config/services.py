"""The services (``platform:services``): the system's three services, each one ServiceDeployment
(components/service.py), and how all of them roll out (Argo Rollouts blue-green).

Adding a service is an entry under ``platform:services.deployments``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from infra.config.base import Environment, _KeyedError, _Model, duration_seconds
from infra.config.credentials import credential_kind
from infra.config.errors import shown
from infra.config.permissions import AwsPermissionConfig
from infra.config.workloads import PodResources

# The env var a service's container finds each datastore's connection URL in (the names the client
# libraries read). Where each datastore listens and which Secret holds its URL are the datastores' own
# outputs, handed to the services by the composition.
DATASTORE_ENV: dict[str, str] = {
    "postgres": "DATABASE_URL",
    "redis": "REDIS_URL",
    "rabbitmq": "CELERY_BROKER_URL",
    "documentdb": "MONGODB_URI",
}

_SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")  # room for "-preview" and ECR prefixes
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_IMAGE_REPOSITORY = re.compile(
    r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SECRET_LOOKING = re.compile(
    r"PASSWORD|PASSWD|SECRET|CREDENTIAL|API_KEY|PRIVATE_KEY|ACCESS_KEY|TOKEN(?!_TTL)|WEBHOOK|DSN"
)


def _image_reference(value: str) -> str:
    if not value:
        raise ValueError("an image needs a tag or a digest; untagged images are not deployed")
    if value.lower() == "latest":
        raise ValueError("'latest' is a moving tag; pin an immutable version tag or a sha256 digest")
    if value.startswith("sha256:"):
        if not _IMAGE_DIGEST.match(value):
            raise ValueError(f"{value!r} is not a sha256 digest (sha256: and 64 hex digits)")
        return value
    if not _IMAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not an image tag (A-Z a-z 0-9 _ . -, at most 128) or a sha256: digest")
    return value


def _image_repository(value: str) -> str:
    if "@" in value or ":" in value.rsplit("/", 1)[-1]:
        raise ValueError(f"{value!r} carries a tag or digest; give the repository alone and the version in blue/green")
    if not _IMAGE_REPOSITORY.match(value):
        raise ValueError(f"{value!r} is not an image repository like 123456789012.dkr.ecr.us-east-1.amazonaws.com/app")
    return value


ImageReference = Annotated[str, AfterValidator(_image_reference)]


class ImageConfig(_Model):
    """The image of each colour. ``target`` is the colour being rolled out (the Rollout's pod template);
    the other colour is what it replaces, and where ``target`` goes back to for a rollback."""

    repository: Annotated[str, AfterValidator(_image_repository)] | None = Field(
        None, description="default: the service's own ECR repository"
    )
    blue: ImageReference
    green: ImageReference | None = None
    target: Literal["blue", "green"] = "blue"

    @model_validator(mode="after")
    def _target(self) -> ImageConfig:
        if self.target == "green" and self.green is None:
            raise _KeyedError("green", "target is green but no green image is given")
        return self

    @property
    def reference(self) -> str:
        """The tag or digest of the target colour."""
        ref = self.green if self.target == "green" else self.blue
        assert ref is not None
        return ref


class ScalingConfig(_Model):
    """HorizontalPodAutoscaler bounds and targets (average utilisation of the pods' requests)."""

    min_replicas: int = Field(2, ge=1, le=100)
    max_replicas: int = Field(6, ge=1, le=100)
    cpu_utilization: int = Field(70, ge=10, le=100)
    memory_utilization: int = Field(80, ge=10, le=100)

    @model_validator(mode="after")
    def _bounds(self) -> ScalingConfig:
        if self.max_replicas < self.min_replicas:
            raise _KeyedError("maxReplicas", f"{self.max_replicas} is below minReplicas ({self.min_replicas})")
        return self


class TokenConfig(_Model):
    """OAuth 2.0 + JWT lifetimes of the service that issues tokens (passed as settings, not secrets)."""

    access_token_ttl: str = "15m"
    refresh_token_ttl: str = "7d"

    @field_validator("access_token_ttl", "refresh_token_ttl")
    @classmethod
    def _duration(cls, value: str) -> str:
        duration_seconds(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> TokenConfig:
        if duration_seconds(self.refresh_token_ttl) <= duration_seconds(self.access_token_ttl):
            raise _KeyedError("refreshTokenTtl", "a refresh token must outlive the access token")
        return self


class ServiceConfig(_Model):
    """One service: how it runs, what it talks to, how it scales and which image each colour runs."""

    enabled: bool = True
    runtime: str = Field(description="what the image runs, e.g. python-fastapi (a label on its objects)")
    port: int | None = Field(None, ge=1024, le=65535, description="HTTP port behind the gateway; none for workers")
    metrics_port: int | None = Field(
        None, ge=1024, le=65535, description="/health and /metrics, when not on port (workers)"
    )
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    concurrency: int | None = Field(None, ge=1, le=64, description="Celery worker processes: --concurrency=N")
    env: dict[str, str] = Field(default_factory=dict)
    tokens: TokenConfig | None = None
    datastores: tuple[str, ...] = ()
    image: ImageConfig
    resources: PodResources | None = Field(None, description="default: platform:workloads.resources")
    scaling: ScalingConfig = ScalingConfig()
    termination_grace_period_seconds: int = Field(30, ge=5, le=3600)
    aws_permissions: tuple[AwsPermissionConfig, ...] = ()
    # The rollout analysis: the share of ``errorMetric`` (a counter the service exports) whose labels
    # match ``errorSelector``.
    error_metric: str = "http_requests_total"
    error_selector: str = 'status=~"5.."'

    @field_validator("error_metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if not re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", value):
            raise ValueError(f"{value!r} is not a Prometheus metric name")
        return value

    @field_validator("error_selector")
    @classmethod
    def _selector(cls, value: str) -> str:
        if not re.match(r'^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"{}]*"$', value):
            raise ValueError(f'{value!r} is not one Prometheus label matcher like status=~"5.."')
        return value

    @field_validator("datastores")
    @classmethod
    def _datastores(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in DATASTORE_ENV:
                raise ValueError(f"unknown datastore {name!r} (known: {', '.join(sorted(DATASTORE_ENV))})")
        if len(set(value)) != len(value):
            raise ValueError("a datastore is listed twice")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = set(DATASTORE_ENV.values()) | {"PORT", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL"}
        for name, setting in value.items():
            if not _ENV_NAME.match(name):
                raise _KeyedError(name, f"{shown(name)} is not an environment variable name (A-Z, 0-9, _)")
            if _SECRET_LOOKING.search(name):
                raise _KeyedError(
                    name, f"{name} looks like a secret; secrets come from Secrets Manager, never env settings"
                )
            if name in reserved:
                raise _KeyedError(name, f"{name} is set by the platform (datastores, port, tokens)")
            kind = credential_kind(setting)
            if kind is not None:
                raise _KeyedError(name, f"the value looks like {kind}; secrets come from Secrets Manager")
        return value

    @field_validator("command", "args")
    @classmethod
    def _no_credentials(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, item in enumerate(value):
            kind = credential_kind(item)
            if kind is not None:
                raise _KeyedError(f"[{index}]", f"the argument looks like {kind}; secrets come from Secrets Manager")
        return value

    @field_validator("runtime")
    @classmethod
    def _runtime(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$", value):
            raise ValueError(f"{value!r} is not a label value like python-fastapi")
        return value

    @model_validator(mode="after")
    def _ports(self) -> ServiceConfig:
        if self.port is None and self.metrics_port is None:
            raise _KeyedError("metricsPort", "a worker without a port needs a metricsPort for /health and /metrics")
        return self

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(sorted({p for p in (self.port, self.metrics_port) if p is not None}))

    @property
    def container_args(self) -> tuple[str, ...]:
        """``args`` plus ``--concurrency=N`` for workers."""
        extra = (f"--concurrency={self.concurrency}",) if self.concurrency is not None else ()
        return self.args + extra


class AnalysisConfig(_Model):
    """The Prometheus analysis that gates promotion (before) and rolls back (after): the error rate of
    the new colour, measured ``count`` times every ``intervalSeconds``; more than ``failureLimit``
    failed measurements abort the rollout."""

    interval_seconds: int = Field(60, ge=10, le=600)
    count: int = Field(5, ge=1, le=60)
    failure_limit: int = Field(1, ge=0, le=10)
    max_error_rate: float = Field(0.01, gt=0, lt=1)

    @model_validator(mode="after")
    def _limits(self) -> AnalysisConfig:
        if self.failure_limit >= self.count:
            raise _KeyedError(
                "failureLimit", f"{self.failure_limit} must be below count ({self.count}) or nothing fails"
            )
        return self

    @property
    def duration_seconds(self) -> int:
        return self.interval_seconds * self.count


def _service_name(value: str) -> str:
    if not _SERVICE_NAME.match(value):
        raise ValueError(f"{value!r} is not a service name (a-z, 0-9, '-', at most 40)")
    return value


ServiceName = Annotated[str, AfterValidator(_service_name)]


class ServicesConfig(_Model):
    """The services, and how all of them roll out (Argo Rollouts blue-green)."""

    rollouts_controller_replicas: int = Field(2, ge=1, le=3)
    auto_promotion: bool = Field(False, description="promote after a passing analysis without a manual step")
    scale_down_delay_seconds: int = Field(600, ge=30, le=86_400, description="old colour kept for instant rollback")
    analysis: AnalysisConfig = AnalysisConfig()
    deployments: dict[ServiceName, ServiceConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _checks(self) -> ServicesConfig:
        owner: dict[int, str] = {}
        for name, service in self.deployments.items():
            if not service.enabled:
                continue
            for port in service.ports:
                if port in owner:
                    raise _KeyedError(f"deployments.{name}.port", f"{port} is already used by {owner[port]}")
                owner[port] = name
        # After promotion the old colour must outlive the post-promotion analysis, or there is nothing
        # to roll back to.
        if self.scale_down_delay_seconds < self.analysis.duration_seconds + 30:
            raise _KeyedError(
                "scaleDownDelaySeconds",
                f"{self.scale_down_delay_seconds} s is shorter than the analysis ({self.analysis.duration_seconds} s)"
                " plus 30 s; the old colour would be gone before a rollback",
            )
        return self

    @property
    def enabled(self) -> dict[str, ServiceConfig]:
        return {n: s for n, s in self.deployments.items() if s.enabled}


# The system's three services (the services section of every environment's tier defaults). Stacks set
# the images; the rest differs per environment only in scale and promotion.
DEFAULT_SERVICES: dict[str, dict[str, Any]] = {
    "user-service": {
        "runtime": "python-fastapi",
        "port": 8001,
        "command": ["uvicorn"],
        "args": ["app.main:app", "--host=0.0.0.0", "--port=8001", "--proxy-headers", "--no-server-header"],
        "datastores": ["postgres", "redis"],
        "tokens": {"accessTokenTtl": "15m", "refreshTokenTtl": "7d"},
        "env": {"LOG_LEVEL": "info", "AUTH_MODE": "oauth2-jwt"},
        "image": {"blue": "1.0.0"},
    },
    "data-processing": {
        "runtime": "python-celery",
        "metricsPort": 9808,
        "command": ["celery"],
        # Queues of the system's tasks: document parsing, data transformation, report generation.
        "args": ["--app=processing.worker", "worker", "--loglevel=INFO", "--queues=documents,transformations,reports"],
        "concurrency": 4,
        "datastores": ["rabbitmq"],
        "env": {"WORKER_HEALTH_PORT": "9808"},
        "terminationGracePeriodSeconds": 120,  # a task in flight finishes before the pod goes
        "errorMetric": "celery_tasks_total",
        "errorSelector": 'state="FAILURE"',
        "image": {"blue": "1.0.0"},
    },
    "analytics": {
        "runtime": "nodejs-express",
        "port": 8002,
        "command": ["node"],
        "args": ["dist/server.js"],
        "datastores": ["documentdb"],
        "env": {"NODE_ENV": "production", "LOG_LEVEL": "info"},
        "image": {"blue": "1.0.0"},
    },
}

# ``platform:services`` per environment, unless the stack file says otherwise: the default services,
# each with its environment's scaling, and the environment's rollout settings.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "deployments": {
            "user-service": {**DEFAULT_SERVICES["user-service"], "scaling": {"minReplicas": 1, "maxReplicas": 3}},
            "data-processing": {**DEFAULT_SERVICES["data-processing"], "scaling": {"minReplicas": 1, "maxReplicas": 3}},
            "analytics": {**DEFAULT_SERVICES["analytics"], "scaling": {"minReplicas": 1, "maxReplicas": 3}},
        },
        "rolloutsControllerReplicas": 1,
        "autoPromotion": True,
        "scaleDownDelaySeconds": 330,
    },
    Environment.STAGING: {
        "deployments": {
            "user-service": {**DEFAULT_SERVICES["user-service"], "scaling": {"minReplicas": 2, "maxReplicas": 4}},
            "data-processing": {**DEFAULT_SERVICES["data-processing"], "scaling": {"minReplicas": 2, "maxReplicas": 4}},
            "analytics": {**DEFAULT_SERVICES["analytics"], "scaling": {"minReplicas": 2, "maxReplicas": 4}},
        },
        "autoPromotion": True,
        "scaleDownDelaySeconds": 600,
    },
    Environment.PROD: {
        "deployments": {
            "user-service": {**DEFAULT_SERVICES["user-service"], "scaling": {"minReplicas": 3, "maxReplicas": 10}},
            "data-processing": {
                **DEFAULT_SERVICES["data-processing"],
                "scaling": {"minReplicas": 3, "maxReplicas": 10},
            },
            "analytics": {**DEFAULT_SERVICES["analytics"], "scaling": {"minReplicas": 3, "maxReplicas": 10}},
        },
        "autoPromotion": False,  # promotion after the analysis passes and the pipeline's manual approval
        "scaleDownDelaySeconds": 900,
    },
}
