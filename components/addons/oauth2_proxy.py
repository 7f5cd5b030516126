"""oauth2-proxy (oauth2-proxy/manifests, chart ``oauth2-proxy``): a reverse proxy that lets a request
through to one web UI only after an OpenID Connect login, for the people the settings allow (e-mail
domains, groups). One release per UI: oauth2-proxy routes to its upstreams by path only, never by
host, and each published host needs its own redirect URL.

The OIDC client id, client secret and cookie secret come from an existing Secret, by name only
(``config.existingSecret``, keys ``client-id``, ``client-secret``, ``cookie-secret``: the chart turns
them into environment variables through ``secretKeyRef``, ``proxyVarsAsSecrets``). The session lives in
a cookie that is Secure, HttpOnly (the default) and SameSite=Lax; the code exchange uses PKCE (S256).
The proxy does not hand the UI a Basic ``Authorization`` header (``pass-basic-auth``), which Grafana
and Kibana would take for a failed login of their own. Its Service stays ClusterIP (NGINX's Ingress
reaches it); its metrics are scraped through the chart's ServiceMonitor.

Keys read in the chart's ``values.yaml`` at 10.7.0 (``config.existingSecret`` is documented there in a
comment and read by ``templates/_helpers.tpl`` ``oauth2-proxy.secretName``); flags are oauth2-proxy
v7.15.3's (``pkg/apis/options``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn

PIN = ChartPin(
    chart="oauth2-proxy",
    version="10.7.0",
    repository="https://oauth2-proxy.github.io/manifests",
    app_version="7.15.3",
    known_keys=frozenset(
        {
            "config.existingSecret",
            "config.emailDomains",
            "config.upstreams",
            "extraArgs",
            "replicaCount",
            "service.type",
            "service.portNumber",
            "resources",
            "metrics.enabled",
            "metrics.serviceMonitor.enabled",
        }
    ),
    free_form=frozenset({"extraArgs", "resources"}),
)
# The chart's fullname is the release name when that contains "oauth2-proxy" (templates/_helpers.tpl):
# the Service is then named like the release and listens on service.portNumber.
SERVICE_PORT = 80
CALLBACK_PATH = "/oauth2/callback"


def release_name(console: str) -> str:
    """The release (and Service) of the proxy in front of ``console``."""
    return f"oauth2-proxy-{console}"


@dataclass(frozen=True)
class OAuth2ProxySettings:
    hostname: str  # the public host: the redirect URL is https://<hostname>/oauth2/callback
    upstream: pulumi.Input[str]  # the UI's in-cluster URL
    credentials_secret: str  # an existing Secret with client-id, client-secret and cookie-secret
    issuer_url: str
    email_domains: Sequence[str]
    allowed_groups: Sequence[str]
    groups_claim: str
    scopes: Sequence[str]
    session_hours: int
    trusted_proxy_cidrs: Sequence[str]  # where NGINX's pods are: only they may set X-Forwarded-*
    replicas: int = 1
    service_monitor: bool = True  # the Prometheus Operator's CRDs exist (give its release in opts.depends_on)

    def __post_init__(self) -> None:
        if not self.email_domains and not self.allowed_groups:
            raise ValueError("without e-mail domains or groups any account of the provider would get in")

    def values(self) -> dict[str, Any]:
        args = {
            "provider": "oidc",
            "oidc-issuer-url": self.issuer_url,
            "redirect-url": f"https://{self.hostname}{CALLBACK_PATH}",
            "scope": " ".join(self.scopes),
            "code-challenge-method": "S256",
            "cookie-secure": "true",
            "cookie-samesite": "lax",
            "cookie-expire": f"{self.session_hours}h",
            "skip-provider-button": "true",
            "pass-basic-auth": "false",
            "reverse-proxy": "true",
            "trusted-proxy-ip": ",".join(self.trusted_proxy_cidrs),
        }
        if self.allowed_groups:
            args["allowed-group"] = ",".join(self.allowed_groups)
            args["oidc-groups-claim"] = self.groups_claim
        return {
            "config": {
                "existingSecret": self.credentials_secret,
                # "*" only when groups decide (allowed-group is checked as well as the domain).
                "emailDomains": list(self.email_domains) or ["*"],
                "upstreams": [self.upstream],
            },
            "extraArgs": args,
            "replicaCount": self.replicas,
            "service": {"type": "ClusterIP", "portNumber": SERVICE_PORT},
            "resources": {"requests": {"cpu": "25m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": self.service_monitor}},
        }


@dataclass(frozen=True)
class OAuth2ProxyArgs(AddOnArgs):
    namespace: pulumi.Input[str]  # made by its owner (the consoles component)
    console: str  # the UI it guards: names the release
    settings: OAuth2ProxySettings


class OAuth2Proxy(HelmAddOn):
    """Publishes the proxy's Service (``service_name``, through the release) and ``service_port``."""

    PIN = PIN

    service_name: pulumi.Output[str]
    service_port: int

    def __init__(self, name: str, args: OAuth2ProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        release = self._install(name, release_name(args.console), args.settings.values())
        self.service_name = release.name.apply(lambda _: release_name(args.console))
        self.service_port = SERVICE_PORT
        self._publish(service_name=self.service_name, service_port=self.service_port)
