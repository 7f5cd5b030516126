"""metrics-server (kubernetes-sigs/metrics-server, chart ``metrics-server``) in ``kube-system``: the
resource metrics API HorizontalPodAutoscalers read. Its ServiceMonitor needs the Prometheus
Operator's CRDs: the caller's ``depends_on``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn, resources

PIN = ChartPin(
    chart="metrics-server",
    version="3.13.1",
    repository="https://kubernetes-sigs.github.io/metrics-server/",
    app_version="0.8.1",
    known_keys=frozenset(
        {
            "replicas",
            "podDisruptionBudget.enabled",
            "podDisruptionBudget.minAvailable",
            "metrics.enabled",
            "serviceMonitor.enabled",
            "resources",
        }
    ),
    free_form=frozenset({"resources"}),
)
NAMESPACE = "kube-system"
RELEASE = "metrics-server"
# The chart's pods (its standard name label), and the port the API server and the scrapers reach them on
# (the chart's containerPort, its --secure-port).
POD_LABELS = {"app.kubernetes.io/name": "metrics-server"}
PORT = 10250


@dataclass(frozen=True)
class MetricsServerSettings:
    replicas: int = 2

    def values(self) -> dict[str, Any]:
        return {
            "replicas": self.replicas,
            "podDisruptionBudget": {"enabled": self.replicas > 1, "minAvailable": 1},
            "metrics": {"enabled": True},
            "serviceMonitor": {"enabled": True},
            "resources": resources("100m", "200Mi", "1000m", "400Mi"),
        }


@dataclass(frozen=True)
class MetricsServerArgs(AddOnArgs):
    replicas: int


class MetricsServer(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: MetricsServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(NAMESPACE)
        self._install(name, RELEASE, MetricsServerSettings(replicas=args.replicas).values(), timeout=900)
        self._publish()
