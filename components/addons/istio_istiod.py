"""Istio's ``istiod`` chart (istio/istio ``manifests/charts/istio-control/istio-discovery``): the mesh's
control plane and certificate authority, in ambient mode (``profile: ambient``: ``PILOT_ENABLE_AMBIENT``,
HBONE). It signs each meshed workload's certificate (the SPIFFE identity of its service account) for
ztunnel, which fetches them over 15012 on the workloads' behalf, and pushes ztunnel its configuration
(workloads, services, the PeerAuthentications as authorization policies).

A fixed number of replicas (``autoscaleEnabled: false``); with two or more the chart renders a
PodDisruptionBudget of ``minAvailable: 1``. Its validating webhook listens on 15017 (the API server
calls it there through the ``istiod`` Service's 443). Values read in the chart at the pinned version
(defaults under ``_internal_defaults_do_not_set``; ``profile`` through ``templates/zzz_profile.yaml``).
Install after ``base`` (its CRDs): the caller's ``depends_on``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import HelmAddOn, resources
from components.addons.istio_base import ISTIO_API_GROUPS, PROFILE, InMeshNamespaceArgs, istio_pin

PIN = istio_pin(
    "istiod",
    known_keys=frozenset(
        {"profile", "autoscaleEnabled", "replicaCount", "resources", "seccompProfile", "global.logAsJson"}
    ),
    free_form=frozenset({"resources", "seccompProfile"}),
)
RELEASE = "istiod"
POD_LABELS = {"app": "istiod"}  # the chart's Deployment
WEBHOOK_PORT = 15017  # the container's port for the validating (and injection) webhooks
XDS_PORT = 15012  # xDS and the CA over TLS: what ztunnel connects to


@dataclass(frozen=True)
class IstiodSettings:
    replicas: int = 2

    def values(self) -> dict[str, Any]:
        return {
            "profile": PROFILE,
            "autoscaleEnabled": False,
            "replicaCount": self.replicas,
            # A mesh of a few dozen pods: far below the chart's default request of 500m / 2Gi.
            "resources": resources("100m", "256Mi", "1000m", "1Gi"),
            "seccompProfile": {"type": "RuntimeDefault"},
            "global": {"logAsJson": True},
        }


@dataclass(frozen=True)
class IstiodArgs(InMeshNamespaceArgs):
    replicas: int = 2


class Istiod(HelmAddOn):
    PIN = PIN
    # Not the CRDs (the base chart's) but what acts on them and the webhook that validates them: a
    # PeerAuthentication waits for both releases (parts.crds_for hands it each one that names its group).
    CRD_GROUPS = ISTIO_API_GROUPS

    def __init__(self, name: str, args: IstiodArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        self._install(name, RELEASE, IstiodSettings(replicas=args.replicas).values())
        self._publish()
