"""The alert and SLO rules: every expression parses with a real PromQL parser and names only
catalogued metrics or recorded series; labels and annotations an on-call engineer needs; the burn-rate
thresholds follow the objectives; the checker itself catches a broken expression and an unknown metric."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from components.alerts import promql as q
from components.alerts.component import rule_groups
from components.alerts.metrics import CATALOGUE
from components.alerts.rules import BURN_RATES, AlertRule, RecordingRule, RuleGroup, known_metrics
from infra.config import build_config
from infra.config.alerts import AlertsConfig
from infra.config.errors import ConfigError
from tests.support import metric_names


def check(groups: Iterable[RuleGroup]) -> None:
    """Every rule's expression parses and names only known series."""
    groups = tuple(groups)
    known = known_metrics(groups)
    for group in groups:
        for rule in group.rules:
            unknown = metric_names(str(rule.expr)) - known
            if unknown:
                raise AssertionError(f"{group.name}: {sorted(unknown)} exported by nothing in the platform")


def groups_of(environment: str) -> tuple[RuleGroup, ...]:
    cfg = build_config({"environment": environment})
    return rule_groups(cfg.alerts, cfg.services.enabled, "apps", edge=True)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_expression_parses_and_names_only_exported_metrics(environment: str) -> None:
    check(groups_of(environment))


def test_the_checker_catches_a_broken_expression_and_an_unknown_metric() -> None:
    broken = RuleGroup("bad", (RecordingRule("x:y:rate5m", q.Expr("sum(rate(http_requests_total[5m])")),))
    with pytest.raises(ValueError):
        check([broken])
    unknown = RuleGroup("bad", (RecordingRule("x:y:rate5m", q.rate(q.selector("http_requests_totl"), "5m")),))
    with pytest.raises(AssertionError, match="http_requests_totl"):
        check([unknown])


def test_metric_names_walks_nested_selectors() -> None:
    expr = q.div(q.or_zero(q.sum_(q.rate(q.selector("a_total", q.eq("x", "1")), "5m"))), q.selector("b"))
    assert metric_names(expr) == {"a_total", "b"}


def test_alerts_carry_severity_summary_and_runbook() -> None:
    alerts = [r for g in groups_of("prod") for r in g.rules if isinstance(r, AlertRule)]
    assert alerts
    for alert in alerts:
        rendered = alert.to_dict()
        assert rendered["labels"]["severity"] in ("page", "ticket")
        assert rendered["annotations"]["summary"] and rendered["annotations"]["runbook"].startswith("docs/alerts.md#")


def test_each_service_has_four_burn_rate_alerts_per_slo_and_web_services_a_latency_slo() -> None:
    names = {g.name for g in groups_of("prod")}
    assert {
        "slo-user-service-availability",
        "slo-user-service-latency",
        "slo-analytics-availability",
        "slo-analytics-latency",
        "slo-data-processing-availability",
    } <= names
    assert "slo-data-processing-latency" not in names  # a worker has no request latency
    for group in (g for g in groups_of("prod") if g.name.startswith("slo-")):
        alerts = [r for r in group.rules if isinstance(r, AlertRule)]
        assert [a.labels["window"] for a in alerts] == [f"{b.long}/{b.short}" for b in BURN_RATES]


def test_burn_rate_thresholds_follow_the_objective() -> None:
    prod = {g.name: g for g in groups_of("prod")}
    alerts = [r for r in prod["slo-user-service-availability"].rules if isinstance(r, AlertRule)]
    assert "> 0.0144" in alerts[0].expr and alerts[0].severity == "page"  # 14.4 x 0.1 %
    assert "> 0.001" in alerts[3].expr and alerts[3].severity == "ticket"  # 1 x over 3 d / 6 h


def test_the_workers_slo_reads_their_task_metric() -> None:
    prod = {g.name: g for g in groups_of("prod")}
    recorded = [r for r in prod["slo-data-processing-availability"].rules if isinstance(r, RecordingRule)]
    assert metric_names(recorded[0].expr) == {"celery_tasks_total"}
    assert 'state="FAILURE"' in recorded[0].expr


def test_per_service_overrides_and_unknown_services() -> None:
    cfg = build_config({"environment": "prod", "alerts": {"services": {"analytics": {"availability": 0.99}}}})
    assert cfg.alerts.availability_of("analytics") == 0.99
    assert cfg.alerts.availability_of("user-service") == 0.999
    with pytest.raises(ConfigError, match=r"alerts\.services\.nope"):
        build_config({"environment": "prod", "alerts": {"services": {"nope": {"availability": 0.99}}}})


def test_latency_threshold_must_be_a_histogram_bucket() -> None:
    with pytest.raises(ValueError, match="bucket"):
        AlertsConfig(latency_seconds=0.3)


def test_le_matcher_accepts_both_spellings_of_whole_seconds() -> None:
    assert str(q.le_matcher(1.0)) == 'le=~"1(\\\\.0)?"'
    assert str(q.le_matcher(0.5)) == 'le="0.5"'


def test_the_catalogue_names_who_exports_each_metric() -> None:
    assert all(m.exporter is not None for m in CATALOGUE.values())
    assert "kong_http_requests_total" in CATALOGUE and "code" in CATALOGUE["kong_http_requests_total"].labels
