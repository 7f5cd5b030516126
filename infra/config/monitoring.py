"""Monitoring (``platform:monitoring``): Prometheus (kube-prometheus-stack) and metrics-server.

Prometheus scrapes the services (its analysis gates their rollouts); metrics-server is the resource
metrics API that HorizontalPodAutoscalers use.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from infra.config.base import Environment, _Model


class MonitoringConfig(_Model):
    """Prometheus (kube-prometheus-stack) and metrics-server."""

    prometheus_replicas: int = Field(1, ge=1, le=5)
    retention_days: int = Field(15, ge=1, le=365)
    storage_gib: int = Field(50, ge=10, le=16_384)
    metrics_server_replicas: int = Field(2, ge=1, le=5)


# ``platform:monitoring`` per environment, unless the stack file says otherwise.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {"prometheusReplicas": 1, "retentionDays": 7, "storageGib": 20, "metricsServerReplicas": 1},
    Environment.STAGING: {"prometheusReplicas": 1, "retentionDays": 15, "storageGib": 50, "metricsServerReplicas": 2},
    Environment.PROD: {"prometheusReplicas": 2, "retentionDays": 30, "storageGib": 100, "metricsServerReplicas": 2},
}
