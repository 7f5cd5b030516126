"""The dashboards: every expression parses with a real PromQL parser and names only catalogued or
recorded series; each dashboard is a valid Grafana model (unique uid of at most 40 characters, a title,
panels on the 24-column grid without overlap, every panel and query on the provisioned datasource,
schemaVersion, a JSON round trip through Grafana's own model); one per configured service, a fourth
service included with no code change; the ConfigMaps carry the sidecar's label and folder annotation."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel

from components.addons.kube_prometheus_stack import DASHBOARD_LABEL, DASHBOARD_LABEL_VALUE, KubePrometheusStackSettings
from components.alerts import promql as q
from components.alerts.component import rule_groups
from components.alerts.metrics import CATALOGUE, Exporter, yace_name
from components.alerts.rules import known_metrics
from components.contracts import DashboardSink
from components.dashboards.component import Dashboards, DashboardsArgs, build_boards
from components.dashboards.datastores import DatastoreNames
from components.dashboards.grafana import GRID_COLUMNS, UID_MAX, Board, Query, Section, board, expressions
from components.dashboards.grafana import timeseries_panel as ts
from components.dashboards.service import service_uid
from infra.config import PlatformConfig, build_config
from tests.support import build, metric_names, of_type

NAMES = DatastoreNames(
    "platform-dev-postgres", "platform-dev-redis", "platform-dev-documentdb", "platform-dev-rabbitmq"
)
PROVISIONED_UID = KubePrometheusStackSettings("grafana-admin", "gp3").values()["grafana"]["sidecar"]["datasources"][
    "uid"
]
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


def boards_of(cfg: PlatformConfig, edge: bool = True) -> tuple[Board, ...]:
    return build_boards(
        cfg.services.enabled, cfg.alerts, "apps", NAMES, edge, cfg.monitoring.retention_days, PROVISIONED_UID
    )


def config(environment: str, **extra: Any) -> PlatformConfig:
    return build_config({"environment": environment, **extra})


def check_metrics(boards: Iterable[Board], known: frozenset[str]) -> None:
    """Every expression parses (ValueError if not) and names only ``known`` series."""
    for b in boards:
        for expr in expressions(b.model):
            unknown = metric_names(expr) - known
            if unknown:
                raise AssertionError(f"{b.uid}: {sorted(unknown)} exported by nothing in the platform")


def panels(model: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for top in model["panels"] for p in [top, *top.get("panels", [])]]


def check_model(b: Board, datasource_uid: str) -> None:
    """What Grafana needs of a provisioned dashboard (AssertionError naming the fault)."""
    model = b.model
    assert model["uid"] == b.uid and 0 < len(b.uid) <= UID_MAX, f"uid {b.uid!r}"
    assert model["title"], f"{b.uid}: no title"
    assert isinstance(model["schemaVersion"], int) and model["schemaVersion"] >= 39, f"{b.uid}: schemaVersion"
    occupied: dict[tuple[int, int], int] = {}
    ids = [p["id"] for p in panels(model)]
    assert len(ids) == len(set(ids)), f"{b.uid}: panel ids repeat"
    for p in panels(model):
        g = p["gridPos"]
        assert g["x"] >= 0 and g["y"] >= 0 and g["w"] >= 1 and g["h"] >= 1, f"{b.uid} {p['title']}: {g}"
        assert g["x"] + g["w"] <= GRID_COLUMNS, f"{b.uid} {p['title']}: beyond {GRID_COLUMNS} columns ({g})"
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in occupied, f"{b.uid} {p['title']}: overlaps panel {occupied[(x, y)]}"
                occupied[(x, y)] = p["id"]
        if p["type"] == "row":
            continue
        assert p["title"], f"{b.uid}: a panel without a title"
        assert p["datasource"] == {"type": "prometheus", "uid": datasource_uid}, f"{b.uid} {p['title']}"
        assert p["targets"], f"{b.uid} {p['title']}: no query"
        for t in p["targets"]:
            assert t["datasource"] == p["datasource"] and t["expr"] and t["refId"], f"{b.uid} {p['title']}: {t}"


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_expression_parses_and_names_only_exported_or_recorded_series(environment: str) -> None:
    cfg = config(environment)
    known = known_metrics(rule_groups(cfg.alerts, cfg.services.enabled, "apps", edge=True))
    check_metrics(boards_of(cfg), known)


def test_the_metric_check_catches_a_broken_expression_and_an_unknown_metric() -> None:
    def one(expr: str) -> Board:
        return board("x", "x", "", (), (Section("s", (ts("p", Query(q.Expr(expr))),)),), PROVISIONED_UID, "f")

    with pytest.raises(ValueError):
        check_metrics([one("sum(rate(http_requests_total[5m])")], frozenset(CATALOGUE))
    with pytest.raises(AssertionError, match="http_requests_totl"):
        check_metrics([one("rate(http_requests_totl[5m])")], frozenset(CATALOGUE))


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_each_dashboard_is_a_valid_grafana_model_on_the_provisioned_datasource(environment: str) -> None:
    boards = boards_of(config(environment))
    uids = [b.uid for b in boards]
    assert len(uids) == len(set(uids)), uids
    for b in boards:
        check_model(b, PROVISIONED_UID)


def test_the_model_check_catches_overlap_overflow_and_a_foreign_datasource() -> None:
    good = boards_of(config("dev"))[0]
    check_model(good, PROVISIONED_UID)
    overlapping = copy.deepcopy(good.model)
    first, second = _two(overlapping)
    second["gridPos"] = dict(first["gridPos"])
    with pytest.raises(AssertionError, match="overlaps"):
        check_model(Board(good.uid, good.title, good.folder, overlapping), PROVISIONED_UID)
    wide = copy.deepcopy(good.model)
    _two(wide)[0]["gridPos"]["w"] = GRID_COLUMNS + 1
    with pytest.raises(AssertionError, match="beyond 24 columns"):
        check_model(Board(good.uid, good.title, good.folder, wide), PROVISIONED_UID)
    with pytest.raises(AssertionError):
        check_model(good, "some-other-datasource")
    with pytest.raises(ValueError, match="1 to 40"):
        board("u" * 41, "t", "", (), (), PROVISIONED_UID, "f")


def _two(model: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in model["panels"] if p["type"] != "row"][:2]


def test_each_dashboard_survives_a_json_round_trip_through_grafanas_model() -> None:
    register_default_plugins()  # so panels and queries decode into their own types
    for b in boards_of(config("prod")):
        text = b.json()
        assert json.loads(text) == b.model
        decoded = json.loads(JSONEncoder(sort_keys=True).encode(DashboardModel.from_json(json.loads(text))))
        # Decoding fills in an empty fieldConfig.defaults.custom; nothing else may differ.
        for p in panels(decoded):
            if p.get("fieldConfig", {}).get("defaults", {}).get("custom") == {}:
                del p["fieldConfig"]["defaults"]["custom"]
        assert decoded == b.model, b.uid


def test_a_dashboard_per_configured_service() -> None:
    cfg = config("prod")
    uids = {b.uid for b in boards_of(cfg)}
    assert {service_uid(n) for n in cfg.services.enabled} <= uids
    assert {"platform-overview", "platform-edge", "platform-queue", "platform-datastores", "platform-slos"} <= uids
    assert len(uids) == len(cfg.services.enabled) + 5
    assert "platform-edge" not in {b.uid for b in boards_of(cfg, edge=False)}


def test_a_fourth_service_in_config_gets_its_dashboard_with_no_code_change() -> None:
    fourth = {"runtime": "go", "port": 8003, "datastores": ["redis"], "image": {"blue": "0.1.0"}}
    cfg = config("dev", services={"deployments": {"notifications": fourth}})
    assert len(cfg.services.enabled) == 4
    boards = {b.uid: b for b in boards_of(cfg)}
    notifications = boards[service_uid("notifications")]
    exprs = expressions(notifications.model)
    assert any('namespace="apps",service="notifications"' in e for e in exprs)
    assert any('service="notifications-preview"' in e for e in exprs)
    assert any('name="notifications"' in e and "rollout_info" in e for e in exprs)
    slo_titles = [p["title"] for p in boards["platform-slos"].model["panels"] if p["type"] == "row"]
    assert any(t.startswith("notifications-availability") for t in slo_titles)
    assert any(t.startswith("notifications-latency") for t in slo_titles)
    check_model(notifications, PROVISIONED_UID)


def test_service_panels_cover_rate_errors_duration_saturation_and_rollout() -> None:
    boards = {b.uid: b for b in boards_of(config("prod"))}
    web = " ".join(expressions(boards[service_uid("user-service")].model))
    for series in (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "container_cpu_usage_seconds_total",
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "rollout_info",
    ):
        assert series in web, series
    assert 'rollout_info{exported_namespace="apps",name="user-service"}' in web  # the controller's scrape
    worker = " ".join(expressions(boards[service_uid("data-processing")].model))
    assert "celery_tasks_total" in worker and "http_request_duration_seconds_bucket" not in worker


def test_long_service_names_keep_distinct_uids_within_grafanas_limit() -> None:
    a, b = "a" * 39 + "x", "a" * 39 + "y"
    assert service_uid("user-service") == "platform-svc-user-service"
    assert len(service_uid(a)) <= UID_MAX and len(service_uid(b)) <= UID_MAX
    assert service_uid(a) != service_uid(b)


def test_cloudwatch_series_are_named_as_the_cloudwatch_exporter_names_them() -> None:
    assert yace_name("AWS/RDS", "CPUUtilization", "Average") == "aws_rds_cpuutilization_average"
    assert yace_name("AWS/RDS", "FreeStorageSpace", "Average") == "aws_rds_free_storage_space_average"
    assert yace_name("AWS/ElastiCache", "EngineCPUUtilization", "Maximum") == (
        "aws_elasticache_engine_cpuutilization_maximum"
    )
    assert yace_name("AWS/DocDB", "VolumeBytesUsed", "Average") == "aws_docdb_volume_bytes_used_average"
    assert yace_name("AWS/AmazonMQ", "RabbitMQDiskFree", "Minimum") == "aws_amazonmq_rabbit_mqdisk_free_minimum"
    assert yace_name("Glue", "glue.driver.aggregate.bytesRead", "Sum") == "aws_glue_driver_aggregate_bytes_read_sum"
    assert CATALOGUE["aws_rds_cpuutilization_average"].exporter is Exporter.CLOUDWATCH
    assert CATALOGUE["aws_amazonmq_message_count_maximum"].labels == (
        "name",
        "dimension_Broker",
        "dimension_VirtualHost",
        "dimension_Queue",
    )


def test_the_datastores_board_selects_the_platforms_resources_by_dimension() -> None:
    model = {b.uid: b for b in boards_of(config("dev"))}["platform-datastores"].model
    text = " ".join(expressions(model))
    assert 'aws_rds_cpuutilization_average{dimension_DBInstanceIdentifier="platform-dev-postgres"}' in text
    assert 'dimension_CacheClusterId=~"platform-dev-redis-[0-9]+(-[0-9]+)?"' in text
    assert 'dimension_DBInstanceIdentifier=~"platform-dev-documentdb-[0-9]+"' in text
    assert 'dimension_Broker=~"platform-dev-rabbitmq(-[0-9]+)?"' in text


def test_the_slo_board_reads_the_recorded_error_ratios_against_each_budget() -> None:
    cfg = config("prod")
    model = {b.uid: b for b in boards_of(cfg)}["platform-slos"].model
    text = " ".join(expressions(model))
    objective = cfg.alerts.availability_of("user-service")
    assert 'slo:error_ratio:rate1h{slo="user-service-availability"}' in text
    assert f"/ ({round(1 - objective, 10)})" in text
    assert "avg_over_time(slo:error_ratio:rate1h" in text and "[30d]" in text
    dev = " ".join(expressions({b.uid: b for b in boards_of(config("dev"))}["platform-slos"].model))
    assert f"[{config('dev').monitoring.retention_days}d]" in dev  # no more history than Prometheus keeps


def test_the_component_makes_one_labelled_configmap_per_dashboard_in_the_sinks_namespace() -> None:
    import pulumi_kubernetes as k8s

    cfg = config("prod")

    def program() -> None:
        Dashboards(
            "dashboards",
            DashboardsArgs(
                services=cfg.services.enabled,
                alerts=cfg.alerts,
                service_namespace="apps",
                sink=DashboardSink("monitoring", DASHBOARD_LABEL, DASHBOARD_LABEL_VALUE, "grafana_folder", "prom"),
                datastores=NAMES,
                retention_days=30,
                kubernetes_provider=k8s.Provider("k8s"),
                edge=True,
            ),
        )

    maps = of_type(build(program), CONFIGMAP)
    assert len(maps) == len(cfg.services.enabled) + 5
    for cm in maps:
        meta = cm["inputs"]["metadata"]
        assert meta["namespace"] == "monitoring"
        assert meta["labels"][DASHBOARD_LABEL] == DASHBOARD_LABEL_VALUE
        assert meta["annotations"] == {"grafana_folder": "Platform"}
        [(key, text)] = cm["inputs"]["data"].items()
        model = json.loads(text)
        assert key == f"{model['uid']}.json" and meta["name"] == f"dashboard-{model['uid']}"
        assert all(p["datasource"]["uid"] == "prom" for p in panels(model) if p["type"] != "row")
        assert len(text.encode()) < 1024 * 1024


def test_the_sidecar_files_dashboards_by_their_folder_annotation() -> None:
    sidecar = KubePrometheusStackSettings("grafana-admin", "gp3").values()["grafana"]["sidecar"]["dashboards"]
    assert sidecar["label"] == DASHBOARD_LABEL and sidecar["labelValue"] == DASHBOARD_LABEL_VALUE
    assert sidecar["folderAnnotation"] == "grafana_folder"
    assert sidecar["provider"]["foldersFromFilesStructure"] is True


def test_a_dashboard_too_large_for_a_configmap_is_refused() -> None:
    from components.dashboards.component import CONFIGMAP_LIMIT, _data

    assert _data("{}", "u") == {"u.json": "{}"}
    with pytest.raises(ValueError, match="at most 1 MiB"):
        _data("x" * (CONFIGMAP_LIMIT + 1), "u")
