"""The catalogue of the metrics the platform's components export, and who exports each one.

One place: every metric a rule names must be here (a test walks each expression's syntax tree and
checks its selectors against :data:`CATALOGUE`), so a rule can never alert on a series that nothing in
the cluster produces. Names were read in the exporters' own sources and documentation at the pinned
versions; a metric is listed only when something the platform installs, configured as it is, exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from components.addons import cloudwatch_exporter


class Exporter(Enum):
    """Who produces a series (and through which ServiceMonitor Prometheus scrapes it)."""

    SERVICE_WEB = "the web services (user-service, analytics): their /metrics, their own ServiceMonitor"
    SERVICE_WORKER = "the Celery workers (data-processing): /metrics on the metrics port, their own ServiceMonitor"
    KUBE_STATE_METRICS = "kube-state-metrics (shipped by kube-prometheus-stack)"
    NODE_EXPORTER = "node-exporter (shipped by kube-prometheus-stack)"
    KONG = "Kong's global prometheus plugin (status_code_metrics, latency_metrics on)"
    NGINX = "NGINX Inc's nginx-ingress controller (prometheus.create)"
    CERT_MANAGER = "cert-manager's controller (prometheus.enabled)"
    PROMETHEUS = "Prometheus itself (functions of the query engine, no scrape)"
    CLOUDWATCH = "the CloudWatch exporter (YACE): AWS/RDS, AWS/DocDB, AWS/ElastiCache, AWS/AmazonMQ, Platform/Backups"


@dataclass(frozen=True)
class Metric:
    name: str
    exporter: Exporter
    labels: tuple[str, ...] = ()  # the labels the platform's rules rely on
    help: str = ""


_METRICS = (
    # The services: the rollout analysis and the SLOs read these (platform:services errorMetric).
    Metric("http_requests_total", Exporter.SERVICE_WEB, ("namespace", "service", "status"), "requests served"),
    Metric(
        "http_request_duration_seconds_bucket",
        Exporter.SERVICE_WEB,
        ("namespace", "service", "le"),
        "request latency histogram (the Prometheus clients' default buckets)",
    ),
    Metric("http_request_duration_seconds_count", Exporter.SERVICE_WEB, ("namespace", "service"), "requests timed"),
    Metric("celery_tasks_total", Exporter.SERVICE_WORKER, ("namespace", "service", "state"), "tasks by final state"),
    # kube-state-metrics
    Metric("kube_pod_container_status_restarts_total", Exporter.KUBE_STATE_METRICS, ("namespace", "pod", "container")),
    Metric("kube_pod_container_status_waiting_reason", Exporter.KUBE_STATE_METRICS, ("namespace", "pod", "reason")),
    Metric(
        "kube_horizontalpodautoscaler_status_current_replicas",
        Exporter.KUBE_STATE_METRICS,
        ("namespace", "horizontalpodautoscaler"),
    ),
    Metric(
        "kube_horizontalpodautoscaler_spec_max_replicas",
        Exporter.KUBE_STATE_METRICS,
        ("namespace", "horizontalpodautoscaler"),
    ),
    Metric("kube_node_status_condition", Exporter.KUBE_STATE_METRICS, ("node", "condition", "status")),
    # node-exporter
    Metric("node_memory_MemAvailable_bytes", Exporter.NODE_EXPORTER, ("instance",)),
    Metric("node_memory_MemTotal_bytes", Exporter.NODE_EXPORTER, ("instance",)),
    Metric("node_filesystem_avail_bytes", Exporter.NODE_EXPORTER, ("instance", "mountpoint", "fstype")),
    Metric("node_filesystem_size_bytes", Exporter.NODE_EXPORTER, ("instance", "mountpoint", "fstype")),
    # Kong 3.x prometheus plugin
    Metric("kong_http_requests_total", Exporter.KONG, ("service", "route", "code")),
    Metric("kong_request_latency_ms_bucket", Exporter.KONG, ("service", "route", "le")),
    # NGINX Inc's controller (not the community ingress-nginx, whose names differ)
    Metric("nginx_ingress_controller_nginx_last_reload_status", Exporter.NGINX, ("class",), "1 ok, 0 failed"),
    Metric("nginx_ingress_controller_nginx_reload_errors_total", Exporter.NGINX, ("class",)),
    Metric("nginx_ingress_controller_nginx_reloads_total", Exporter.NGINX, ("class", "reason")),
    Metric("nginx_ingress_nginx_connections_active", Exporter.NGINX),
    Metric("nginx_ingress_nginx_http_requests_total", Exporter.NGINX),
    # cert-manager
    Metric("certmanager_certificate_expiration_timestamp_seconds", Exporter.CERT_MANAGER, ("name", "namespace")),
    Metric("certmanager_certificate_ready_status", Exporter.CERT_MANAGER, ("name", "namespace", "condition")),
)

# The CloudWatch exporter's series, from its own configuration (YACE's naming rule), so they cannot drift
# apart: every series carries ``name`` (the resource's ARN) and its ``dimension_<Name>`` labels.
_CLOUDWATCH = tuple(
    Metric(series, Exporter.CLOUDWATCH, ("name", *labels), f"CloudWatch {namespace}")
    for series, (namespace, labels) in sorted(cloudwatch_exporter.exported_series().items())
)
_NGINX_LATENCY = (
    # NGINX Inc's controller with controller.enableLatencyMetrics: each upstream response, by its status code.
    Metric(
        "nginx_ingress_controller_upstream_server_response_latency_ms_count",
        Exporter.NGINX,
        ("upstream", "server", "code"),
        "upstream responses timed, by status code",
    ),
)

CATALOGUE: dict[str, Metric] = {m.name: m for m in (*_METRICS, *_CLOUDWATCH, *_NGINX_LATENCY)}


def exported(name: str) -> bool:
    return name in CATALOGUE
