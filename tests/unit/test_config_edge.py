"""Edge configuration (platform:ingress, platform:gateway): tier defaults and one-line errors naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ACME_SERVERS, ConfigError, build_config

INGRESS = {
    "hostnames": ["api.platform.example.com"],
    "dnsZoneId": "Z0PRODPLATFORMEXAMPL1",
    "dnsZoneName": "platform.example.com",
    "acmeEmail": "ops@example.com",
}


def config(env: str = "prod", ingress: dict[str, Any] | None = None, gateway: dict[str, Any] | None = None) -> Any:
    values: dict[str, Any] = {"environment": env, "ingress": {**INGRESS, **(ingress or {})}}
    if gateway is not None:
        values["gateway"] = gateway
    return build_config(values)


def test_tier_defaults_pick_the_acme_directory_per_environment() -> None:
    assert config("dev").ingress.acme_server == ACME_SERVERS["staging"]
    assert config("prod").ingress.acme_server == "https://acme-v02.api.letsencrypt.org/directory"
    assert config("dev", {"acmeEnvironment": "production"}).ingress.acme_server == ACME_SERVERS["production"]


def test_tier_defaults_size_the_edge() -> None:
    prod, dev = config("prod"), config("dev")
    assert (prod.ingress.replicas, prod.ingress.min_available) == (3, 2)
    assert (dev.ingress.replicas, dev.ingress.min_available) == (1, 0)
    assert (prod.gateway.replicas, prod.gateway.min_available) == (3, 2)
    assert prod.gateway.access_token_ttl_seconds == 900
    assert prod.gateway.refresh_token_ttl_seconds == 7 * 24 * 3600


def test_default_routes_send_users_to_8001_and_analytics_to_8002() -> None:
    routes = {r.name: r for r in config().gateway.routes}
    assert (routes["users"].service, routes["users"].port, routes["users"].jwt) == ("user-service", 8001, True)
    assert (routes["analytics"].service, routes["analytics"].port) == ("analytics", 8002)
    assert routes["auth"].jwt is False and routes["auth"].limit_by == "ip"


def test_the_edge_is_optional() -> None:
    assert build_config({"environment": "prod"}).ingress is None


@pytest.mark.parametrize(
    ("ingress", "gateway", "expected"),
    [
        ({"hostnames": ["api.other.org"]}, None, "platform:ingress.hostnames: api.other.org is not inside"),
        ({"hostnames": ["API.example.com"]}, None, "platform:ingress.hostnames: 'API.example.com' is not"),
        ({"hostnames": []}, None, "platform:ingress.hostnames: at least one public hostname"),
        ({"dnsZoneId": "zone-1"}, None, "platform:ingress.dnsZoneId: 'zone-1' is not a Route 53 hosted zone id"),
        ({"acmeEmail": "nobody"}, None, "platform:ingress.acmeEmail: 'nobody' is not an e-mail address"),
        ({"acmeEnvironment": "prod"}, None, "platform:ingress.acmeEnvironment: 'prod' is not allowed"),
        ({"replicas": 2, "minAvailable": 2}, None, "platform:ingress.minAvailable: 2 must be below replicas"),
        ({"wafRateLimit": 5}, None, "platform:ingress.wafRateLimit: 5 is out of range"),
        (
            {"sslProtocols": "TLSv1.2"},
            None,
            "platform:ingress.sslProtocols: unknown key (allowed: accessLogRetentionDays, acmeEmail",
        ),
        (
            None,
            {"accessTokenTtlSeconds": 3600, "refreshTokenTtlSeconds": 3600},
            "platform:gateway.refreshTokenTtlSeconds: a refresh token must",
        ),
        (None, {"accessTokenTtlSeconds": 10}, "platform:gateway.accessTokenTtlSeconds: 10 is out of range"),
        (
            None,
            {"routes": [{"name": "a", "path": "/health", "service": "s", "port": 80}]},
            "platform:gateway.routes[0].path: /health is the gateway's own health route",
        ),
        (
            None,
            {"routes": [{"name": "a", "path": "/a", "service": "s", "port": 80, "jwt": False}]},
            "platform:gateway.routes[0].limitBy: consumer needs jwt: true",
        ),
        (
            None,
            {
                "routes": [
                    {"name": "a", "path": "/a", "service": "s", "port": 80},
                    {"name": "b", "path": "/a", "service": "s", "port": 80},
                ]
            },
            "platform:gateway.routes: route path /a is used twice",
        ),
        (
            None,
            {
                "routes": [
                    {"name": "a", "path": "/a", "service": "s", "port": 80},
                    {"name": "b", "path": "/b", "service": "s", "port": 81},
                ]
            },
            "platform:gateway.routes: service s is given two ports",
        ),
        (
            None,
            {"routes": [{"name": "a", "path": "/a", "service": "s", "port": 80, "weight": 1}]},
            "platform:gateway.routes[0].weight: unknown key (allowed: jwt, limitBy, name, path, port",
        ),
        (
            None,
            {"routes": [{"name": "a", "path": "/a", "service": "s", "port": 70000}]},
            "platform:gateway.routes[0].port: 70000 is out of range",
        ),
        (
            None,
            {"consumers": [{"username": "Web App", "credentialSecret": "s"}]},
            "platform:gateway.consumers[0].username: 'Web App' is not a Kubernetes name",
        ),
        (None, {"replicas": 1, "minAvailable": 1}, "platform:gateway.minAvailable: 1 must be below replicas"),
    ],
)
def test_bad_edge_config_is_one_line_naming_the_key(
    ingress: dict[str, Any] | None, gateway: dict[str, Any] | None, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config("prod", ingress, gateway)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(expected), message


def test_missing_required_ingress_key_is_named() -> None:
    values = {k: v for k, v in INGRESS.items() if k != "acmeEmail"}
    with pytest.raises(ConfigError, match=r"^platform:ingress\.acmeEmail: required key is missing$"):
        build_config({"environment": "dev", "ingress": values})
