"""One dashboard per configured service: what it does (rate), how much fails (errors), how long it
takes (duration: web services; a worker's tasks are counted by state), how full it is (saturation:
CPU and memory against its requests and limits, replicas against the HPA's maximum, restarts) and where
its rollout stands (the Rollout's phase and replicas, from the Argo Rollouts controller).

Everything comes from the service's config section: a new entry under ``platform:services.deployments``
gets its dashboard with no code change.
"""

from __future__ import annotations

import hashlib

from components.dashboards import queries as pq
from components.dashboards.grafana import UID_MAX, Board, Query, Section, board, stat_panel, timeseries_panel
from infra.config.services import ServiceConfig

UID_PREFIX = "platform-svc-"


def service_uid(name: str) -> str:
    """``platform-svc-<name>``; a name too long for Grafana's 40 characters keeps its start and gets a
    short hash of the whole name, so two long names never share a uid."""
    uid = f"{UID_PREFIX}{name}"
    if len(uid) <= UID_MAX:
        return uid
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{uid[: UID_MAX - len(digest) - 1]}-{digest}"


def service_board(name: str, svc: ServiceConfig, namespace: str, datasource_uid: str, folder: str) -> Board:
    web = svc.port is not None
    what = "requests" if web else "tasks"
    rate_unit = "reqps" if web else "ops"
    traffic = Section(
        "Rate and errors",
        (
            timeseries_panel(
                f"{what.capitalize()} per second, by colour",
                Query(pq.request_rate(namespace, name, svc), "{{" + pq.COLOUR + "}}"),
                unit=rate_unit,
                description=f"rate({svc.error_metric}[{pq.WINDOW}]) through the active Service (what users "
                "reach), split by the pods' rollouts-pod-template-hash: a promotion shows as the handover",
            ),
            timeseries_panel(
                "Error ratio",
                Query(pq.error_ratio(namespace, name, svc), "failed"),
                unit="percentunit",
                minimum=0,
                description=f"the share of {svc.error_metric} with {svc.error_selector} (the SLO's and the "
                "rollout analysis's reading)",
                thresholds=((0.01, "orange"), (0.05, "red")),
            ),
        ),
    )
    if web:
        duration = Section(
            "Duration",
            (
                timeseries_panel(
                    "Request duration quantiles",
                    *(Query(pq.latency_quantile(namespace, name, p), f"p{round(p * 100)}") for p in (0.5, 0.95, 0.99)),
                    unit="s",
                    width=24,
                    description="histogram_quantile over http_request_duration_seconds_bucket, active Service",
                ),
            ),
        )
    else:
        duration = Section(
            "Tasks by state",
            (
                timeseries_panel(
                    "Tasks finished per second, by state",
                    Query(pq.request_rate(namespace, name, svc, by=("state",)), "{{state}}"),
                    unit="ops",
                    width=24,
                ),
            ),
        )
    saturation = Section(
        "Saturation",
        (
            timeseries_panel(
                "CPU used / requested",
                Query(pq.cpu_of_requests(namespace, name), "cpu"),
                unit="percentunit",
                width=8,
                description=f"the HPA adds pods above {svc.scaling.cpu_utilization}%",
                thresholds=((svc.scaling.cpu_utilization / 100, "orange"),),
            ),
            timeseries_panel(
                "Memory working set / limit (fullest pod)",
                Query(pq.memory_of_limits(namespace, name), "memory"),
                unit="percentunit",
                width=8,
                thresholds=((0.9, "red"),),
            ),
            timeseries_panel(
                "Replicas (HPA)",
                Query(pq.hpa("current", namespace, name), "current"),
                Query(pq.hpa("max", namespace, name), "maximum"),
                width=8,
                description=f"between {svc.scaling.min_replicas} and {svc.scaling.max_replicas}",
            ),
        ),
    )
    rollout = Section(
        "Rollout",
        (
            stat_panel(
                "Rollout phase",
                Query(pq.rollout_phase(namespace, name), "{{phase}}"),
                width=8,
                description="rollout_info of the service's Rollout: Healthy, Progressing, Paused or Degraded",
            ),
            stat_panel(
                "Restarts (15 min)",
                Query(pq.restarts(namespace, name), "restarts"),
                width=4,
                thresholds=((1, "orange"), (5, "red")),
            ),
            timeseries_panel(
                "Rollout replicas",
                Query(pq.rollout("rollout_info_replicas_available", namespace, name), "available"),
                Query(pq.rollout("rollout_info_replicas_desired", namespace, name), "desired"),
                width=12,
                height=4,
            ),
            timeseries_panel(
                f"Preview Service: {what} per second, by colour",
                Query(pq.request_rate(namespace, name, svc, preview=True), "{{" + pq.COLOUR + "}}"),
                unit=rate_unit,
                description=f"{name}-preview: the colour being rolled out, before promotion (the pre-promotion "
                "analysis reads it); the same pods as the active Service afterwards",
            ),
            timeseries_panel(
                "Preview Service: error ratio",
                Query(pq.error_ratio(namespace, name, svc, preview=True), "failed"),
                unit="percentunit",
                minimum=0,
                thresholds=((0.01, "orange"), (0.05, "red")),
            ),
        ),
    )
    return board(
        uid=service_uid(name),
        title=f"Service / {name}",
        description=f"{name} ({svc.runtime}): rate, errors, duration, saturation and rollout status",
        tags=("platform", "service", name),
        sections=(traffic, duration, saturation, rollout),
        datasource_uid=datasource_uid,
        folder=folder,
    )
