"""The composition of the dashboards: what they show comes from the config (services, objectives,
edge, retention), where they go from Monitoring's output, which datastores from their names."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.dashboards.component import Dashboards, DashboardsArgs
from components.dashboards.datastores import DatastoreNames
from components.monitoring import Monitoring
from infra.config import PlatformConfig


def datastore_names(cfg: PlatformConfig) -> DatastoreNames:
    """The physical names ``build_datastores`` gives the datastores (``<prefix>-<store>``); a test
    holds them equal to the planned resources' identifiers."""
    prefix = cfg.name_prefix
    return DatastoreNames(
        postgres=f"{prefix}-postgres",
        redis=f"{prefix}-redis",
        documentdb=f"{prefix}-documentdb",
        rabbitmq=f"{prefix}-rabbitmq",
    )


def build_dashboards(
    cfg: PlatformConfig,
    kubernetes_provider: k8s.Provider,
    monitoring: Monitoring,
    service_namespace: pulumi.Input[str],
    edge: bool,
) -> Dashboards:
    return Dashboards(
        "dashboards",
        DashboardsArgs(
            services=cfg.services.enabled,
            alerts=cfg.alerts,
            service_namespace=service_namespace,
            sink=monitoring.dashboards,
            datastores=datastore_names(cfg),
            retention_days=cfg.monitoring.retention_days,
            kubernetes_provider=kubernetes_provider,
            edge=edge,
        ),
    )
