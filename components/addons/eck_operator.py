"""Elastic Cloud on Kubernetes (elastic/cloud-on-k8s, chart ``eck-operator`` from helm.elastic.co) in its
own namespace ``elastic-system``: the operator that acts on the ``Elasticsearch``, ``Kibana`` and
``Logstash`` custom resources, and their CRDs (the chart's ``eck-operator-crds`` dependency,
``installCRDs``). Whatever makes those resources waits for this release.

The operator manages only the namespaces it is given (``managedNamespaces``: the logging namespace),
runs with the chart's restricted security context, and validates the resources through its admission
webhook, whose certificate it manages itself (``webhook.manageCerts``); the webhook's failure policy
stays the chart's ``Ignore``, so an operator that is down does not block an ``apply``. Its telemetry
(usage reports to Kibana) is off. Keys read in the chart's ``values.yaml`` at 3.5.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn

PIN = ChartPin(
    chart="eck-operator",
    version="3.5.0",
    repository="https://helm.elastic.co",
    app_version="3.5.0",
    known_keys=frozenset(
        {
            "installCRDs",
            "managedNamespaces",
            "replicaCount",
            "resources",
            "podSecurityContext",
            "webhook.enabled",
            "webhook.manageCerts",
            "webhook.failurePolicy",
            "telemetry.disabled",
            "config.validateStorageClass",
        }
    ),
    free_form=frozenset({"resources", "managedNamespaces", "podSecurityContext"}),
)
NAMESPACE = "elastic-system"
RELEASE = "elastic-operator"
# The Elastic Stack version the operator runs (ECK 3.5.0 supports it; the chart's own samples use it).
STACK_VERSION = "9.4.3"


@dataclass(frozen=True)
class EckOperatorSettings:
    managed_namespaces: Sequence[str]

    def values(self) -> dict[str, Any]:
        return {
            "installCRDs": True,
            "managedNamespaces": list(self.managed_namespaces),
            "replicaCount": 1,  # a leader-elected StatefulSet: one reconciles at a time
            "resources": {"requests": {"cpu": "100m", "memory": "150Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
            # The chart's container context drops every capability, read-only root; with the runtime's
            # seccomp profile the pod passes the namespace's "restricted" Pod Security level.
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "webhook": {"enabled": True, "manageCerts": True, "failurePolicy": "Ignore"},
            "telemetry": {"disabled": True},
            # The operator checks that the claims' StorageClass allows expansion (gp3 does).
            "config": {"validateStorageClass": True},
        }


@dataclass(frozen=True)
class EckOperatorArgs(AddOnArgs):
    managed_namespaces: Sequence[str]


class EckOperator(HelmAddOn):
    """Publishes its release: the custom resources' CRDs exist once it is installed."""

    PIN = PIN
    CRD_GROUPS = frozenset({"elasticsearch.k8s.elastic.co", "kibana.k8s.elastic.co", "logstash.k8s.elastic.co"})

    def __init__(self, name: str, args: EckOperatorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._namespace(f"{name}-ns", NAMESPACE, enforce="restricted")
        settings = EckOperatorSettings(managed_namespaces=tuple(args.managed_namespaces))
        self._install(name, RELEASE, settings.values(), timeout=900)
        self._publish()
