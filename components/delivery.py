"""Progressive delivery: the Argo Rollouts controller, which acts on the services' ``Rollout`` and
``AnalysisTemplate`` objects (blue-green with a Prometheus analysis and automatic rollback).

Installed from its Helm chart (pinned in ``infra/charts.py``) with its CRDs, kept on uninstall, two
controller replicas with a PodDisruptionBudget where config says so, a hardened security context, its
metrics scraped through a ServiceMonitor (so the chart waits for the Prometheus Operator's CRDs), and
no dashboard (it has no authentication of its own; ``kubectl argo rollouts`` is the interface).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.charts import ARGO_ROLLOUTS, ArgoRolloutsSettings, helm_release

ROLLOUTS_NAMESPACE = "argo-rollouts"


@dataclass(frozen=True)
class DeliveryArgs:
    kubernetes_provider: k8s.Provider
    controller_replicas: int = 2
    after: Sequence[pulumi.Resource] = ()  # the Prometheus Operator's chart (ServiceMonitor CRD)

    def __post_init__(self) -> None:
        if not 1 <= self.controller_replicas <= 3:
            raise ValueError("controller_replicas must be 1 to 3 (one leader, the rest wait)")


class Delivery(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: DeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:delivery:Delivery", name, None, opts)
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ROLLOUTS_NAMESPACE,
                labels={
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider),
        )
        release = helm_release(
            f"{name}-argo-rollouts",
            ARGO_ROLLOUTS,
            "argo-rollouts",
            namespace.metadata.name,
            ArgoRolloutsSettings(replicas=args.controller_replicas).values(),
            pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[namespace, *args.after]),
        )
        self.namespace = namespace.metadata.name
        self.release = release
        self.register_outputs({"namespace": self.namespace})
