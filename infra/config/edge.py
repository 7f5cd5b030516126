"""The edge (``platform:ingress``, ``platform:gateway``): public load balancer + WAF, NGINX ingress,
cert-manager, Kong gateway.

The ingress is optional: a stack without it has no public entry (and no gateway). Kong's routes point
at Kubernetes Services by name and port; its consumers are OAuth 2.0 clients whose JWT credentials live
in Secrets.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from infra.config.base import Environment, K8sName, RetentionDays, _KeyedError, _Model

# Let's Encrypt's ACME directories (https://letsencrypt.org/docs/staging-environment/).
ACME_SERVERS: dict[str, str] = {
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "production": "https://acme-v02.api.letsencrypt.org/directory",
}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,63}$")
_ROUTE_PATH = re.compile(r"^/[a-z0-9][a-z0-9/_-]*$")
RESERVED_GATEWAY_PATHS = ("/health",)
# The AWS managed rule groups of the edge's WAF, in priority order: common web exploits, known bad inputs,
# IP reputation, anonymous IPs (VPNs, Tor, hosting providers), SQL injection (the API fronts PostgreSQL).
WAF_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesSQLiRuleSet",
)


class IngressConfig(_Model):
    """The public entry: ALB + WAF in front of NGINX, certificates from ACM (ALB) and Let's Encrypt (NGINX)."""

    hostnames: tuple[str, ...]
    dns_zone_id: str
    dns_zone_name: str
    acme_email: str
    acme_environment: Literal["staging", "production"] = "staging"
    replicas: int = Field(2, ge=1, le=20)
    min_available: int = Field(1, ge=0, le=19, description="NGINX pods the PodDisruptionBudget keeps (0: no PDB)")
    waf_rate_limit: int = Field(2000, ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")
    hsts_max_age_seconds: int = Field(31_536_000, ge=300, le=63_072_000)
    cert_manager_replicas: int = Field(1, ge=1, le=5)
    waf_log_retention_days: RetentionDays = 365
    access_log_retention_days: int = Field(365, ge=1, le=3650, description="days the ALB's access logs are kept")
    # Managed rule groups in count mode (they log matches, block nothing); every other group blocks.
    waf_count_only: tuple[str, ...] = ()

    @field_validator("hostnames")
    @classmethod
    def _hostnames(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one public hostname is needed")
        for host in value:
            if not _HOSTNAME.match(host):
                raise ValueError(f"{host!r} is not a lower-case DNS hostname like api.example.com")
        if len(set(value)) != len(value):
            raise ValueError("a hostname is listed twice")
        return value

    @field_validator("dns_zone_id")
    @classmethod
    def _zone_id(cls, value: str) -> str:
        if not _ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ")
        return value

    @field_validator("dns_zone_name")
    @classmethod
    def _zone_name(cls, value: str) -> str:
        value = value.removesuffix(".")
        if not _HOSTNAME.match(value):
            raise ValueError(f"{value!r} is not a DNS zone name like example.com")
        return value

    @field_validator("acme_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address (Let's Encrypt sends expiry notices there)")
        return value

    @field_validator("waf_count_only")
    @classmethod
    def _count_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for group in value:
            if group not in WAF_MANAGED_RULE_GROUPS:
                allowed = ", ".join(WAF_MANAGED_RULE_GROUPS)
                raise ValueError(f"{group!r} is not one of the WAF's rule groups ({allowed})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> IngressConfig:
        for host in self.hostnames:
            if host != self.dns_zone_name and not host.endswith(f".{self.dns_zone_name}"):
                raise _KeyedError("hostnames", f"{host} is not inside the DNS zone {self.dns_zone_name}")
        if self.min_available >= self.replicas:
            raise _KeyedError(
                "minAvailable", f"{self.min_available} must be below replicas ({self.replicas}) or nodes cannot drain"
            )
        return self

    @property
    def acme_server(self) -> str:
        return ACME_SERVERS[self.acme_environment]


class GatewayRouteConfig(_Model):
    """One public path of the API gateway, proxied to a Kubernetes Service."""

    name: K8sName
    path: str
    service: K8sName
    port: int = Field(ge=1, le=65535)
    jwt: bool = True
    limit_by: Literal["consumer", "ip"] = "consumer"
    requests_per_minute: int = Field(600, ge=1, le=1_000_000)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _ROUTE_PATH.match(value) or value.endswith("/"):
            raise ValueError(f"{value!r} is not a path like /users (lower-case, no trailing slash)")
        if value in RESERVED_GATEWAY_PATHS:
            raise ValueError(f"{value} is the gateway's own health route")
        return value

    @model_validator(mode="after")
    def _identity(self) -> GatewayRouteConfig:
        if self.limit_by == "consumer" and not self.jwt:
            raise _KeyedError("limitBy", "consumer needs jwt: true (without a token there is no consumer); use ip")
        return self


class GatewayConsumerConfig(_Model):
    """An OAuth 2.0 client known to Kong: its JWT credential lives in a Secret (by name, never inline)."""

    username: K8sName
    credential_secret: K8sName
    requests_per_minute: int | None = Field(None, ge=1, le=1_000_000)


DEFAULT_GATEWAY_ROUTES: tuple[GatewayRouteConfig, ...] = (
    GatewayRouteConfig(
        name="auth", path="/auth", service="user-service", port=8001, jwt=False, limit_by="ip", requests_per_minute=30
    ),
    GatewayRouteConfig(name="users", path="/users", service="user-service", port=8001),
    GatewayRouteConfig(name="analytics", path="/analytics", service="analytics", port=8002),
)


class GatewayConfig(_Model):
    """Kong (DB-less, with its ingress controller) behind NGINX."""

    replicas: int = Field(2, ge=1, le=20)
    min_available: int = Field(1, ge=0, le=19)
    access_token_ttl_seconds: int = Field(900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(604_800, ge=3600, le=2_592_000)
    global_requests_per_minute: int = Field(1200, ge=1, le=1_000_000, description="per client IP, all routes")
    routes: tuple[GatewayRouteConfig, ...] = DEFAULT_GATEWAY_ROUTES
    consumers: tuple[GatewayConsumerConfig, ...] = (
        GatewayConsumerConfig(username="web-app", credential_secret="kong-jwt-web-app"),
    )

    @model_validator(mode="after")
    def _consistent(self) -> GatewayConfig:
        if self.min_available >= self.replicas:
            raise _KeyedError(
                "minAvailable", f"{self.min_available} must be below replicas ({self.replicas}) or nodes cannot drain"
            )
        if self.refresh_token_ttl_seconds <= self.access_token_ttl_seconds:
            raise _KeyedError("refreshTokenTtlSeconds", "a refresh token must outlive the access token")
        if not self.routes:
            raise _KeyedError("routes", "at least one route is needed")
        for attr, label in (("name", "name"), ("path", "path")):
            seen = [getattr(r, attr) for r in self.routes]
            dupes = sorted({v for v in seen if seen.count(v) > 1})
            if dupes:
                raise _KeyedError("routes", f"route {label} {dupes[0]} is used twice")
        ports: dict[str, int] = {}
        for route in self.routes:
            if ports.setdefault(route.service, route.port) != route.port:
                raise _KeyedError("routes", f"service {route.service} is given two ports")
        if not self.consumers:
            raise _KeyedError("consumers", "at least one consumer (an OAuth client holding the token key) is needed")
        names = [c.username for c in self.consumers]
        if len(set(names)) != len(names):
            raise _KeyedError("consumers", "a consumer username is listed twice")
        secrets = [c.credential_secret for c in self.consumers]
        if len(set(secrets)) != len(secrets):
            raise _KeyedError("consumers", "two consumers share a credentialSecret; each needs its own")
        return self


# ``platform:ingress`` per environment; applied only when the stack has an ingress section at all.
INGRESS_TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "acmeEnvironment": "staging",
        "replicas": 1,
        "minAvailable": 0,
        "wafRateLimit": 1000,
        "wafLogRetentionDays": 30,
    },
    Environment.STAGING: {
        "acmeEnvironment": "staging",
        "replicas": 2,
        "minAvailable": 1,
        "wafRateLimit": 2000,
        "wafLogRetentionDays": 90,
    },
    Environment.PROD: {
        "acmeEnvironment": "production",
        "replicas": 3,
        "minAvailable": 2,
        "wafRateLimit": 2000,
        "certManagerReplicas": 2,
        "wafLogRetentionDays": 365,
    },
}

# ``platform:gateway`` per environment, unless the stack file says otherwise.
GATEWAY_TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {"replicas": 1, "minAvailable": 0},
    Environment.STAGING: {"replicas": 2, "minAvailable": 1},
    Environment.PROD: {"replicas": 3, "minAvailable": 2},
}
