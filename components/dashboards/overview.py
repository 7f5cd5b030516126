"""The platform at a glance: the services' traffic and errors, the SLOs' short-window error ratios,
the edge's 5xx share, the nodes, pods that crash-loop, Rollouts that are not healthy, certificates
close to expiry and the busiest datastore CPU."""

from __future__ import annotations

from collections.abc import Mapping

from components.alerts import promql as q
from components.alerts.metrics import cloudwatch
from components.alerts.rules import ERROR_RATIO
from components.dashboards import queries as pq
from components.dashboards.grafana import Board, Query, Section, board, stat_panel, timeseries_panel
from infra.config.services import ServiceConfig

UID = "platform-overview"


def overview_board(
    services: Mapping[str, ServiceConfig], namespace: str, edge: bool, datasource_uid: str, folder: str
) -> Board:
    names = sorted(services)
    by_metric: dict[str, list[str]] = {}
    for n in names:
        by_metric.setdefault(services[n].error_metric, []).append(n)

    def events(metric: str) -> q.Expr:
        theirs = q.regex("service", "|".join(by_metric[metric]))  # the active Services
        return q.sum_(q.rate(q.selector(metric, q.eq("namespace", namespace), theirs), pq.WINDOW), ("service",))

    traffic = Section(
        "Services",
        (
            timeseries_panel(
                "Events per second, by service",
                *(Query(events(m), "{{service}}") for m in sorted(by_metric)),
                unit="ops",
                description="requests of the web services, finished tasks of the workers",
            ),
            timeseries_panel(
                "Error ratio, by service",
                *(Query(pq.error_ratio(namespace, n, services[n]), n) for n in names),
                unit="percentunit",
                minimum=0,
                thresholds=((0.01, "orange"), (0.05, "red")),
            ),
        ),
    )
    slo = Section(
        "Objectives and edge",
        (
            timeseries_panel(
                "SLO error ratio (1 h), by objective",
                Query(agg_slo(), "{{slo}}"),
                unit="percentunit",
                description="the alert rules' recorded series; docs/dashboards.md has the error budgets board",
            ),
            *(
                (
                    timeseries_panel(
                        "Kong 5xx share",
                        Query(q.selector("edge:kong_5xx:ratio_rate5m"), "5xx"),
                        unit="percentunit",
                        thresholds=((0.05, "red"),),
                    ),
                )
                if edge
                else ()
            ),
        ),
    )
    ready = q.selector("kube_node_status_condition", q.eq("condition", "Ready"), q.eq("status", "true"))
    crash = q.selector("kube_pod_container_status_waiting_reason", q.eq("reason", "CrashLoopBackOff"))
    unhealthy = q.selector("rollout_info", q.not_regex("phase", "Healthy"))
    expiry = q.sub(q.selector("certmanager_certificate_expiration_timestamp_seconds"), q.time())
    cluster = Section(
        "Cluster",
        (
            stat_panel("Nodes ready", Query(q.sum_(ready), "ready")),
            stat_panel(
                "Pods crash-looping",
                Query(q.or_zero(pq.agg("count", crash)), "pods"),
                thresholds=((1, "red"),),
            ),
            stat_panel(
                "Rollouts not healthy",
                Query(q.or_zero(pq.agg("count", unhealthy)), "rollouts"),
                thresholds=((1, "orange"),),
            ),
            stat_panel(
                "First certificate expiry",
                Query(pq.agg("min", expiry), "seconds"),
                unit="s",
                base="red",
                thresholds=((14 * 86400, "green"),),
            ),
            timeseries_panel(
                "Node memory available",
                Query(
                    q.div(q.selector("node_memory_MemAvailable_bytes"), q.selector("node_memory_MemTotal_bytes")),
                    "{{instance}}",
                ),
                unit="percentunit",
                minimum=0,
                maximum=1,
            ),
            timeseries_panel(
                "Datastore CPU (busiest instance)",
                Query(pq.agg("max", q.selector(cloudwatch("rds", "CPUUtilization"))), "postgres"),
                Query(pq.agg("max", q.selector(cloudwatch("elasticache", "EngineCPUUtilization"))), "redis"),
                Query(pq.agg("max", q.selector(cloudwatch("docdb", "CPUUtilization"))), "documentdb"),
                Query(pq.agg("max", q.selector(cloudwatch("amazonmq", "SystemCpuUtilization"))), "rabbitmq"),
                unit="percent",
            ),
        ),
    )
    return board(
        uid=UID,
        title="Platform / Overview",
        description="the services, their objectives, the edge, the cluster and the datastores at a glance",
        tags=("platform", "overview"),
        sections=(traffic, slo, cluster),
        datasource_uid=datasource_uid,
        folder=folder,
    )


def agg_slo() -> q.Expr:
    return pq.agg("max", q.selector(f"{ERROR_RATIO}1h"), ("slo",))
