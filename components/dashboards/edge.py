"""The edge: NGINX (the Ingress controller behind the ALB) and Kong (the API gateway behind it).
Kong's series come from its global prometheus plugin (per Kong service and route, status code and
latency histogram in milliseconds); NGINX's from NGINX Inc's controller (stub status and reloads)."""

from __future__ import annotations

from components.alerts import promql as q
from components.dashboards import queries as pq
from components.dashboards.grafana import Board, Query, Section, board, stat_panel, timeseries_panel

UID = "platform-edge"


def edge_board(datasource_uid: str, folder: str) -> Board:
    kong = "kong_http_requests_total"
    five_xx = q.regex("code", "5..")
    latency = "kong_request_latency_ms_bucket"
    kong_section = Section(
        "Kong",
        (
            timeseries_panel(
                "Requests per second, by Kong service",
                Query(q.sum_(q.rate(q.selector(kong), pq.WINDOW), ("service",)), "{{service}}"),
                unit="reqps",
            ),
            timeseries_panel(
                "Answers per second, by status code",
                Query(q.sum_(q.rate(q.selector(kong), pq.WINDOW), ("code",)), "{{code}}"),
                unit="reqps",
            ),
            timeseries_panel(
                "5xx share, by route",
                Query(
                    q.div(
                        q.sum_(q.rate(q.selector(kong, five_xx), pq.WINDOW), ("route",)),
                        q.sum_(q.rate(q.selector(kong), pq.WINDOW), ("route",)),
                    ),
                    "{{route}}",
                ),
                unit="percentunit",
                thresholds=((0.05, "red"),),
                description="the alert EdgeErrorRatioHigh reads the share over all routes",
            ),
            timeseries_panel(
                "Latency p95 / p99, by Kong service",
                *(
                    Query(
                        pq.histogram_quantile(p, q.sum_(q.rate(q.selector(latency), pq.WINDOW), ("service", "le"))),
                        "{{service}} p" + str(round(p * 100)),
                    )
                    for p in (0.95, 0.99)
                ),
                unit="ms",
                description="the whole request as Kong saw it, upstream included",
            ),
        ),
    )
    nginx_section = Section(
        "NGINX",
        (
            stat_panel(
                "Last reload",
                Query(pq.agg("min", q.selector("nginx_ingress_controller_nginx_last_reload_status")), "status"),
                base="red",
                thresholds=((1, "green"),),
                description="1: the last configuration loaded; 0: it failed and new Ingress changes are not served",
            ),
            stat_panel(
                "Reload errors (1 h)",
                Query(
                    q.sum_(q.increase(q.selector("nginx_ingress_controller_nginx_reload_errors_total"), "1h")),
                    "errors",
                ),
                thresholds=((1, "red"),),
            ),
            timeseries_panel(
                "Active connections",
                Query(q.sum_(q.selector("nginx_ingress_nginx_connections_active")), "active"),
                width=6,
                height=4,
            ),
            timeseries_panel(
                "Requests per second",
                Query(q.sum_(q.rate(q.selector("nginx_ingress_nginx_http_requests_total"), pq.WINDOW)), "requests"),
                unit="reqps",
                width=6,
                height=4,
            ),
        ),
    )
    return board(
        uid=UID,
        title="Platform / Edge",
        description="NGINX and Kong: traffic, status codes, 5xx by route, latency, reloads",
        tags=("platform", "edge"),
        sections=(kong_section, nginx_section),
        datasource_uid=datasource_uid,
        folder=folder,
    )
