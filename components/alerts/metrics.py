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
    KUBELET = "the kubelets' cAdvisor endpoint (kube-prometheus-stack's kubelet ServiceMonitor)"
    ARGO_ROLLOUTS = (
        "the Argo Rollouts controller (controller.metrics.serviceMonitor): the Rollout's namespace arrives as "
        "exported_namespace (the target's own namespace label wins)"
    )
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


def yace_name(namespace: str, metric: str, statistic: str) -> str:
    """The series name YACE gives a CloudWatch metric (its BuildMetricName): the namespace lower-cased
    and the metric name snake-cased (an upper-case letter after a lower-case one or a digit starts a
    word), "/" and "-" as "_", a namespace part the metric repeats at its start dropped, then the
    statistic: ``("AWS/RDS", "CPUUtilization", "Average")`` is ``aws_rds_cpuutilization_average``."""

    def snake(text: str) -> str:
        out: list[str] = []
        previous = ""
        for char in text:
            if char in " ,\t/\\.-:=@<>()":
                out.append("_")
            elif char == "%":
                out.append("_percent")
            else:
                if char.isupper() and (previous.islower() or previous.isdigit()):
                    out.append("_")
                out.append(char.lower())
            previous = char
        return "".join(out)

    prefix = snake(namespace.lower()).lstrip("_")
    name = snake(metric)
    for part in prefix.split("_"):
        name = name.removeprefix(part)
    name = name.removeprefix("_")
    head = prefix if prefix.startswith("aws") else f"aws_{prefix}"
    return f"{head}_{name}_{snake(statistic)}"


# The datastores' CloudWatch metrics the dashboards read, each with the one statistic the CloudWatch
# exporter's jobs ask for, by namespace, with the dimensions that name the resource (YACE exports each
# as dimension_<Name>). The broker's queue depth and consumers are per queue.
CloudWatchJob = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]
CLOUDWATCH_JOBS: dict[str, CloudWatchJob] = {
    "rds": (
        "AWS/RDS",
        ("DBInstanceIdentifier",),
        (("CPUUtilization", "Average"), ("FreeStorageSpace", "Minimum"), ("DatabaseConnections", "Maximum")),
    ),
    "docdb": (
        "AWS/DocDB",
        ("DBInstanceIdentifier",),
        (("CPUUtilization", "Average"), ("FreeLocalStorage", "Minimum"), ("DatabaseConnections", "Maximum")),
    ),
    "elasticache": (
        "AWS/ElastiCache",
        ("CacheClusterId",),
        (
            ("EngineCPUUtilization", "Average"),
            ("DatabaseMemoryUsagePercentage", "Maximum"),
            ("CurrConnections", "Maximum"),
        ),
    ),
    "amazonmq": (
        "AWS/AmazonMQ",
        ("Broker",),
        (
            ("SystemCpuUtilization", "Average"),
            ("RabbitMQDiskFree", "Minimum"),
            ("RabbitMQDiskFreeLimit", "Maximum"),
            ("ConnectionCount", "Maximum"),
        ),
    ),
    "amazonmq-queues": (
        "AWS/AmazonMQ",
        ("Broker", "VirtualHost", "Queue"),
        (("MessageCount", "Maximum"), ("ConsumerCount", "Minimum")),
    ),
}

# The dashboards' series (components/dashboards/): new entries of the same catalogue.
_DASHBOARD_METRICS = (
    Metric("container_cpu_usage_seconds_total", Exporter.KUBELET, ("namespace", "pod", "container")),
    Metric("container_memory_working_set_bytes", Exporter.KUBELET, ("namespace", "pod", "container")),
    Metric(
        "kube_pod_container_resource_requests",
        Exporter.KUBE_STATE_METRICS,
        ("namespace", "pod", "container", "resource"),
    ),
    Metric(
        "kube_pod_container_resource_limits", Exporter.KUBE_STATE_METRICS, ("namespace", "pod", "container", "resource")
    ),
    Metric(
        "rollout_info",
        Exporter.ARGO_ROLLOUTS,
        ("exported_namespace", "name", "strategy", "traffic_router", "phase"),
        "1 per Rollout; phase Healthy, Progressing, Paused, Degraded",
    ),
    Metric("rollout_info_replicas_available", Exporter.ARGO_ROLLOUTS, ("exported_namespace", "name")),
    Metric("rollout_info_replicas_desired", Exporter.ARGO_ROLLOUTS, ("exported_namespace", "name")),
)
_DASHBOARD_CLOUDWATCH = tuple(
    Metric(
        yace_name(namespace, metric, statistic),
        Exporter.CLOUDWATCH,
        ("name", *(f"dimension_{d}" for d in dimensions)),
        f"CloudWatch {namespace} {metric} ({statistic})",
    )
    for namespace, dimensions, metrics in CLOUDWATCH_JOBS.values()
    for metric, statistic in metrics
)

# The CloudWatch exporter's series, from its own configuration (YACE's naming rule, in
# components/addons/cloudwatch_exporter.py), so they cannot drift apart: every series carries ``name``
# (the resource's ARN) and its ``dimension_<Name>`` labels. The dashboards' entries above name the same
# series (a test holds them to the exporter's) with the dimensions that tell resources apart.
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

CATALOGUE: dict[str, Metric] = {
    m.name: m for m in (*_METRICS, *_CLOUDWATCH, *_NGINX_LATENCY, *_DASHBOARD_METRICS, *_DASHBOARD_CLOUDWATCH)
}


def cloudwatch(job: str, metric: str) -> str:
    """The catalogued series of a CloudWatch metric of ``job`` (KeyError if the exporter does not ask for it)."""
    namespace, _, metrics = CLOUDWATCH_JOBS[job]
    for name, statistic in metrics:
        if name == metric:
            return yace_name(namespace, metric, statistic)
    raise KeyError(f"{namespace} {metric} is not in the catalogue")
