"""Configuration of the services and their add-ons: the three services per tier, and the
rejected configurations (limits outside the per-pod range, port clashes, unknown datastores, moving or
missing image tags, impossible rollout timings)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.config import DATASTORE_ENV, ConfigError, build_config, duration_seconds

ROOT = Path(__file__).resolve().parents[2]
THREE_SERVICES = ("user-service", "data-processing", "analytics")


def with_service(environment: str, name: str, **values: Any) -> dict[str, Any]:
    return {"environment": environment, "services": {"deployments": {name: values}}}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_tier_has_the_three_services(env: str) -> None:
    services = build_config({"environment": env}).services.enabled
    assert tuple(services) == THREE_SERVICES
    assert services["user-service"].port == 8001
    assert services["analytics"].port == 8002
    assert services["data-processing"].port is None and services["data-processing"].metrics_port == 9808
    assert services["user-service"].datastores == ("postgres", "redis")
    assert services["data-processing"].datastores == ("rabbitmq",)
    assert services["analytics"].datastores == ("documentdb",)
    assert "--concurrency=4" in services["data-processing"].container_args
    tokens = services["user-service"].tokens
    assert tokens is not None
    assert duration_seconds(tokens.access_token_ttl) == 15 * 60
    assert duration_seconds(tokens.refresh_token_ttl) == 7 * 86400
    for service in services.values():
        assert service.image.reference not in ("", "latest")
        assert service.resources is None  # the platform's default applies


@pytest.mark.parametrize(("env", "auto"), [("dev", True), ("staging", True), ("prod", False)])
def test_prod_waits_for_manual_promotion_and_staging_promotes_itself(env: str, auto: bool) -> None:
    cfg = build_config({"environment": env})
    assert cfg.services.auto_promotion is auto
    assert cfg.services.scale_down_delay_seconds >= cfg.services.analysis.duration_seconds


def test_concurrency_is_configurable_per_environment() -> None:
    cfg = build_config(with_service("staging", "data-processing", concurrency=8))
    assert cfg.services.deployments["data-processing"].container_args[-1] == "--concurrency=8"


def test_a_fourth_service_is_a_few_lines_of_config() -> None:
    cfg = build_config(
        with_service("dev", "notifications", runtime="go", port=8003, datastores=["redis"], image={"blue": "0.1.0"})
    )
    assert cfg.services.deployments["notifications"].ports == (8003,)
    assert len(cfg.services.enabled) == 4


def test_a_service_can_be_switched_off_with_its_gateway_route() -> None:
    values = with_service("dev", "analytics", enabled=False)
    with pytest.raises(ConfigError, match=r"platform:gateway.routes\[2\].service: route analytics points at analytics"):
        build_config(values)
    routes = [
        {"name": "auth", "path": "/auth", "service": "user-service", "port": 8001, "jwt": False, "limitBy": "ip"},
        {"name": "users", "path": "/users", "service": "user-service", "port": 8001},
    ]
    cfg = build_config({**values, "gateway": {"routes": routes}})
    assert "analytics" not in cfg.services.enabled


def test_target_colour_picks_the_image() -> None:
    cfg = build_config(
        with_service("prod", "user-service", image={"blue": "1.4.2", "green": "1.5.0", "target": "green"})
    )
    assert cfg.services.deployments["user-service"].image.reference == "1.5.0"


def test_every_datastore_reaches_a_service_in_its_own_env_var() -> None:
    assert set(DATASTORE_ENV) == {"postgres", "redis", "rabbitmq", "documentdb"}
    assert len(set(DATASTORE_ENV.values())) == len(DATASTORE_ENV)


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        (
            with_service("prod", "user-service", resources={"limits": {"cpu": "2500m", "memory": "2Gi"}}),
            "platform:services.deployments.user-service.resources.limits.cpu",
            "500m to 2000m",
        ),
        (
            with_service("prod", "analytics", resources={"limits": {"cpu": "2000m", "memory": "4Gi"}}),
            "platform:services.deployments.analytics.resources.limits.memory",
            "512Mi to 2Gi",
        ),
        (
            with_service("prod", "analytics", resources={"requests": {"cpu": "250m", "memory": "512Mi"}}),
            "platform:services.deployments.analytics.resources.requests.cpu",
            "500m to 2000m",
        ),
        (
            with_service("prod", "analytics", port=8001),
            "platform:services.deployments.analytics.port",
            "already used by user-service",
        ),
        (
            with_service("prod", "data-processing", metricsPort=8002),
            "platform:services.deployments.analytics.port",
            "8002 is already used by data-processing",
        ),
        (
            with_service("prod", "analytics", datastores=["mongodb"]),
            "platform:services.deployments.analytics.datastores",
            "unknown datastore 'mongodb'",
        ),
        (
            with_service("prod", "analytics", image={"blue": "latest"}),
            "platform:services.deployments.analytics.image.blue",
            "moving tag",
        ),
        (
            with_service("prod", "analytics", image={"blue": ""}),
            "platform:services.deployments.analytics.image.blue",
            "untagged",
        ),
        (
            with_service("prod", "analytics", image={"blue": "sha256:abc"}),
            "platform:services.deployments.analytics.image.blue",
            "not a sha256 digest",
        ),
        (
            with_service("prod", "analytics", image={"blue": "1.0", "repository": "repo/analytics:latest"}),
            "platform:services.deployments.analytics.image.repository",
            "carries a tag",
        ),
        (
            with_service("prod", "analytics", image={"blue": "1.0", "target": "green"}),
            "platform:services.deployments.analytics.image.green",
            "no green image",
        ),
        (
            with_service("prod", "analytics", scaling={"minReplicas": 5, "maxReplicas": 3}),
            "platform:services.deployments.analytics.scaling.maxReplicas",
            "below minReplicas",
        ),
        (
            with_service("prod", "analytics", env={"DB_PASSWORD": "hunter2"}),
            "platform:services.deployments.analytics.env",
            "looks like a secret",
        ),
        (
            with_service("prod", "analytics", env={"DATABASE_URL": "postgres://x"}),
            "platform:services.deployments.analytics.env",
            "set by the platform",
        ),
        (
            with_service("prod", "user-service", tokens={"accessTokenTtl": "7d", "refreshTokenTtl": "15m"}),
            "platform:services.deployments.user-service.tokens.refreshTokenTtl",
            "outlive",
        ),
        (
            with_service("prod", "user-service", tokens={"accessTokenTtl": "15 minutes"}),
            "platform:services.deployments.user-service.tokens.accessTokenTtl",
            "not a duration",
        ),
        (
            with_service("prod", "data-processing", metricsPort=None),
            "platform:services.deployments.data-processing.metricsPort",
            "needs a metricsPort",
        ),
        (
            with_service("prod", "data-processing", concurrency=0),
            "platform:services.deployments.data-processing.concurrency",
            "out of range",
        ),
        (
            with_service("prod", "analytics", awsPermissions=[{"actions": ["s3:*"], "resources": ["arn:aws:s3:::x"]}]),
            "platform:services.deployments.analytics.awsPermissions[0].actions",
            "specific IAM action",
        ),
        (
            with_service("prod", "analytics", awsPermissions=[{"actions": ["s3:GetObject"], "resources": ["*"]}]),
            "platform:services.deployments.analytics.awsPermissions[0].resources",
            "no '*'",
        ),
        (
            with_service("prod", "Bad_Name", runtime="x", port=9000, image={"blue": "1"}),
            "platform:services.deployments.Bad_Name",
            "not a service name",
        ),
        (
            with_service("prod", "analytics", port=8012),
            "platform:gateway.routes[2].port",
            "route analytics uses port 8002; analytics listens on 8012",
        ),
        (
            {"environment": "prod", "gateway": {"accessTokenTtlSeconds": 600}},
            "platform:services.deployments.user-service.tokens.accessTokenTtl",
            "differs from the gateway's 600 s",
        ),
        (
            with_service("prod", "user-service", tokens={"refreshTokenTtl": "30d"}),
            "platform:services.deployments.user-service.tokens.refreshTokenTtl",
            "must agree",
        ),
        (
            {"environment": "prod", "services": {"scaleDownDelaySeconds": 60}},
            "platform:services.scaleDownDelaySeconds",
            "shorter than the analysis",
        ),
        (
            {"environment": "prod", "services": {"analysis": {"count": 2, "failureLimit": 2}}},
            "platform:services.analysis.failureLimit",
            "below count",
        ),
        (
            {"environment": "prod", "services": {"deployments": {"analytics": {"colour": "blue"}}}},
            "platform:services.deployments.analytics.colour",
            "unknown key (allowed: args, awsPermissions, command,",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("platform:") else None,
)
def test_broken_service_config_is_one_line_naming_the_key(values: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config(values)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(key), message
    assert fragment in message, message


@pytest.mark.parametrize("fixture", ["service-port-clash", "service-unknown-datastore", "service-cpu-over-limit"])
def test_cli_exits_2_on_a_broken_service_config(fixture: str, tmp_path: Path) -> None:
    path = ROOT / "tests" / "fixtures" / "invalid" / f"{fixture}.yaml"
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    run = subprocess.run(
        [sys.executable, "-m", "tools.cli", "plan", "--stack", "x", "--config-file", str(path), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(f"error: {expected}: ")
    assert not (tmp_path / "plan.json").exists()
