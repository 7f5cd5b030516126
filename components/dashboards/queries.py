"""The dashboards' PromQL, built with the alerts' typed builders (``components/alerts/promql.py``) plus
the few functions only dashboards use. Every series named here is in the catalogue
(``components/alerts/metrics.py``) or recorded by the alert rules; the tests parse each expression.

A service's series carry ``namespace`` and ``service`` (the Kubernetes Service the ServiceMonitor
scraped through: ``<name>`` for the active colour, ``<name>-preview`` for the one being rolled out) and
``rollouts_pod_template_hash`` (the colour, from the ServiceMonitor's podTargetLabels).
"""

from __future__ import annotations

import re
from typing import Literal

from components.alerts import promql as q
from components.alerts.metrics import cloudwatch
from infra.config.services import ServiceConfig

WINDOW = "5m"  # the rate window of every panel (Prometheus scrapes every 30 s: ten samples)
COLOUR = "rollouts_pod_template_hash"
_WINDOW = re.compile(r"^\d+[smhdw]$")
Aggregation = Literal["sum", "max", "min", "avg", "count"]


def agg(op: Aggregation, vector: q.Expr, by: tuple[str, ...] = ()) -> q.Expr:
    if op == "sum":
        return q.sum_(vector, by)
    grouping = f" by ({', '.join(by)})" if by else ""
    return q.Expr(f"{op}{grouping} ({vector})")


def histogram_quantile(quantile: float, buckets: q.Expr) -> q.Expr:
    """The ``quantile`` of a histogram whose bucket rates are summed by ``le`` (and whatever else)."""
    if not 0 < quantile < 1:
        raise ValueError(f"a quantile is between 0 and 1, not {quantile}")
    return q.Expr(f"histogram_quantile({quantile}, {buckets})")


def avg_over_time(vector: q.Expr, window: str) -> q.Expr:
    if not _WINDOW.match(window):
        raise ValueError(f"{window!r} is not a PromQL duration like 5m")
    return q.Expr(f"avg_over_time({vector}[{window}])")


def scale(vector: q.Expr, factor: float) -> q.Expr:
    return q.Expr(f"({vector}) * {q.number(factor)}")


def service_scope(namespace: str, name: str, preview: bool = False) -> tuple[q.Matcher, ...]:
    """A service's series through its active Service (what its users reach, what the SLOs read) or its
    preview Service. Both select the same pods once a colour is promoted, so each pod is scraped twice:
    never sum the two."""
    return (q.eq("namespace", namespace), q.eq("service", f"{name}-preview" if preview else name))


def container_scope(namespace: str, name: str) -> tuple[q.Matcher, ...]:
    """The service's containers (the container is named after the service in both colours)."""
    return (q.eq("namespace", namespace), q.eq("container", name))


def request_rate(
    namespace: str, name: str, svc: ServiceConfig, by: tuple[str, ...] = (COLOUR,), preview: bool = False
) -> q.Expr:
    """What the service does per second: requests (web) or finished tasks (workers), by colour."""
    return q.sum_(q.rate(q.selector(svc.error_metric, *service_scope(namespace, name, preview)), WINDOW), by)


def error_ratio(
    namespace: str, name: str, svc: ServiceConfig, by: tuple[str, ...] = (), preview: bool = False
) -> q.Expr:
    """The share of the service's events its error selector counts as failed (the SLO's reading)."""
    scope = service_scope(namespace, name, preview)
    bad = q.sum_(q.rate(q.selector(svc.error_metric, *scope, q.Matcher.parse(svc.error_selector)), WINDOW), by)
    total = q.sum_(q.rate(q.selector(svc.error_metric, *scope), WINDOW), by)
    return q.div(q.or_zero(bad) if not by else bad, total)


def latency_quantile(namespace: str, name: str, quantile: float) -> q.Expr:
    buckets = q.selector("http_request_duration_seconds_bucket", *service_scope(namespace, name))
    return histogram_quantile(quantile, q.sum_(q.rate(buckets, WINDOW), ("le",)))


def cpu_of_requests(namespace: str, name: str) -> q.Expr:
    """CPU used over CPU requested by the service's containers (what the HPA scales on)."""
    scope = container_scope(namespace, name)
    used = q.sum_(q.rate(q.selector("container_cpu_usage_seconds_total", *scope), WINDOW))
    requested = q.sum_(q.selector("kube_pod_container_resource_requests", *scope, q.eq("resource", "cpu")))
    return q.div(used, requested)


def memory_of_limits(namespace: str, name: str) -> q.Expr:
    """Working set over the memory limit, the fullest container (the one the kernel kills first)."""
    scope = container_scope(namespace, name)
    used = agg("max", q.selector("container_memory_working_set_bytes", *scope), ("pod",))
    limit = agg("max", q.selector("kube_pod_container_resource_limits", *scope, q.eq("resource", "memory")), ("pod",))
    return agg("max", q.div(used, limit))


def hpa(metric: Literal["current", "max"], namespace: str, name: str) -> q.Expr:
    series = (
        "kube_horizontalpodautoscaler_status_current_replicas"
        if metric == "current"
        else "kube_horizontalpodautoscaler_spec_max_replicas"
    )
    return q.selector(series, q.eq("namespace", namespace), q.eq("horizontalpodautoscaler", name))


def restarts(namespace: str, name: str) -> q.Expr:
    return q.sum_(
        q.increase(q.selector("kube_pod_container_status_restarts_total", *container_scope(namespace, name)), "15m")
    )


def rollout(series: str, namespace: str, name: str) -> q.Expr:
    """An Argo Rollouts series of the service's Rollout: the controller's ServiceMonitor scrapes it in
    the controller's namespace, so the Rollout's own namespace is ``exported_namespace``."""
    return q.selector(series, q.eq("exported_namespace", namespace), q.eq("name", name))


def rollout_phase(namespace: str, name: str) -> q.Expr:
    return agg("max", rollout("rollout_info", namespace, name), ("phase",))


def datastore(job: str, metric: str, matcher: q.Matcher) -> q.Expr:
    """A CloudWatch metric as the CloudWatch exporter exports it, for the resources ``matcher`` selects."""
    return q.selector(cloudwatch(job, metric), matcher)
