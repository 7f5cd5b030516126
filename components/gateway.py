"""The API gateway: Kong (DB-less, with the Kong Ingress Controller) behind NGINX.

- Kong's proxy listens on port 8000 behind a ClusterIP Service on 8000; NGINX's public Ingress sends every
  request for the public hostnames there. Kong's admin API has no Service (it listens on localhost for the
  controller sidecar only) and Kong Manager / portal Services are off.
- Routes are Kong-class Ingresses in the services' namespace, each pointing at a Service by name and port
  from config (the services issue creates those Services); ``/health`` is answered 200 by Kong itself
  (request-termination plugin), so it does not depend on any service.
- Authentication: the jwt plugin on every route marked ``jwt``; tokens are issued by the user service
  (OAuth 2.0) and must carry ``exp``; ``maximum_expiration`` caps them at the access-token lifetime.
  Consumers are OAuth clients whose JWT credential lives in a Secret named in config (never inline).
- Rate limiting, three scopes (Kong runs one rate-limiting instance per request, the most specific):
  a consumer's own limit (KongPlugin on the KongConsumer) > the route's limit (KongPlugin on the route's
  Ingress) > the global limit per client IP (KongClusterPlugin labelled ``global: "true"``).
- Load balancing: a KongUpstreamPolicy with ``least-connections`` in the services' namespace; Services opt in
  with the annotation ``konghq.com/upstream-policy: <upstream_policy_name>``.

Every Kong object is a ``pulumi_kubernetes`` CustomResource, so the offline plan writes it to manifests/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes import _utilities as k8s_utilities

from components.addons.kong import RELEASE as KONG_RELEASE
from components.addons.kong import Kong, KongArgs, KongSettings
from components.contracts import PeerPods
from components.parts import crds_for, depends_on_of
from infra.config.edge import GatewayConfig, GatewayConsumerConfig, GatewayRouteConfig

PROXY_SERVICE = "kong-proxy"
PROXY_PORT = 8000
KONG_INGRESS_CLASS = "kong"
KONG_API = "configuration.konghq.com/v1"
MONITORING_API = "monitoring.coreos.com/v1"  # Kong's ServiceMonitor
UPSTREAM_POLICY = "least-connections"
HEALTH_PATH = "/health"
CLASS_ANNOTATION = {"kubernetes.io/ingress.class": KONG_INGRESS_CLASS}


@dataclass(frozen=True)
class GatewayArgs:
    spec: GatewayConfig
    hostnames: Sequence[str]  # the public hostnames (platform:ingress.hostnames)
    kubernetes_provider: k8s.Provider
    public_ingress_class: pulumi.Input[str]  # NGINX's class (an Output of the Ingress component)
    trusted_cidrs: Sequence[str]  # where X-Forwarded-For may be believed (the VPC: ALB and NGINX)
    # The namespace the services run in (from its owner); the gateway places its routes there.
    service_namespace: pulumi.Input[str]
    # The Prometheus Operator is installed (give its CRDs' release in opts.depends_on): Kong gets a ServiceMonitor.
    service_monitor: bool = True
    # Labels of Kong's namespace besides its Pod Security level (the mesh's enrolment).
    namespace_labels: Mapping[str, str] = field(default_factory=dict)


class KongResource(k8s.apiextensions.CustomResource):
    """A Kong custom resource. KongPlugin, KongClusterPlugin and KongConsumer keep their fields at the top
    level of the object (``plugin``, ``config``, ``username``, ``credentials``), not under ``spec``, which the
    generic CustomResource cannot express; this subclass registers the same resource type with them."""

    def __init__(
        self,
        resource_name: str,
        kind: str,
        metadata: k8s.meta.v1.ObjectMetaArgs,
        fields: Mapping[str, Any],
        opts: pulumi.ResourceOptions,
        api_version: str = KONG_API,
    ) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(version=k8s_utilities.get_version()))
        props: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}
        pulumi.CustomResource.__init__(self, f"kubernetes:{api_version}:{kind}", resource_name, props, opts)


class Gateway(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    service_namespace: pulumi.Output[str]
    proxy_service: pulumi.Output[str]
    proxy_port: int
    ingress_class_name: str
    upstream_policy_name: str
    pod_selector: PeerPods  # Kong's proxy pods: what a service behind the gateway admits

    def __init__(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:gateway:Gateway", name, None, opts)

        spec = args.spec
        settings = KongSettings(
            release=KONG_RELEASE,
            replicas=spec.replicas,
            min_available=spec.min_available,
            proxy_service=PROXY_SERVICE,
            proxy_port=PROXY_PORT,
            ingress_class=KONG_INGRESS_CLASS,
            trusted_cidrs=tuple(args.trusted_cidrs),
            service_monitor=args.service_monitor,
            watch_namespaces=(args.service_namespace,),
        )
        kong = Kong(
            f"{name}-kong",
            KongArgs(
                kubernetes_provider=args.kubernetes_provider,
                settings=settings,
                # Its namespace and release were this component's own children before the add-on had one.
                moved={f"{name}-kong-ns": pulumi.Alias(parent=self), f"{name}-kong": pulumi.Alias(parent=self)},
                namespace_labels=args.namespace_labels,
            ),
            # Its ServiceMonitor's CRD only: not the Prometheus that scrapes it, nor anything else given.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=crds_for(depends_on_of(opts), MONITORING_API) if args.service_monitor else [],
            ),
        )
        release = kong.release
        # Kong's CRDs come with the chart: every Kong object waits for it.
        after_kong = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[release])
        kong_namespace = release.namespace.apply(lambda n: n or "")
        apps_namespace = pulumi.Output.from_input(args.service_namespace)

        self._public_ingress(name, args, kong_namespace, after_kong)
        self._health(name, kong_namespace, after_kong)
        self._global_plugins(name, args, after_kong)
        k8s.apiextensions.CustomResource(
            f"{name}-upstream-policy",
            api_version="configuration.konghq.com/v1beta1",
            kind="KongUpstreamPolicy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=UPSTREAM_POLICY, namespace=apps_namespace),
            spec={"algorithm": "least-connections"},
            opts=after_kong,
        )
        jwt = KongResource(
            f"{name}-jwt",
            kind="KongPlugin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="jwt", namespace=apps_namespace),
            fields={
                "plugin": "jwt",
                "config": {
                    "header_names": ["authorization"],
                    "uri_param_names": [],  # tokens never in URLs (they end up in access logs)
                    "cookie_names": [],
                    "key_claim_name": "iss",
                    "claims_to_verify": ["exp"],
                    "maximum_expiration": spec.access_token_ttl_seconds,
                    "run_on_preflight": False,
                },
            },
            opts=after_kong,
        )
        for route in spec.routes:
            self._route(name, route, apps_namespace, jwt, after_kong)
        for consumer in spec.consumers:
            self._consumer(name, consumer, apps_namespace, after_kong)

        self.namespace = kong_namespace
        self.service_namespace = apps_namespace
        self.proxy_service = release.name.apply(lambda _: PROXY_SERVICE)
        self.proxy_port = PROXY_PORT
        self.ingress_class_name = KONG_INGRESS_CLASS
        self.upstream_policy_name = UPSTREAM_POLICY
        self.pod_selector = kong.pod_selector
        self.register_outputs(
            {
                "namespace": self.namespace,
                "service_namespace": self.service_namespace,
                "proxy_service": self.proxy_service,
                "proxy_port": self.proxy_port,
                "ingress_class_name": self.ingress_class_name,
                "upstream_policy_name": self.upstream_policy_name,
                # Not enforced by Kong (it sees access tokens only); the user service issues both lifetimes.
                "access_token_ttl_seconds": spec.access_token_ttl_seconds,
                "refresh_token_ttl_seconds": spec.refresh_token_ttl_seconds,
            }
        )

    def _public_ingress(
        self, name: str, args: GatewayArgs, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions
    ) -> None:
        """NGINX's Ingress: every request for the public hostnames goes to Kong's proxy on 8000. The TLS hosts
        have no secretName: NGINX serves them with its wildcard certificate (the Let's Encrypt one)."""
        backend = k8s.networking.v1.IngressBackendArgs(
            service=k8s.networking.v1.IngressServiceBackendArgs(
                name=PROXY_SERVICE, port=k8s.networking.v1.ServiceBackendPortArgs(number=PROXY_PORT)
            )
        )
        k8s.networking.v1.Ingress(
            f"{name}-public",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="public", namespace=namespace),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=args.public_ingress_class,
                tls=[k8s.networking.v1.IngressTLSArgs(hosts=list(args.hostnames))],
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        host=host,
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[k8s.networking.v1.HTTPIngressPathArgs(path="/", path_type="Prefix", backend=backend)]
                        ),
                    )
                    for host in args.hostnames
                ],
            ),
            opts=opts,
        )

    def _health(self, name: str, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
        """``/health`` answered 200 by Kong. The route needs a backend Service; this one has no endpoints and is
        never reached (request-termination ends the request first)."""
        service = k8s.core.v1.Service(
            f"{name}-health",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="gateway-health", namespace=namespace),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=80, target_port=8080, protocol="TCP")],
            ),
            opts=opts,
        )
        KongResource(
            f"{name}-health-ok",
            kind="KongPlugin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="health-ok", namespace=namespace),
            fields={
                "plugin": "request-termination",
                "config": {"status_code": 200, "content_type": "application/json", "body": '{"status":"ok"}'},
            },
            opts=opts,
        )
        k8s.networking.v1.Ingress(
            f"{name}-health",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="gateway-health",
                namespace=namespace,
                annotations={"konghq.com/plugins": "health-ok", "konghq.com/strip-path": "false"},
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=KONG_INGRESS_CLASS,
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path=HEALTH_PATH,
                                    path_type="Exact",
                                    backend=k8s.networking.v1.IngressBackendArgs(
                                        service=k8s.networking.v1.IngressServiceBackendArgs(
                                            name=service.metadata.name,
                                            port=k8s.networking.v1.ServiceBackendPortArgs(number=80),
                                        )
                                    ),
                                )
                            ]
                        )
                    )
                ],
            ),
            opts=opts,
        )

    def _global_plugins(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions) -> None:
        def global_plugin(suffix: str, plugin: str, config: Mapping[str, Any]) -> None:
            KongResource(
                f"{name}-{suffix}",
                kind="KongClusterPlugin",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=suffix, labels={"global": "true"}, annotations=dict(CLASS_ANNOTATION)
                ),
                fields={"plugin": plugin, "config": dict(config)},
                opts=opts,
            )

        # The fallback for every request no route or consumer limit covers, per client IP.
        global_plugin(
            "global-rate-limit", "rate-limiting", _rate_limit(args.spec.global_requests_per_minute, limit_by="ip")
        )
        # Per-route, per-consumer traffic metrics for Prometheus on Kong's status port.
        global_plugin(
            "global-prometheus",
            "prometheus",
            {"status_code_metrics": True, "latency_metrics": True, "bandwidth_metrics": True, "per_consumer": True},
        )

    def _route(
        self,
        name: str,
        route: GatewayRouteConfig,
        namespace: pulumi.Input[str],
        jwt: KongResource,
        opts: pulumi.ResourceOptions,
    ) -> None:
        limit = KongResource(
            f"{name}-rate-limit-{route.name}",
            kind="KongPlugin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"rate-limit-{route.name}", namespace=namespace),
            fields={"plugin": "rate-limiting", "config": _rate_limit(route.requests_per_minute, route.limit_by)},
            opts=opts,
        )
        plugins = (["jwt"] if route.jwt else []) + [f"rate-limit-{route.name}"]
        k8s.networking.v1.Ingress(
            f"{name}-route-{route.name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"route-{route.name}",
                namespace=namespace,
                annotations={"konghq.com/plugins": ",".join(plugins), "konghq.com/strip-path": "false"},
            ),
            spec=k8s.networking.v1.IngressSpecArgs(
                ingress_class_name=KONG_INGRESS_CLASS,
                rules=[
                    k8s.networking.v1.IngressRuleArgs(
                        http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                            paths=[
                                k8s.networking.v1.HTTPIngressPathArgs(
                                    path=route.path,
                                    path_type="Prefix",
                                    backend=k8s.networking.v1.IngressBackendArgs(
                                        service=k8s.networking.v1.IngressServiceBackendArgs(
                                            name=route.service,
                                            port=k8s.networking.v1.ServiceBackendPortArgs(number=route.port),
                                        )
                                    ),
                                )
                            ]
                        )
                    )
                ],
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[limit, jwt])),
        )

    def _consumer(
        self, name: str, consumer: GatewayConsumerConfig, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions
    ) -> None:
        annotations = dict(CLASS_ANNOTATION)
        depends: list[pulumi.Resource] = []
        if consumer.requests_per_minute is not None:
            plugin_name = f"rate-limit-consumer-{consumer.username}"
            depends.append(
                KongResource(
                    f"{name}-{plugin_name}",
                    kind="KongPlugin",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=plugin_name, namespace=namespace),
                    fields={
                        "plugin": "rate-limiting",
                        "config": _rate_limit(consumer.requests_per_minute, limit_by="consumer"),
                    },
                    opts=opts,
                )
            )
            annotations["konghq.com/plugins"] = plugin_name
        KongResource(
            f"{name}-consumer-{consumer.username}",
            kind="KongConsumer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=consumer.username, namespace=namespace, annotations=annotations),
            fields={"username": consumer.username, "credentials": [consumer.credential_secret]},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )


def _rate_limit(per_minute: int, limit_by: str) -> dict[str, Any]:
    """rate-limiting plugin config. DB-less Kong cannot use the ``cluster`` policy; ``local`` counts per Kong
    pod, so the effective limit is up to ``replicas`` times this (docs/edge.md)."""
    return {
        "minute": per_minute,
        "limit_by": limit_by,
        "policy": "local",
        "fault_tolerant": True,
        "hide_client_headers": False,
        "error_code": 429,
    }
