"""The operators' web UIs (Grafana, Prometheus, Alertmanager, Kibana) and how they are reached.

The UIs arrive as :class:`components.contracts.WebConsole` wiring (their Service by namespace, name,
port and scheme); their own Services stay ClusterIP. In ``internal`` mode this component creates
nothing: each UI is opened with ``kubectl port-forward`` (the commands are its ``port_forward``
output). In ``edge`` mode, for each UI the settings give a hostname, in the namespace ``consoles``
(Pod Security ``restricted``):

- an oauth2-proxy release (``components/addons/oauth2_proxy.py``) in front of the UI: nothing reaches
  the UI through the edge without an OpenID Connect login of an allowed e-mail domain or group;
- a cert-manager ``Certificate`` for the hostname from the edge's ClusterIssuer;
- an ``Ingress`` on the edge's NGINX class for the hostname, with TLS, whose only backend is the proxy.

The OIDC client's secret and the cookie secret are pulled from Secrets Manager by an ``ExternalSecret``
through the platform's ``ClusterSecretStore`` into the Secret ``consoles-oidc`` (with the client id),
which the proxies reference by name: no secret value passes through Pulumi. The store must admit this
namespace and the operator's role must read the two secrets. Give what the children wait for in
``opts.depends_on``: the store (the ExternalSecret waits for it), and the release of the Prometheus
Operator's CRDs (the proxies wait for it, for their ServiceMonitors; not for the Prometheus that scrapes
them).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.oauth2_proxy import OAuth2Proxy, OAuth2ProxyArgs, OAuth2ProxySettings
from components.contracts import WebConsole
from components.parts import (
    besides_crds,
    certificate,
    crds_for,
    depends_on_of,
    external_secret,
    from_store,
    namespace,
)
from infra.config.consoles import ConsolesConfig, IdentityProviderConfig

NAMESPACE = "consoles"
OIDC_SECRET = "consoles-oidc"
MONITORING_API = "monitoring.coreos.com/v1"  # the proxies' ServiceMonitors
# An OIDC session spans several cookies: NGINX must buffer response headers larger than one page.
INGRESS_ANNOTATIONS = {"nginx.org/proxy-buffer-size": "16k", "nginx.org/proxy-buffers": "8 16k"}


def local_port(console: WebConsole) -> int:
    """The port on the operator's machine: the Service's, or 8000 above it when that needs root."""
    return console.port if console.port >= 1024 else console.port + 8000


def port_forward_command(console: WebConsole, namespace_name: str) -> str:
    return f"kubectl -n {namespace_name} port-forward svc/{console.service} {local_port(console)}:{console.port}"


def upstream_url(console: WebConsole, namespace_name: str) -> str:
    return f"{console.scheme}://{console.service}.{namespace_name}.svc.cluster.local:{console.port}"


def oidc_secret_data(idp: IdentityProviderConfig) -> list[dict[str, Any]]:
    """What the ExternalSecret fetches: the two Secrets Manager secrets, by name."""
    return [
        {"secretKey": "clientSecret", "remoteRef": {"key": idp.client_secret_name}},
        {"secretKey": "cookieSecret", "remoteRef": {"key": idp.cookie_secret_name}},
    ]


def oidc_secret_template(idp: IdentityProviderConfig) -> dict[str, Any]:
    """How it renders them, with the client id, into the keys the oauth2-proxy chart reads (``client-id``,
    ``client-secret``, ``cookie-secret``)."""
    return {
        "data": {
            "client-id": idp.client_id,
            "client-secret": "{{ .clientSecret }}",
            "cookie-secret": "{{ .cookieSecret }}",
        }
    }


@dataclass(frozen=True)
class ConsolesEdge:
    """Where the UIs are published: NGINX's IngressClass and cert-manager's ClusterIssuer (outputs of the
    Ingress component), and the ranges NGINX's pods are in (the only senders of X-Forwarded-*)."""

    ingress_class: pulumi.Input[str]
    cluster_issuer: pulumi.Input[str]
    trusted_proxy_cidrs: Sequence[str]


