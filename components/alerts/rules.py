"""The platform's Prometheus rules as typed data: recording rules, alerts, groups; the services' SLOs
with multi-window, multi-burn-rate alerts, and the platform's own alerts.

Pure functions of their inputs (no Pulumi): the component turns the groups into PrometheusRule objects,
the tests parse every expression.

Burn-rate windows (the SRE workbook's): an alert fires only when both its long and its short window
burn faster than the factor, so it starts fast and stops soon after the burn does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from components.alerts import promql as q
from components.alerts.metrics import CATALOGUE

Severity = Literal["page", "ticket"]
RUNBOOK = "docs/alerts.md"


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: q.Expr
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "expr": str(self.expr), **({"labels": dict(self.labels)} if self.labels else {})}


@dataclass(frozen=True)
class AlertRule:
    alert: str
    expr: q.Expr
    severity: Severity
    summary: str
    runbook: str
    for_: str = "0m"
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert,
            "expr": str(self.expr),
            "for": self.for_,
            "labels": {**self.labels, "severity": self.severity},
            "annotations": {"summary": self.summary, "runbook": self.runbook},
        }


Rule = RecordingRule | AlertRule


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]
    interval: str = "30s"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "interval": self.interval, "rules": [r.to_dict() for r in self.rules]}


@dataclass(frozen=True)
class BurnRate:
    long: str
    short: str
    factor: float
    severity: Severity


# 2 % of a 30-day budget in 1 h, 5 % in 6 h: page; 10 % in 1 d, 10 % in 3 d: ticket.
BURN_RATES = (
    BurnRate("1h", "5m", 14.4, "page"),
    BurnRate("6h", "30m", 6, "page"),
    BurnRate("1d", "2h", 3, "ticket"),
    BurnRate("3d", "6h", 1, "ticket"),
)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
ERROR_RATIO = "slo:error_ratio:rate"  # + window: the recorded share of bad events per window


@dataclass(frozen=True)
class Slo:
    """One objective: the share of good events ``objective`` of a service, from its bad and total
    event rates (functions of the window)."""

    name: str  # e.g. user-service-availability
    service: str
    objective: float
    kind: Literal["availability", "latency"]
    description: str
    bad: Callable[[str], q.Expr]  # the rate of bad events over a window
    total: Callable[[str], q.Expr]  # the rate of all events over a window


def availability_slo(service: str, namespace: str, metric: str, error: q.Matcher, objective: float) -> Slo:
    scope = (q.eq("namespace", namespace), q.eq("service", service))
    return Slo(
        name=f"{service}-availability",
        service=service,
        objective=objective,
        kind="availability",
        description=f"{objective:.2%} of {metric} succeed ({error} counts as failed)",
        bad=lambda w: q.or_zero(q.sum_(q.rate(q.selector(metric, *scope, error), w))),
        total=lambda w: q.sum_(q.rate(q.selector(metric, *scope), w)),
    )


def latency_slo(service: str, namespace: str, seconds: float, objective: float) -> Slo:
    scope = (q.eq("namespace", namespace), q.eq("service", service))
    count = "http_request_duration_seconds_count"
    bucket = "http_request_duration_seconds_bucket"

    def total(w: str) -> q.Expr:
        return q.sum_(q.rate(q.selector(count, *scope), w))

    return Slo(
        name=f"{service}-latency",
        service=service,
        objective=objective,
        kind="latency",
        description=f"{objective:.2%} of requests answered within {seconds} s",
        bad=lambda w: q.sub(total(w), q.sum_(q.rate(q.selector(bucket, *scope, q.le_matcher(seconds)), w))),
        total=total,
    )


def slo_group(slo: Slo) -> RuleGroup:
    """The recorded error ratio over every window, and the four burn-rate alerts on them."""
    labels = {"slo": slo.name, "service": slo.service}
    recorded = tuple(RecordingRule(f"{ERROR_RATIO}{w}", q.div(slo.bad(w), slo.total(w)), labels) for w in WINDOWS)
    budget = 1 - slo.objective
    ours = (q.eq("slo", slo.name),)
    alerts = []
    for burn in BURN_RATES:
        threshold = q.number(round(burn.factor * budget, 10))
        expr = q.and_(
            q.compare(q.selector(f"{ERROR_RATIO}{burn.long}", *ours), ">", threshold),
            q.compare(q.selector(f"{ERROR_RATIO}{burn.short}", *ours), ">", threshold),
        )
        alerts.append(
            AlertRule(
                alert=f"SloBurn{slo.kind.capitalize()}",
                expr=expr,
                severity=burn.severity,
                summary=(
                    f"{slo.service}: the {slo.kind} error budget burns {burn.factor}x too fast "
                    f"over {burn.long} and {burn.short} (objective: {slo.description})"
                ),
                runbook=f"{RUNBOOK}#burn-rate-alerts: find the failing requests in the service's dashboards "
                "and logs; roll back the last rollout if it started then",
                for_="2m" if burn.severity == "page" else "15m",
                labels={**labels, "window": f"{burn.long}/{burn.short}"},
            )
        )
    return RuleGroup(f"slo-{slo.name}", recorded + tuple(alerts))


def platform_group(restarts: int, certificate_days: int) -> RuleGroup:
    """Crash-looping pods, HPAs at their maximum, node pressure, certificates close to expiry."""
    pressure = q.selector(
        "kube_node_status_condition", q.regex("condition", "MemoryPressure|DiskPressure"), q.eq("status", "true")
    )
    memory = q.div(q.selector("node_memory_MemAvailable_bytes"), q.selector("node_memory_MemTotal_bytes"))
    real_fs = q.not_regex("fstype", "tmpfs|overlay|squashfs")
    disk = q.div(q.selector("node_filesystem_avail_bytes", real_fs), q.selector("node_filesystem_size_bytes", real_fs))
    expiry = q.sub(q.selector("certmanager_certificate_expiration_timestamp_seconds"), q.time())
    return RuleGroup(
        "platform",
        (
            AlertRule(
                "PodCrashLooping",
                q.compare(
                    q.increase(q.selector("kube_pod_container_status_restarts_total"), "15m"), ">", q.number(restarts)
                ),
                "page",
                "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) restarted more than "
                f"{restarts} times in 15 minutes",
                f"{RUNBOOK}#crash-looping-pods: kubectl logs --previous; kubectl describe pod (OOMKilled, probes)",
                "5m",
            ),
            AlertRule(
                "HpaAtMaximum",
                q.compare(
                    q.selector("kube_horizontalpodautoscaler_status_current_replicas"),
                    ">=",
                    q.selector("kube_horizontalpodautoscaler_spec_max_replicas"),
                ),
                "ticket",
                "{{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at its maximum for 15 minutes",
                f"{RUNBOOK}#hpa-at-maximum: raise scaling.maxReplicas or find why each pod does less",
                "15m",
            ),
            AlertRule(
                "NodePressure",
                q.compare(pressure, "==", q.number(1)),
                "page",
                "node {{ $labels.node }} reports {{ $labels.condition }}",
                f"{RUNBOOK}#node-pressure: find the pods using the node's memory or disk; the kubelet evicts",
                "5m",
            ),
            AlertRule(
                "NodeMemoryLow",
                q.compare(memory, "<", q.number(0.1)),
                "ticket",
                "{{ $labels.instance }} has less than 10% of its memory available",
                f"{RUNBOOK}#node-pressure: check requests against usage; the cluster autoscaler adds nodes",
                "15m",
            ),
            AlertRule(
                "NodeDiskLow",
                q.compare(disk, "<", q.number(0.1)),
                "ticket",
                "{{ $labels.instance }} {{ $labels.mountpoint }} has less than 10% free",
                f"{RUNBOOK}#node-pressure: images and logs fill the root volume; grow it in platform:cluster",
                "15m",
            ),
            AlertRule(
                "CertificateExpiresSoon",
                q.compare(expiry, "<", q.number(certificate_days * 86400)),
                "ticket",
                "certificate {{ $labels.namespace }}/{{ $labels.name }} expires within "
                f"{certificate_days} days",
                f"{RUNBOOK}#certificates: kubectl describe certificate; cert-manager's logs (DNS-01 challenge)",
                "1h",
            ),
        ),
    )


def edge_group(edge_error_ratio: float) -> RuleGroup:
    """Kong's and NGINX's shares of 5xx answers (all routes), and NGINX failing to load its configuration.
    NGINX's share is of the upstream responses it timed (``controller.enableLatencyMetrics``), by the
    upstream's status code: what the public entry answered for the services behind it."""
    kong = "kong_http_requests_total"
    ratio = q.div(
        q.or_zero(q.sum_(q.rate(q.selector(kong, q.regex("code", "5..")), "5m"))),
        q.sum_(q.rate(q.selector(kong), "5m")),
    )
    nginx = "nginx_ingress_controller_upstream_server_response_latency_ms_count"
    nginx_ratio = q.div(
        q.or_zero(q.sum_(q.rate(q.selector(nginx, q.regex("code", "5..")), "5m"))),
        q.sum_(q.rate(q.selector(nginx), "5m")),
    )
    return RuleGroup(
        "edge",
        (
            RecordingRule("edge:kong_5xx:ratio_rate5m", ratio),
            RecordingRule("edge:nginx_5xx:ratio_rate5m", nginx_ratio),
            AlertRule(
                "NginxErrorRatioHigh",
                q.compare(q.selector("edge:nginx_5xx:ratio_rate5m"), ">", q.number(edge_error_ratio)),
                "page",
                f"more than {edge_error_ratio:.0%} of the responses NGINX passes on from its upstreams are 5xx",
                f"{RUNBOOK}#nginx-5xx: which upstream (the latency metric's upstream and code); then Kong's ratio",
                "5m",
            ),
            AlertRule(
                "EdgeErrorRatioHigh",
                q.compare(q.selector("edge:kong_5xx:ratio_rate5m"), ">", q.number(edge_error_ratio)),
                "page",
                f"more than {edge_error_ratio:.0%} of the requests through Kong answer 5xx",
                f"{RUNBOOK}#edge-5xx: which route (kong_http_requests_total by service, route); its service's SLO",
                "5m",
            ),
            AlertRule(
                "NginxReloadFailed",
                q.compare(q.selector("nginx_ingress_controller_nginx_last_reload_status"), "==", q.number(0)),
                "page",
                "NGINX's last configuration reload failed; new Ingress changes are not served",
                f"{RUNBOOK}#nginx-reload: the controller's logs name the Ingress that broke the configuration",
                "5m",
            ),
        ),
    )


def recorded_names(groups: tuple[RuleGroup, ...]) -> frozenset[str]:
    return frozenset(r.record for g in groups for r in g.rules if isinstance(r, RecordingRule))


def known_metrics(groups: tuple[RuleGroup, ...]) -> frozenset[str]:
    """What an expression may name: the catalogue and the recorded series."""
    return frozenset(CATALOGUE) | recorded_names(groups)
