"""How long the services take to use a rotated datastore credential: the longest the credential they
hold before must stay valid (the rotation function refuses to invalidate it sooner; ``rotation.py``).

The chain: the rotation makes the new version current; External Secrets reads it within the refresh
interval and rewrites the Kubernetes Secret; Reloader sees the change (a watch: seconds) and sets the
Rollout's ``restartAt``; Argo Rollouts evicts the pods one at a time (the PodDisruptionBudget allows one
unavailable), each replacement scheduled, started (within the startup probe's budget) and ready before
the next goes. The services restart side by side, so the slowest one counts, at its largest size.
Pure arithmetic over configuration; the figures are the worst case the probes allow, not a typical run.
"""

from __future__ import annotations

from collections.abc import Mapping

from components.service_objects import PROBE_PERIOD, STARTUP_FAILURES
from infra.config.services import ServiceConfig

RELOADER_SECONDS = 10  # a Secret's change reaches Reloader through its watch, then one patch
SCHEDULE_SECONDS = 60  # a replacement pod scheduled and its image pulled (a node may be scaling out)
STARTUP_SECONDS = PROBE_PERIOD * STARTUP_FAILURES  # the startup probe's budget (120 s)
READY_SECONDS = PROBE_PERIOD  # one readiness period after it started


def pod_replacement_seconds() -> int:
    return SCHEDULE_SECONDS + STARTUP_SECONDS + READY_SECONDS


def restart_seconds(service: ServiceConfig) -> int:
    """A rolling restart of ``service`` at its largest, one pod at a time."""
    return service.scaling.max_replicas * pod_replacement_seconds()


def pickup_seconds(refresh_minutes: int, services: Mapping[str, ServiceConfig]) -> int:
    """The worst case from a rotation to the last pod of the last datastore client on the new credential."""
    clients = [restart_seconds(s) for s in services.values() if s.datastores]
    return refresh_minutes * 60 + RELOADER_SECONDS + max(clients, default=0)
