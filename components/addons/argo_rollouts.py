"""Argo Rollouts (argoproj/argo-helm, chart ``argo-rollouts``): the controller that acts on the
services' ``Rollout`` and ``AnalysisTemplate`` objects (blue-green with a Prometheus analysis and
automatic rollback).

CRDs installed and kept on uninstall (removing the controller must not delete every Rollout), two
controller replicas with a PodDisruptionBudget where config says so, a hardened security context,
metrics through a ServiceMonitor (so the release waits for the Prometheus Operator's CRDs: the
caller's ``depends_on``), and no dashboard (it has no authentication; ``kubectl argo rollouts`` is the
interface)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn, resources

PIN = ChartPin(
    chart="argo-rollouts",
    version="2.41.0",
    repository="https://argoproj.github.io/argo-helm",
    app_version="v1.9.0",
    known_keys=frozenset(
        {
            "installCRDs",
            "keepCRDs",
            "controller.replicas",
            "controller.resources",
            "controller.metrics.enabled",
            "controller.metrics.serviceMonitor.enabled",
            "controller.pdb.enabled",
            "controller.pdb.minAvailable",
            "podSecurityContext",
            "containerSecurityContext",
            "dashboard.enabled",
        }
    ),
    free_form=frozenset({"controller.resources", "podSecurityContext", "containerSecurityContext"}),
)
NAMESPACE = "argo-rollouts"
API_VERSION = "argoproj.io/v1alpha1"


@dataclass(frozen=True)
class ArgoRolloutsSettings:
    replicas: int = 2  # leader election: one works, one waits

    def values(self) -> dict[str, Any]:
        return {
            "installCRDs": True,
            "keepCRDs": True,
            "controller": {
                "replicas": self.replicas,
                "resources": resources("100m", "128Mi", "1000m", "512Mi"),
                "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}},
                "pdb": {"enabled": self.replicas > 1, "minAvailable": 1},
            },
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "dashboard": {"enabled": False},
        }


@dataclass(frozen=True)
class ArgoRolloutsArgs(AddOnArgs):
    controller_replicas: int


class ArgoRollouts(HelmAddOn):
    PIN = PIN
    CRD_GROUPS = frozenset({"argoproj.io"})

    def __init__(self, name: str, args: ArgoRolloutsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        namespace = self._namespace(f"{name}-ns", NAMESPACE, enforce="restricted", audit="restricted")
        self._install(
            name, "argo-rollouts", ArgoRolloutsSettings(replicas=args.controller_replicas).values(), [namespace]
        )
        self._publish()
