"""The Prometheus Operator's CRDs (prometheus-community, chart ``prometheus-operator-crds``) in
``kube-system``, as a release of their own, installed before anything that creates a ServiceMonitor,
PodMonitor, PrometheusRule or AlertmanagerConfig.

Why a release of their own: kube-prometheus-stack would bring them from its ``crds/`` directory, which
Helm installs once and never upgrades, and every release with a ServiceMonitor would wait for the whole
stack (Prometheus, Alertmanager, Grafana on their volumes). Here the CRDs are templates (Helm upgrades
them with the operator's version: this chart's ``appVersion`` is kube-prometheus-stack's operator,
v0.93.1), annotated ``helm.sh/resource-policy: keep`` so deleting the release never deletes every
ServiceMonitor and rule of the cluster with them; kube-prometheus-stack runs with ``crds.enabled:
false``. Keys read in the chart's ``values.yaml`` at 31.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn

PIN = ChartPin(
    chart="prometheus-operator-crds",
    version="31.0.1",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.93.1",
    known_keys=frozenset({"crds.annotations"}),
    free_form=frozenset({"crds.annotations"}),
)
NAMESPACE = "kube-system"
RELEASE = "prometheus-operator-crds"
# Helm leaves a resource with this annotation in the cluster when its release is deleted.
KEEP = {"helm.sh/resource-policy": "keep"}


def values() -> dict[str, Any]:
    return {"crds": {"annotations": dict(KEEP)}}


@dataclass(frozen=True)
class PrometheusOperatorCrdsArgs(AddOnArgs):
    pass


class PrometheusOperatorCrds(HelmAddOn):
    """``release`` is what a release or object that renders a monitoring.coreos.com object depends on."""

    PIN = PIN
    CRD_GROUPS = frozenset({"monitoring.coreos.com"})

    def __init__(self, name: str, args: PrometheusOperatorCrdsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(NAMESPACE)
        self._install(name, RELEASE, values(), timeout=300)
        self._publish()
