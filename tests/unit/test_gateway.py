"""The Gateway component: Kong DB-less on 8000, /health, JWT and rate limiting on the routes, least connections."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.gateway import Gateway, GatewayArgs, GatewayConsumer, GatewayRoute
from infra.charts import KONG, unknown_keys
from tests.support import build, of_type, one

ROUTES = (
    GatewayRoute("auth", "/auth", "user-service", 8001, jwt=False, limit_by="ip", requests_per_minute=30),
    GatewayRoute("users", "/users", "user-service", 8001, jwt=True, limit_by="consumer", requests_per_minute=600),
    GatewayRoute("analytics", "/analytics", "analytics", 8002, jwt=True, limit_by="consumer", requests_per_minute=300),
)
PLUGIN = "kubernetes:configuration.konghq.com/v1:KongPlugin"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def args(provider: k8s.Provider, **overrides: Any) -> GatewayArgs:
    base = GatewayArgs(
        kubernetes_provider=provider,
        hostnames=("api.platform.example.com",),
        public_ingress_class="nginx",
        trusted_cidrs=("10.30.0.0/16",),
        service_namespace="apps",
        routes=ROUTES,
        consumers=(
            GatewayConsumer("web-app", "kong-jwt-web-app"),
            GatewayConsumer("partner", "kong-jwt-partner", requests_per_minute=60),
        ),
        replicas=3,
        min_available=2,
        access_token_ttl_seconds=900,
        refresh_token_ttl_seconds=604_800,
        global_requests_per_minute=1200,
    )
    return dataclasses.replace(base, **overrides)


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        Gateway("gateway", args(provider))

    return build(program)


def _named(resources: list[dict[str, Any]], token: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(resources, token) if r["inputs"]["metadata"]["name"] == name]
    return found


def test_kong_is_db_less_with_its_controller_proxy_on_8000_and_no_admin_service(
    resources: list[dict[str, Any]],
) -> None:
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    assert (release["inputs"]["chart"], release["inputs"]["version"]) == ("kong", KONG.version)
    values = release["inputs"]["values"]
    assert unknown_keys(KONG, values) == []
    assert values["env"]["database"] == "off"
    assert values["ingressController"]["enabled"] is True
    proxy = values["proxy"]
    assert proxy["type"] == "ClusterIP"
    assert proxy["http"]["containerPort"] == 8000 and proxy["http"]["servicePort"] == 8000
    assert values["admin"]["enabled"] is False and values["admin"]["http"]["enabled"] is False
    assert values["manager"]["enabled"] is False
    assert values["podDisruptionBudget"] == {"enabled": True, "minAvailable": 2}
    assert values["replicaCount"] == 3
    assert values["env"]["trusted_ips"] == "10.30.0.0/16"


def test_nginx_sends_the_public_hostnames_to_kong_on_8000(resources: list[dict[str, Any]]) -> None:
    public = _named(resources, INGRESS, "public")["inputs"]
    assert public["spec"]["ingressClassName"] == "nginx"
    assert public["spec"]["tls"] == [{"hosts": ["api.platform.example.com"]}]
    (rule,) = public["spec"]["rules"]
    assert rule["host"] == "api.platform.example.com"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "kong-proxy", "port": {"number": 8000}}


def test_health_route_answers_200_from_kong(resources: list[dict[str, Any]]) -> None:
    health = _named(resources, INGRESS, "gateway-health")["inputs"]
    assert health["spec"]["ingressClassName"] == "kong"
    path = health["spec"]["rules"][0]["http"]["paths"][0]
    assert (path["path"], path["pathType"]) == ("/health", "Exact")
    plugin = _named(resources, PLUGIN, health["metadata"]["annotations"]["konghq.com/plugins"])["inputs"]
    assert plugin["plugin"] == "request-termination"
    assert plugin["config"]["status_code"] == 200
    assert plugin["metadata"]["namespace"] == health["metadata"]["namespace"] == "kong"


def test_jwt_caps_tokens_at_the_access_token_lifetime(resources: list[dict[str, Any]]) -> None:
    jwt = _named(resources, PLUGIN, "jwt")["inputs"]
    assert jwt["plugin"] == "jwt" and "spec" not in jwt, "Kong plugins keep config at the top level"
    assert jwt["config"]["claims_to_verify"] == ["exp"]
    assert jwt["config"]["maximum_expiration"] == 900
    assert jwt["config"]["uri_param_names"] == []


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_each_route_proxies_to_its_service_with_auth_and_rate_limit(
    resources: list[dict[str, Any]], route: GatewayRoute
) -> None:
    ingress = _named(resources, INGRESS, f"route-{route.name}")["inputs"]
    assert ingress["spec"]["ingressClassName"] == "kong"
    assert ingress["metadata"]["namespace"] == "apps"
    path = ingress["spec"]["rules"][0]["http"]["paths"][0]
    assert path["path"] == route.path
    assert path["backend"]["service"] == {"name": route.service, "port": {"number": route.port}}
    plugins = ingress["metadata"]["annotations"]["konghq.com/plugins"].split(",")
    assert ("jwt" in plugins) is route.jwt
    (limit_name,) = [p for p in plugins if p.startswith("rate-limit-")]
    limit = _named(resources, PLUGIN, limit_name)["inputs"]
    assert limit["metadata"]["namespace"] == "apps"
    assert limit["plugin"] == "rate-limiting"
    assert limit["config"]["minute"] == route.requests_per_minute
    assert limit["config"]["limit_by"] == route.limit_by
    assert limit["config"]["policy"] in ("local", "redis"), "DB-less Kong cannot use the cluster policy"


def test_global_rate_limit_and_metrics_are_cluster_plugins_for_kong(resources: list[dict[str, Any]]) -> None:
    plugins = {
        r["inputs"]["metadata"]["name"]: r["inputs"]
        for r in of_type(resources, "kubernetes:configuration.konghq.com/v1:KongClusterPlugin")
    }
    limit = plugins["global-rate-limit"]
    assert limit["metadata"]["labels"] == {"global": "true"}
    assert limit["metadata"]["annotations"]["kubernetes.io/ingress.class"] == "kong"
    assert limit["plugin"] == "rate-limiting"
    assert limit["config"]["minute"] == 1200 and limit["config"]["limit_by"] == "ip"
    assert plugins["global-prometheus"]["plugin"] == "prometheus"


def test_consumers_reference_their_credential_secret_and_may_have_their_own_limit(
    resources: list[dict[str, Any]],
) -> None:
    consumers = {
        r["inputs"]["username"]: r["inputs"]
        for r in of_type(resources, "kubernetes:configuration.konghq.com/v1:KongConsumer")
    }
    assert consumers["web-app"]["credentials"] == ["kong-jwt-web-app"]
    assert "konghq.com/plugins" not in consumers["web-app"]["metadata"]["annotations"]
    partner = consumers["partner"]["metadata"]["annotations"]
    assert partner["kubernetes.io/ingress.class"] == "kong"
    own = _named(resources, PLUGIN, partner["konghq.com/plugins"])["inputs"]
    assert own["config"]["minute"] == 60 and own["config"]["limit_by"] == "consumer"


def test_upstream_policy_is_least_connections(resources: list[dict[str, Any]]) -> None:
    policy = one(resources, "kubernetes:configuration.konghq.com/v1beta1:KongUpstreamPolicy")["inputs"]
    assert policy["spec"] == {"algorithm": "least-connections"}
    assert policy["metadata"] == {"name": "least-connections", "namespace": "apps"}


def test_kong_objects_wait_for_the_release(resources: list[dict[str, Any]]) -> None:
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    kong_objects = [r for r in resources if "konghq.com" in r["type"]]
    assert kong_objects and all(release["urn"] in r["dependencies"] for r in kong_objects)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"routes": ()}, "at least one route"),
        ({"refresh_token_ttl_seconds": 900}, "refresh token must outlive"),
        ({"min_available": 3}, "min_available must be below replicas"),
    ],
)
def test_args_reject_impossible_values(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(None, **override)  # type: ignore[arg-type]


def test_route_limited_by_consumer_needs_jwt() -> None:
    with pytest.raises(ValueError, match="needs JWT"):
        GatewayRoute("x", "/x", "svc", 80, jwt=False, limit_by="consumer", requests_per_minute=1)
