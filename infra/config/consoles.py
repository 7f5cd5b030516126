"""The operators' web UIs (``platform:consoles``): how Grafana, Prometheus, Alertmanager and Kibana are
reached.

``mode: internal`` (the default everywhere): nothing of them is published; they are opened through
``kubectl port-forward``. ``mode: edge``: each UI given a hostname is published on the platform's edge
(the ALB + WAF and NGINX of ``platform:ingress``) behind an OpenID Connect login (oauth2-proxy); the
OIDC client secret and the cookie secret are named here as Secrets Manager secrets, never given.
The checks against the edge (it exists, the hostnames lie in its DNS zone and are not its API
hostnames) are in :class:`infra.config.platform.PlatformConfig`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from infra.config.base import Environment, _KeyedError, _Model
from infra.config.monitoring import SecretName

# The UIs, in the order they are published. Kibana comes with the logging stack.
CONSOLE_NAMES = ("grafana", "prometheus", "alertmanager", "kibana")
ConsoleName = Literal["grafana", "prometheus", "alertmanager", "kibana"]
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ISSUER = re.compile(r"^https://[a-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~%/-]*)?$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._~@:+/=-]{1,255}$")
_GROUP = re.compile(r"^[^,\s][^,]{0,254}$")
_CLAIM = re.compile(r"^[A-Za-z0-9_:/.-]{1,128}$")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,128}$")  # RFC 6749 scope-token


class ConsoleHostnames(_Model):
    """The public hostname of each UI to publish in ``edge`` mode; a UI without one stays internal."""

    grafana: str | None = None
    prometheus: str | None = None
    alertmanager: str | None = None
    kibana: str | None = None

    @field_validator("grafana", "prometheus", "alertmanager", "kibana")
    @classmethod
    def _hostname(cls, value: str | None) -> str | None:
        if value is not None and not _HOSTNAME.match(value):
            raise ValueError(f"{value!r} is not a lower-case DNS hostname like grafana.example.com")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> ConsoleHostnames:
        hosts = list(self.by_console().values())
        if len(set(hosts)) != len(hosts):
            twice = sorted(h for h in set(hosts) if hosts.count(h) > 1)[0]
            name = [n for n, h in self.by_console().items() if h == twice][1]
            raise _KeyedError(name, f"{twice} is given to two UIs; each needs its own hostname")
        return self

    def by_console(self) -> dict[str, str]:
        """UI name -> hostname, for the UIs that have one, in :data:`CONSOLE_NAMES` order."""
        return {name: host for name in CONSOLE_NAMES if (host := getattr(self, name)) is not None}


class IdentityProviderConfig(_Model):
    """The OpenID Connect provider people sign in with (Okta, Entra ID, Google, Keycloak, Dex ...), and who
    of them may in: an e-mail domain or a group is required, so an account alone is never enough."""

    issuer_url: str
    client_id: str
    # Secrets Manager secret names (plain string values): the client's secret, and the cookie secret
    # (16, 24 or 32 random bytes, base64url; e.g. ``openssl rand -base64 32 | tr -- '+/' '-_'``).
    client_secret_name: SecretName
    cookie_secret_name: SecretName
    allowed_email_domains: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()
    groups_claim: str = "groups"
    scopes: tuple[str, ...] = ("openid", "email", "profile")

    @field_validator("issuer_url")
    @classmethod
    def _issuer(cls, value: str) -> str:  # kept as given: it must equal the provider's "iss" exactly
        if not _ISSUER.match(value):
            raise ValueError(f"{value!r} is not an https issuer URL like https://login.example.com/realms/platform")
        return value

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not _CLIENT_ID.match(value):
            raise ValueError(f"{value!r} is not an OAuth client id (no spaces or quotes, at most 255 characters)")
        return value

    @field_validator("allowed_email_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for domain in value:
            if domain in ("*", "") or not _HOSTNAME.match(domain.removeprefix(".")):
                raise ValueError(f"{domain!r} is not an e-mail domain like example.com (no wildcards)")
        return value

    @field_validator("allowed_groups")
    @classmethod
    def _groups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for group in value:
            if not _GROUP.match(group):
                raise ValueError(f"{group!r} is not a group name (no commas, at most 255 characters)")
        return value

    @field_validator("groups_claim")
    @classmethod
    def _claim(cls, value: str) -> str:
        if not _CLAIM.match(value):
            raise ValueError(f"{value!r} is not a claim name like groups")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for scope in value:
            if not _SCOPE.match(scope):
                raise ValueError(f"{scope!r} is not an OAuth scope")
        if "openid" not in value:
            raise ValueError("an OpenID Connect login needs the openid scope")
        return value

    @model_validator(mode="after")
    def _checks(self) -> IdentityProviderConfig:
        if not self.allowed_email_domains and not self.allowed_groups:
            raise _KeyedError(
                "allowedEmailDomains",
                "name allowed e-mail domains or allowedGroups; without either any account of the provider gets in",
            )
        if self.client_secret_name == self.cookie_secret_name:
            raise _KeyedError("cookieSecretName", "the cookie secret needs its own secret, not the client's")
        return self


class ConsolesConfig(_Model):
    """How the UIs are reached: ``internal`` (port-forward only) or ``edge`` (published behind a login)."""

    mode: Literal["internal", "edge"] = "internal"
    hostnames: ConsoleHostnames = ConsoleHostnames()
    identity_provider: IdentityProviderConfig | None = None
    proxy_replicas: int = Field(1, ge=1, le=5, description="oauth2-proxy pods per published UI")
    session_hours: int = Field(12, ge=1, le=168, description="a login lasts this long")

    @model_validator(mode="after")
    def _checks(self) -> ConsolesConfig:
        published = self.hostnames.by_console()
        if self.mode == "internal":
            if published:
                raise _KeyedError("hostnames", "only used with mode: edge (set mode: edge, or remove them)")
            if self.identity_provider is not None:
                raise _KeyedError("identityProvider", "only used with mode: edge (set mode: edge, or remove it)")
            return self
        if self.identity_provider is None:
            raise _KeyedError(
                "identityProvider", "mode: edge needs an OpenID Connect identity provider to sign people in"
            )
        if not published:
            raise _KeyedError("hostnames", "mode: edge needs a hostname for at least one UI")
        return self

    @property
    def published(self) -> dict[str, str]:
        """UI name -> public hostname of the UIs behind the edge (empty in ``internal`` mode)."""
        return self.hostnames.by_console() if self.mode == "edge" else {}

    @property
    def secret_names(self) -> tuple[str, ...]:
        """The Secrets Manager secrets the External Secrets Operator reads for the login (edge mode)."""
        idp = self.identity_provider
        if self.mode != "edge" or idp is None:
            return ()
        return (idp.client_secret_name, idp.cookie_secret_name)


# ``platform:consoles`` per environment: internal everywhere; a stack file turns the edge on.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {"mode": "internal", "proxyReplicas": 1},
    Environment.STAGING: {"mode": "internal", "proxyReplicas": 1},
    Environment.PROD: {"mode": "internal", "proxyReplicas": 2},
}
