"""The SLOs' error budgets, from the alert rules' recorded series (``slo:error_ratio:rate<window>``,
labelled ``slo`` and ``service``): per objective the budget left over the budget period, the error ratio
over each recorded window against the budget, and the burn rates the alerts page on (1 h and 6 h
against 14.4 and 6; 1 d and 3 d against 3 and 1 open tickets)."""

from __future__ import annotations

from collections.abc import Sequence

from components.alerts import promql as q
from components.alerts.rules import BURN_RATES, ERROR_RATIO, Slo
from components.dashboards import queries as pq
from components.dashboards.grafana import Board, Query, Section, board, stat_panel, timeseries_panel

UID = "platform-slos"
BUDGET_DAYS = 30  # the period an objective's error budget is counted over (the burn rates assume it)


def budget_window(retention_days: int) -> str:
    """The budget period, or what Prometheus keeps of it when it keeps less."""
    return f"{min(BUDGET_DAYS, retention_days)}d"


def _ratio(slo: Slo, window: str) -> q.Expr:
    return pq.agg("max", q.selector(f"{ERROR_RATIO}{window}", q.eq("slo", slo.name)))


def slo_section(slo: Slo, retention_days: int) -> Section:
    budget = round(1 - slo.objective, 10)
    period = budget_window(retention_days)
    # The hourly ratios' mean over the period: the period's ratio when traffic is even through it.
    spent = q.div(avg_over(slo, period), q.number(budget))
    return Section(
        f"{slo.name}: {slo.description}",
        (
            stat_panel(
                f"Budget left ({period})",
                Query(q.one_minus(spent), "left"),
                unit="percentunit",
                base="red",
                thresholds=((0.25, "orange"), (0.5, "green")),
                width=4,
                height=8,
                description=f"1 - (mean of the 1 h error ratio over {period}) / {budget}",
            ),
            timeseries_panel(
                "Error ratio by window",
                *(Query(_ratio(slo, w), w) for w in ("5m", "1h", "6h", "1d")),
                unit="percentunit",
                width=10,
                thresholds=((budget, "red"),),
                description=f"the budget: {budget:.4%} of events may fail",
            ),
            timeseries_panel(
                "Burn rate (long windows)",
                *(
                    Query(q.div(_ratio(slo, b.long), q.number(budget)), f"{b.long} ({b.severity} at {b.factor}x)")
                    for b in BURN_RATES
                ),
                width=10,
                thresholds=((1, "orange"), (6, "red")),
                description="1: the budget lasts exactly the period; the alerts fire when the short window agrees",
            ),
        ),
    )


def avg_over(slo: Slo, window: str) -> q.Expr:
    return pq.agg("max", pq.avg_over_time(q.selector(f"{ERROR_RATIO}1h", q.eq("slo", slo.name)), window))


def slos_board(slos: Sequence[Slo], retention_days: int, datasource_uid: str, folder: str) -> Board:
    return board(
        uid=UID,
        title="Platform / SLOs and error budgets",
        description="each objective's error budget, error ratio by window and burn rates (the alerts' inputs)",
        tags=("platform", "slo"),
        sections=tuple(slo_section(s, retention_days) for s in slos),
        datasource_uid=datasource_uid,
        folder=folder,
    )
