"""The composition of the operators' UIs: which UIs there are, and the edge they may be published on."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.consoles import NAMESPACE, Consoles, ConsolesArgs, ConsolesEdge
from components.contracts import WebConsole
from components.ingress import Ingress
from components.monitoring import Monitoring
from infra.aws_context import AwsContext
from infra.config import PlatformConfig


def login_namespaces(cfg: PlatformConfig) -> list[str]:
    """Namespaces besides the services' the platform's secret store serves for the UIs' login."""
    return [NAMESPACE] if cfg.consoles.published else []


def login_secret_arns(cfg: PlatformConfig, context: AwsContext) -> list[pulumi.Output[str]]:
    """The login's secrets (OIDC client secret, cookie secret), which the secrets operator reads by name."""
    return [context.secret_arn_pattern(name) for name in cfg.consoles.secret_names]


def build_consoles(
    cfg: PlatformConfig,
    kubernetes_provider: k8s.Provider,
    monitoring: Monitoring,
    ingress: Ingress | None,
    secret_store: pulumi.Resource,
    store_name: pulumi.Input[str],
    more: Sequence[WebConsole] = (),
) -> Consoles:
    """Grafana, Prometheus and Alertmanager, and the UIs of other components (``more``: Kibana), internal
    only or published on the edge behind a login, as configured."""
    uis: list[WebConsole] = [*monitoring.consoles, *more]
    edge = None
    if ingress is not None:
        edge = ConsolesEdge(
            ingress_class=ingress.ingress_class_name,
            cluster_issuer=ingress.cluster_issuer_name,
            trusted_proxy_cidrs=(cfg.network.cidr,),  # NGINX's pods have VPC addresses
        )
    consoles = Consoles(
        "consoles",
        ConsolesArgs(
            spec=cfg.consoles,
            consoles=uis,
            kubernetes_provider=kubernetes_provider,
            edge=edge,
            secret_store=store_name,
        ),
        # The store that delivers the login's secrets; the proxies' ServiceMonitors need the operator's CRDs.
        opts=pulumi.ResourceOptions(depends_on=[secret_store, monitoring.crds_release]),
    )
    pulumi.export("consolePortForward", consoles.port_forward)
    pulumi.export("consoleUrls", consoles.urls)
    return consoles
