"""The Gateway component: Kong DB-less on 8000 (its add-on, a child), /health, JWT and rate limiting on the
routes, least connections."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pydantic
import pytest

from components.addons.base import unknown_keys
from components.addons.kong import PIN as KONG
from components.gateway import Gateway, GatewayArgs
from components.parts import installs_crds
from infra.config import GatewayConfig, GatewayConsumerConfig, GatewayRouteConfig
from tests.support import build, of_type, one
from tests.unit.test_addon_base import recorded_aliases

ROUTES = (
    GatewayRouteConfig(
        name="auth", path="/auth", service="user-service", port=8001, jwt=False, limit_by="ip", requests_per_minute=30
    ),
    GatewayRouteConfig(name="users", path="/users", service="user-service", port=8001, requests_per_minute=600),
    GatewayRouteConfig(name="analytics", path="/analytics", service="analytics", port=8002, requests_per_minute=300),
)
SPEC = GatewayConfig(
    replicas=3,
    min_available=2,
    access_token_ttl_seconds=900,
    refresh_token_ttl_seconds=604_800,
    global_requests_per_minute=1200,
    routes=ROUTES,
    consumers=(
        GatewayConsumerConfig(username="web-app", credential_secret="kong-jwt-web-app"),
        GatewayConsumerConfig(username="partner", credential_secret="kong-jwt-partner", requests_per_minute=60),
    ),
)
PLUGIN = "kubernetes:configuration.konghq.com/v1:KongPlugin"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
RELEASE = "kubernetes:helm.sh/v3:Release"
STAND_IN = "kubernetes:core/v1:ConfigMap"


def gateway(spec: GatewayConfig = SPEC, **overrides: Any) -> list[dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # What the caller makes it wait for: the Prometheus Operator's CRDs (Kong's ServiceMonitor), a
        # stand-in marked as the release that installs them; and a release that installs none (such as
        # the Prometheus that scrapes Kong), which Kong must not wait for.
        crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        installs_crds(crds, {"monitoring.coreos.com"})
        prometheus = k8s.core.v1.ConfigMap("prometheus-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        fields: dict[str, Any] = {
            "spec": spec,
            "hostnames": ("api.platform.example.com",),
            "kubernetes_provider": provider,
            "public_ingress_class": "nginx",
            "trusted_cidrs": ("10.30.0.0/16",),
            "service_namespace": "apps",
            **overrides,
        }
        built = Gateway("gateway", GatewayArgs(**fields), opts=pulumi.ResourceOptions(depends_on=[crds, prometheus]))
        pulumi.export(
            "podSelector", {"namespace": built.pod_selector.namespace, "labels": dict(built.pod_selector.pod_labels)}
        )

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return gateway()


def _named(resources: list[dict[str, Any]], token: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(resources, token) if r["inputs"]["metadata"]["name"] == name]
    return found


def test_kong_is_db_less_with_its_controller_proxy_on_8000_and_no_admin_service(
    resources: list[dict[str, Any]],
) -> None:
    release = one(resources, RELEASE)
    assert (release["inputs"]["chart"], release["inputs"]["version"]) == ("kong", KONG.version)
    assert release["inputs"]["repositoryOpts"]["repo"] == KONG.repository
    assert release["inputs"]["atomic"] is True and release["inputs"]["cleanupOnFail"] is True
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
    assert values["env"]["real_ip_header"] == "X-Forwarded-For"
    assert values["proxy"]["nameOverride"] == "kong-proxy"
    assert values["serviceMonitor"] == {"enabled": True, "trustCRDsExist": True}


def test_kong_is_its_add_on_a_child_of_the_gateway_in_a_baseline_namespace(resources: list[dict[str, Any]]) -> None:
    component = one(resources, "platform:gateway:Gateway")
    addon = one(resources, "platform:addons:Kong")
    assert addon["parent"] == component["urn"]
    release = one(resources, RELEASE)
    namespace = one(resources, "kubernetes:core/v1:Namespace")
    assert release["parent"] == namespace["parent"] == addon["urn"]
    assert namespace["inputs"]["metadata"]["name"] == release["inputs"]["namespace"] == "kong"
    assert namespace["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert {namespace["urn"], one(resources, STAND_IN, "crds-stand-in")["urn"]} <= set(release["dependencies"])
    # Its ServiceMonitor needs the CRD only, not the Prometheus that scrapes it.
    assert one(resources, STAND_IN, "prometheus-stand-in")["urn"] not in release["dependencies"]


def test_kong_release_and_namespace_move_from_the_gateway() -> None:
    with recorded_aliases() as aliases:
        gateway()
    for key in (("kubernetes:helm.sh/v3:Release", "gateway-kong"), ("kubernetes:core/v1:Namespace", "gateway-kong-ns")):
        (alias,) = aliases[key]
        assert alias.spec.parentUrn.endswith("platform:gateway:Gateway::gateway"), (key, alias)


def test_pod_selector_is_kongs_proxy_pods(resources: list[dict[str, Any]]) -> None:
    selector = one(resources, "pulumi:pulumi:Stack")["outputs"]["podSelector"]
    assert selector == {"namespace": "kong", "labels": {"app.kubernetes.io/name": "kong"}}
    (spread, *_) = one(resources, RELEASE)["inputs"]["values"]["topologySpreadConstraints"]
    assert selector["labels"].items() <= spread["labelSelector"]["matchLabels"].items()


def test_no_service_monitor_without_the_prometheus_operator() -> None:
    values = one(gateway(service_monitor=False), RELEASE)["inputs"]["values"]
    assert "serviceMonitor" not in values
    assert unknown_keys(KONG, values) == []


def test_single_replica_gets_no_pdb() -> None:
    values = one(gateway(SPEC.model_copy(update={"replicas": 1, "min_available": 0})), RELEASE)["inputs"]["values"]
    assert values["replicaCount"] == 1 and values["podDisruptionBudget"] == {"enabled": False}


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
    resources: list[dict[str, Any]], route: GatewayRouteConfig
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
    release = one(resources, RELEASE)
    kong_objects = [r for r in resources if "konghq.com" in r["type"]]
    assert kong_objects and all(release["urn"] in r["dependencies"] for r in kong_objects)


def test_gateway_config_refuses_a_gateway_without_routes() -> None:
    with pytest.raises(pydantic.ValidationError, match="at least one route"):
        SPEC.model_validate({**SPEC.model_dump(), "routes": []})