@dataclass(frozen=True)
class ConsolesArgs:
    spec: ConsolesConfig
    consoles: Sequence[WebConsole]  # every UI the platform runs (Grafana, Prometheus, Alertmanager, Kibana)
    kubernetes_provider: k8s.Provider
    edge: ConsolesEdge | None = None  # needed when the spec publishes a UI
    secret_store: pulumi.Input[str] | None = None  # the ClusterSecretStore that admits NAMESPACE

    def __post_init__(self) -> None:
        names = [c.name for c in self.consoles]
        if len(set(names)) != len(names):
            raise ValueError(f"a UI is wired twice: {sorted(names)}")
        missing = sorted(set(self.spec.published) - set(names))
        if missing:
            raise ValueError(f"hostnames given for UIs that are not wired: {missing}")
        if self.spec.published and (self.edge is None or self.secret_store is None):
            raise ValueError("publishing a UI needs the edge and the secret store")


class Consoles(pulumi.ComponentResource):
    port_forward: dict[str, pulumi.Output[str]]  # UI -> the kubectl command that opens it locally
    urls: dict[str, str]  # UI -> its public URL (edge mode; empty otherwise)

    def __init__(self, name: str, args: ConsolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:consoles:Consoles", name, None, opts)
        self._after = depends_on_of(opts)  # the store, the release of the Prometheus Operator's CRDs
        self.port_forward = {
            c.name: pulumi.Output.from_input(c.namespace).apply(functools.partial(port_forward_command, c))
            for c in args.consoles
        }
        published = args.spec.published
        self.urls = {ui: f"https://{host}/" for ui, host in published.items()}
        if published:
            self._publish(name, args, published)
        self.register_outputs({"port_forward": self.port_forward, "urls": self.urls})

    def _publish(self, name: str, args: ConsolesArgs, published: dict[str, str]) -> None:
        edge, idp = args.edge, args.spec.identity_provider
        assert edge is not None and idp is not None and args.secret_store is not None  # ConsolesArgs checks
        provider = args.kubernetes_provider
        after = self._after
        created = namespace(
            f"{name}-ns", NAMESPACE, pulumi.ResourceOptions(parent=self, provider=provider), enforce="restricted"
        )
        credentials = external_secret(
            f"{name}-oidc",
            OIDC_SECRET,
            created.metadata.name,
            from_store(args.secret_store, data=oidc_secret_data(idp)),
            pulumi.ResourceOptions(parent=self, provider=provider, depends_on=besides_crds(after)),  # the store
            template=oidc_secret_template(idp),
        )
        monitor_crds = crds_for(after, MONITORING_API)
        by_name = {c.name: c for c in args.consoles}
        for ui, host in published.items():
            console = by_name[ui]
            settings = OAuth2ProxySettings(
                hostname=host,
                upstream=pulumi.Output.from_input(console.namespace).apply(functools.partial(upstream_url, console)),
                credentials_secret=OIDC_SECRET,
                issuer_url=idp.issuer_url,
                email_domains=idp.allowed_email_domains,
                allowed_groups=idp.allowed_groups,
                groups_claim=idp.groups_claim,
                scopes=idp.scopes,
                session_hours=args.spec.session_hours,
                trusted_proxy_cidrs=edge.trusted_proxy_cidrs,
                replicas=args.spec.proxy_replicas,
            )
            proxy = OAuth2Proxy(
                f"{name}-{ui}-proxy",
                OAuth2ProxyArgs(
                    kubernetes_provider=provider, namespace=created.metadata.name, console=ui, settings=settings
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[credentials, *monitor_crds]),
            )
            tls_secret = f"console-{ui}-tls"
            tls = certificate(
                f"{name}-{ui}-certificate",
                tls_secret,
                created.metadata.name,
                [host],
                edge.cluster_issuer,
                pulumi.ResourceOptions(parent=self, provider=provider),
            )
            backend = k8s.networking.v1.IngressBackendArgs(
                service=k8s.networking.v1.IngressServiceBackendArgs(
                    name=proxy.service_name,
                    port=k8s.networking.v1.ServiceBackendPortArgs(number=proxy.service_port),
                )
            )
            k8s.networking.v1.Ingress(
                f"{name}-{ui}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ui, namespace=created.metadata.name, annotations=dict(INGRESS_ANNOTATIONS)
                ),
                spec=k8s.networking.v1.IngressSpecArgs(
                    ingress_class_name=edge.ingress_class,
                    tls=[k8s.networking.v1.IngressTLSArgs(hosts=[host], secret_name=tls_secret)],
                    rules=[
                        k8s.networking.v1.IngressRuleArgs(
                            host=host,
                            http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                                paths=[
                                    k8s.networking.v1.HTTPIngressPathArgs(path="/", path_type="Prefix", backend=backend)
                                ]
                            ),
                        )
                    ],
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[tls]),
            )
