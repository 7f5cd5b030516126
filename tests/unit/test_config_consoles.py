"""The UIs' access (platform:consoles): internal by default everywhere, edge only with the edge and a
login, and one-line errors naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, build_config

INGRESS = {
    "hostnames": ["api.platform.example.com"],
    "dnsZoneId": "Z0PRODPLATFORMEXAMPL1",
    "dnsZoneName": "platform.example.com",
    "acmeEmail": "ops@example.com",
}
IDP = {
    "issuerUrl": "https://login.example.com/realms/platform",
    "clientId": "platform-consoles",
    "clientSecretName": "platform/prod/consoles/oidc-client-secret",
    "cookieSecretName": "platform/prod/consoles/cookie-secret",
    "allowedEmailDomains": ["example.com"],
}
EDGE = {"mode": "edge", "hostnames": {"grafana": "grafana.platform.example.com"}, "identityProvider": IDP}


def config(consoles: dict[str, Any] | None = None, env: str = "prod", ingress: bool = True) -> Any:
    values: dict[str, Any] = {"environment": env}
    if ingress:
        values["ingress"] = INGRESS
    if consoles is not None:
        values["consoles"] = consoles
    return build_config(values)


def error(consoles: dict[str, Any], ingress: bool = True) -> str:
    with pytest.raises(ConfigError) as caught:
        config(consoles, ingress=ingress)
    assert "\n" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_environment_keeps_the_uis_internal_by_default(env: str) -> None:
    cfg = config(env=env)
    assert cfg.consoles.mode == "internal"
    assert cfg.consoles.published == {} and cfg.consoles.secret_names == ()


def test_prod_runs_two_proxies_per_ui_dev_one() -> None:
    assert config(EDGE).consoles.proxy_replicas == 2
    assert config(EDGE, env="dev").consoles.proxy_replicas == 1


def test_edge_mode_publishes_the_named_uis_and_reads_two_secrets() -> None:
    cfg = config(
        {**EDGE, "hostnames": {"grafana": "grafana.platform.example.com", "alertmanager": "am.platform.example.com"}}
    )
    assert cfg.consoles.published == {
        "grafana": "grafana.platform.example.com",
        "alertmanager": "am.platform.example.com",
    }
    assert cfg.consoles.secret_names == (IDP["clientSecretName"], IDP["cookieSecretName"])


@pytest.mark.parametrize(
    ("consoles", "ingress", "key"),
    [
        (EDGE, False, "platform:consoles.mode: edge needs the platform's edge"),
        ({"mode": "edge", "hostnames": EDGE["hostnames"]}, True, "platform:consoles.identityProvider: "),
        ({"mode": "edge", "identityProvider": IDP}, True, "platform:consoles.hostnames: "),
        ({"mode": "public"}, True, "platform:consoles.mode: 'public' is not allowed"),
        ({"hostnames": EDGE["hostnames"]}, True, "platform:consoles.hostnames: only used with mode: edge"),
        ({"identityProvider": IDP}, True, "platform:consoles.identityProvider: only used with mode: edge"),
        ({**EDGE, "hostnames": {"grafana": "grafana.other.example.org"}}, True, "platform:consoles.hostnames.grafana:"),
        ({**EDGE, "hostnames": {"grafana": "api.platform.example.com"}}, True, "platform:consoles.hostnames.grafana:"),
        ({**EDGE, "hostnames": {"grafana": "Grafana"}}, True, "platform:consoles.hostnames.grafana:"),
        (
            {**EDGE, "hostnames": {"jaeger": "j.platform.example.com"}},
            True,
            "platform:consoles.hostnames.jaeger: unknown",
        ),
        (
            {**EDGE, "hostnames": {"grafana": "ui.platform.example.com", "prometheus": "ui.platform.example.com"}},
            True,
            "platform:consoles.hostnames.prometheus: ui.platform.example.com is given to two UIs",
        ),
        ({**EDGE, "hostnames": {"kibana": "kibana.other.example.org"}}, True, "platform:consoles.hostnames.kibana:"),
        (
            {**EDGE, "identityProvider": {**IDP, "allowedEmailDomains": []}},
            True,
            "platform:consoles.identityProvider.allowedEmailDomains: name allowed e-mail domains or allowedGroups",
        ),
        (
            {**EDGE, "identityProvider": {**IDP, "allowedEmailDomains": ["*"]}},
            True,
            "platform:consoles.identityProvider.allowedEmailDomains:",
        ),
        (
            {**EDGE, "identityProvider": {**IDP, "issuerUrl": "http://login.example.com"}},
            True,
            "platform:consoles.identityProvider.issuerUrl:",
        ),
        (
            {**EDGE, "identityProvider": {**IDP, "clientSecretName": "arn:aws:secretsmanager:us-east-1:1:secret:x"}},
            True,
            "platform:consoles.identityProvider.clientSecretName:",
        ),
        (
            {**EDGE, "identityProvider": {**IDP, "cookieSecretName": IDP["clientSecretName"]}},
            True,
            "platform:consoles.identityProvider.cookieSecretName:",
        ),
        (
            {**EDGE, "identityProvider": {**IDP, "scopes": ["email"]}},
            True,
            "platform:consoles.identityProvider.scopes:",
        ),
        (
            {**EDGE, "identityProvider": {**IDP, "allowedGroups": ["ops,admins"]}},
            True,
            "platform:consoles.identityProvider.allowedGroups:",
        ),
        (
            {**EDGE, "identityProvider": {**IDP, "clientSecret": "hunter2"}},
            True,
            "platform:consoles.identityProvider.clientSecret: unknown key",
        ),
        ({**EDGE, "proxyReplicas": 0}, True, "platform:consoles.proxyReplicas: 0 is out of range"),
    ],
)
def test_bad_settings_are_one_line_naming_the_key(consoles: dict[str, Any], ingress: bool, key: str) -> None:
    assert error(consoles, ingress).startswith(key)


def test_groups_alone_decide_who_gets_in() -> None:
    cfg = config({**EDGE, "identityProvider": {**IDP, "allowedEmailDomains": [], "allowedGroups": ["platform-ops"]}})
    assert cfg.consoles.identity_provider.allowed_groups == ("platform-ops",)


def test_kibana_is_published_like_the_other_uis_now_that_the_logging_stack_runs() -> None:
    cfg = config({**EDGE, "hostnames": {"kibana": "kibana.platform.example.com"}})
    assert cfg.consoles.published == {"kibana": "kibana.platform.example.com"}
