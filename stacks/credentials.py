"""How the services pick up rotated datastore credentials without downtime (composition only): the
refresh interval of the ExternalSecrets, the pickup time the rotation functions must leave the previous
credential valid for, and Reloader, which restarts the services when their Secrets change."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.addons.reloader import Reloader, ReloaderArgs
from components.datastores.pickup import pickup_seconds
from infra.config import PlatformConfig


def refresh_interval(cfg: PlatformConfig) -> str:
    """platform:datastores.secretRefreshMinutes as External Secrets' duration."""
    return f"{cfg.datastores.secret_refresh_minutes}m"


def credential_pickup_seconds(cfg: PlatformConfig) -> int:
    return pickup_seconds(cfg.datastores.secret_refresh_minutes, cfg.services.enabled)


def build_reloader(
    kubernetes_provider: k8s.Provider, services_namespace: pulumi.Input[str], rollouts: pulumi.Resource
) -> Reloader:
    """Reloader, watching the services' namespace only, after Argo Rollouts (its Role's rules depend on
    the Rollout API being served)."""
    return Reloader(
        "reloader",
        ReloaderArgs(kubernetes_provider=kubernetes_provider, watched_namespace=services_namespace),
        opts=pulumi.ResourceOptions(depends_on=[rollouts]),
    )
