"""Small helpers over Grafana's own builders (grafana-foundation-sdk): panels as typed specs, laid out
on the 24-column grid in sections (a row title and its panels, left to right, wrapping), every panel and
query on one named datasource, and the finished dashboard as the JSON model Grafana loads.

Pure functions: no Pulumi. The boards (one module each) say what to show; this module says how.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.common import DataSourceRef

from components.alerts import promql as q

GRID_COLUMNS = 24  # Grafana's grid is 24 columns wide
UID_MAX = 40  # Grafana refuses longer dashboard uids
DATASOURCE_TYPE = "prometheus"
REFRESH = "1m"
TIME_FROM = "now-6h"
PLATFORM_TAG = "platform"  # every board carries it; each board's header links to the others by it


@dataclass(frozen=True)
class Query:
    expr: q.Expr
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    """One panel: a time series or a single stat, its queries, unit and size on the grid."""

    title: str
    queries: tuple[Query, ...]
    kind: Literal["timeseries", "stat"] = "timeseries"
    unit: str = "short"
    width: int = 12
    height: int = 8
    description: str = ""
    thresholds: tuple[tuple[float, str], ...] = ()  # (from value, colour) above the base colour
    base: str = "green"  # the colour below the first threshold
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.width <= GRID_COLUMNS:
            raise ValueError(f"{self.title}: a panel is 1 to {GRID_COLUMNS} columns wide, not {self.width}")
        if not self.queries:
            raise ValueError(f"{self.title}: a panel needs a query")


@dataclass(frozen=True)
class Section:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Board:
    """A finished dashboard: where it is filed and its JSON model."""

    uid: str
    title: str
    folder: str
    model: dict[str, Any] = field(hash=False, compare=False)

    def json(self) -> str:
        return json.dumps(self.model, sort_keys=True, separators=(",", ":"))


def timeseries_panel(title: str, *queries: Query, **options: Any) -> Panel:
    return Panel(title, tuple(queries), "timeseries", **options)


def stat_panel(title: str, *queries: Query, **options: Any) -> Panel:
    return Panel(
        title, tuple(queries), "stat", width=options.pop("width", 6), height=options.pop("height", 4), **options
    )


def _thresholds(panel: Panel) -> gd.ThresholdsConfig:
    steps = [model.Threshold(value=None, color=panel.base)]
    steps += [model.Threshold(value=value, color=colour) for value, colour in panel.thresholds]
    return gd.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps)


def _build_panel(panel: Panel, panel_id: int, grid: model.GridPos, source: DataSourceRef) -> Any:
    builder: Any = timeseries.Panel() if panel.kind == "timeseries" else stat.Panel()
    builder = (
        builder.id(panel_id)
        .title(panel.title)
        .datasource(source)
        .grid_pos(grid)
        .unit(panel.unit)
        .thresholds(_thresholds(panel))
    )
    if panel.description:
        builder = builder.description(panel.description)
    if panel.minimum is not None:
        builder = builder.min(panel.minimum)
    if panel.maximum is not None:
        builder = builder.max(panel.maximum)
    for index, query in enumerate(panel.queries):
        target = prometheus.Dataquery().expr(str(query.expr)).ref_id(chr(ord("A") + index)).datasource(source)
        if query.legend:
            target = target.legend_format(query.legend)
        builder = builder.with_target(target)
    return builder


def board(
    uid: str,
    title: str,
    description: str,
    tags: Sequence[str],
    sections: Sequence[Section],
    datasource_uid: str,
    folder: str,
) -> Board:
    """The dashboard: each section a row across the grid, its panels placed left to right and wrapped
    at 24 columns, every panel and query on the datasource ``datasource_uid``."""
    if not uid or len(uid) > UID_MAX:
        raise ValueError(f"dashboard uid {uid!r} must be 1 to {UID_MAX} characters")
    tags = (PLATFORM_TAG, *(t for t in tags if t != PLATFORM_TAG))
    source = DataSourceRef(type_val=DATASOURCE_TYPE, uid=datasource_uid)
    builder = (
        gd.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(list(tags))
        .timezone("utc")
        .time(TIME_FROM, "now")
        .refresh(REFRESH)
        .readonly()  # provisioned from code: a change in the UI would be lost on the next load
        # Every board of the platform one click away, the time range kept.
        .link(
            gd.DashboardLink("Platform")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags([PLATFORM_TAG])
            .as_dropdown(True)
            .keep_time(True)
        )
    )
    y, panel_id = 0, 1
    for section in sections:
        builder = builder.with_row(
            gd.Row(section.title).id(panel_id).grid_pos(model.GridPos(h=1, w=GRID_COLUMNS, x=0, y=y))
        )
        panel_id += 1
        y += 1
        x, line_height = 0, 0
        for panel in section.panels:
            if x + panel.width > GRID_COLUMNS:
                x, y, line_height = 0, y + line_height, 0
            grid = model.GridPos(h=panel.height, w=panel.width, x=x, y=y)
            builder = builder.with_panel(_build_panel(panel, panel_id, grid, source))
            panel_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    built = builder.build()
    rendered: dict[str, Any] = json.loads(JSONEncoder(sort_keys=True).encode(built))
    return Board(uid=uid, title=title, folder=folder, model=rendered)


def expressions(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard's JSON model (rows' nested panels included)."""
    found: list[str] = []
    for panel in dashboard.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            found += [t["expr"] for t in inner.get("targets", []) if "expr" in t]
    return found
