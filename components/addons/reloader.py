"""Stakater Reloader (stakater/Reloader, chart ``reloader``): restarts the services when a Secret they
read changes, so a rotated datastore credential that External Secrets wrote into the services'
namespace reaches the pods without anyone acting.

Scope and privileges, read in the chart at the pinned version: ``watchGlobally: false`` with
``namespaces`` set to the services' namespace makes the chart create a namespaced Role and RoleBinding
there (and in its own namespace for its bookkeeping), no ClusterRole; ConfigMaps are ignored (nothing
the platform reloads is one), so the Role reads Secrets only; Jobs and CronJobs are left alone.
``isArgoRollouts`` lets it act on Rollouts: a Rollout annotated
``reloader.stakater.com/rollout-strategy: restart`` is restarted through ``spec.restartAt``, which Argo
Rollouts turns into pod evictions one at a time (honouring the PodDisruptionBudget) without a new
blue-green revision, so no analysis or manual promotion stands between a rotation and the pods, and
the active Service keeps ready pods throughout. Two replicas with leader election (a Secret change
while one restarts is still seen), a PodDisruptionBudget, a hardened security context, JSON logs, and
a PodMonitor for its metrics (so the release waits for the Prometheus Operator's CRDs too).
The chart decides the Role's rules from the API versions the cluster serves (``argoproj.io/v1alpha1``):
install it after Argo Rollouts' CRDs (the caller's ``depends_on``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn, resources

PIN = ChartPin(
    chart="reloader",
    version="2.2.16",
    repository="https://stakater.github.io/stakater-charts",
    app_version="v1.4.21",
    known_keys=frozenset(
        {
            "reloader.isArgoRollouts",
            "reloader.watchGlobally",
            "reloader.namespaces",
            "reloader.ignoreConfigMaps",
            "reloader.ignoreJobs",
            "reloader.ignoreCronJobs",
            "reloader.enableHA",
            "reloader.logFormat",
            "reloader.readOnlyRootFileSystem",
            "reloader.deployment.replicas",
            "reloader.deployment.resources",
            "reloader.deployment.securityContext",
            "reloader.deployment.containerSecurityContext",
            "reloader.podDisruptionBudget.enabled",
            "reloader.podDisruptionBudget.minAvailable",
            "reloader.podMonitor.enabled",
        }
    ),
    free_form=frozenset(
        {
            "reloader.deployment.resources",
            "reloader.deployment.securityContext",
            "reloader.deployment.containerSecurityContext",
        }
    ),
)
NAMESPACE = "reloader"
RELEASE = "reloader"
METRICS_PORT = 9090  # the container's "http" port, where its PodMonitor scrapes /metrics
# What a workload carries to be restarted on a change of the Secrets it names (comma-separated), and how
# a Rollout is restarted: through spec.restartAt, not a new revision.
RELOAD_SECRETS_ANNOTATION = "secret.reloader.stakater.com/reload"
ROLLOUT_STRATEGY_ANNOTATION = "reloader.stakater.com/rollout-strategy"
RESTART = "restart"


@dataclass(frozen=True)
class ReloaderSettings:
    watched_namespace: pulumi.Input[str]  # the services' namespace, the only one it watches
    replicas: int = 2

    def values(self) -> dict[str, Any]:
        return {
            "reloader": {
                "isArgoRollouts": True,
                "watchGlobally": False,
                "namespaces": [self.watched_namespace],
                "ignoreConfigMaps": True,
                "ignoreJobs": True,
                "ignoreCronJobs": True,
                "enableHA": self.replicas > 1,
                "logFormat": "json",
                "readOnlyRootFileSystem": True,
                "deployment": {
                    "replicas": self.replicas,
                    "resources": resources("10m", "64Mi", "200m", "256Mi"),
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 65534,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containerSecurityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                },
                "podDisruptionBudget": {"enabled": self.replicas > 1, "minAvailable": 1},
                "podMonitor": {"enabled": True},  # its reload counters, on port 9090 ("http")
            }
        }


@dataclass(frozen=True)
class ReloaderArgs(AddOnArgs):
    watched_namespace: pulumi.Input[str]
    replicas: int = 2


class Reloader(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: ReloaderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        namespace = self._namespace(f"{name}-ns", NAMESPACE, enforce="restricted", audit="restricted")
        settings = ReloaderSettings(watched_namespace=args.watched_namespace, replicas=args.replicas)
        self._install(name, RELEASE, settings.values(), [namespace])
        self._publish()


def reload_annotations(secret_names: list[str]) -> dict[str, str]:
    """The annotations of a Rollout restarted (in place, through ``restartAt``) when one of its Secrets changes."""
    if not secret_names:
        return {}
    return {RELOAD_SECRETS_ANNOTATION: ",".join(sorted(set(secret_names))), ROLLOUT_STRATEGY_ANNOTATION: RESTART}
