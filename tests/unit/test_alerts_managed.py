"""The alerts on the datastores, the queues, the backups and NGINX's 5xx: every expression parses and
names only catalogued series (the CloudWatch exporter's among them, named by YACE's own rule), and the
thresholds follow platform:alerts and platform:backups."""

from __future__ import annotations

import pytest

from components.addons.cloudwatch_exporter import exported_series, metric_name
from components.alerts.aws_rules import AGE, BackupWindows, ManagedServices
from components.alerts.component import rule_groups
from components.alerts.metrics import CATALOGUE, Exporter
from components.alerts.rules import AlertRule, RuleGroup
from infra.config import build_config
from infra.config.errors import ConfigError
from tests.support import metric_names
from tests.unit.test_alerts import check


def groups_of(environment: str, **alerts: object) -> dict[str, RuleGroup]:
    cfg = build_config({"environment": environment, **({"alerts": alerts} if alerts else {})})
    managed = ManagedServices(BackupWindows.of(cfg.backups), cfg.datastores.postgres.allocated_storage_gib)
    return {g.name: g for g in rule_groups(cfg.alerts, cfg.services.enabled, "apps", edge=True, managed=managed)}


def alerts(group: RuleGroup, name: str) -> list[AlertRule]:
    return [r for r in group.rules if isinstance(r, AlertRule) and r.alert == name]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_expression_parses_and_names_only_exported_metrics(environment: str) -> None:
    check(groups_of(environment).values())


def test_yace_names_series_as_its_own_tests_say() -> None:
    # Cases of YACE's pkg/promutil BuildMetricName tests (v0.67.0).
    assert metric_name("AWS/ElastiCache", "CPUUtilization", "Average") == "aws_elasticache_cpuutilization_average"
    assert (
        metric_name("/aws/sagemaker/TrainingJobs", "CPUUtilization", "Average")
        == "aws_sagemaker_trainingjobs_cpuutilization_average"
    )
    assert (
        metric_name("Glue", "glue.driver.aggregate.bytesRead", "Average")
        == "aws_glue_driver_aggregate_bytes_read_average"
    )
    assert (
        metric_name("Glue", "aggregate.glue.jobs.bytesRead", "Average")
        == "aws_glue_aggregate_glue_jobs_bytes_read_average"
    )
    # And the platform's own namespace, which has no aws prefix of its own.
    assert metric_name("Platform/Backups", "RecoveryPointAgeSeconds", "Maximum") == AGE


def test_the_catalogue_holds_exactly_the_exporters_series() -> None:
    cloudwatch = {name for name, m in CATALOGUE.items() if m.exporter is Exporter.CLOUDWATCH}
    assert cloudwatch == set(exported_series())
    assert "aws_amazonmq_message_count_maximum" in cloudwatch
    assert "dimension_Queue" in CATALOGUE["aws_amazonmq_message_count_maximum"].labels


def test_prod_alerts_on_nginx_datastores_queues_and_backups() -> None:
    prod = groups_of("prod")
    assert {"datastores", "queues", "backups", "edge"} <= set(prod)
    assert alerts(prod["edge"], "NginxErrorRatioHigh")
    assert {a.labels["engine"] for a in alerts(prod["datastores"], "DatastoreCpuHigh")} == {
        "postgres",
        "documentdb",
        "redis",
        "rabbitmq",
    }
    assert {a.labels["engine"] for a in alerts(prod["datastores"], "DatastoreStorageLow")} == {
        "postgres",
        "redis",
        "rabbitmq",
    }
    assert len(alerts(prod["datastores"], "DatastoreConnectionsHigh")) == 4
    assert alerts(prod["queues"], "CeleryBacklogGrowing") and alerts(prod["queues"], "CeleryQueueWithoutConsumers")
    assert len(alerts(prod["backups"], "BackupOlderThanRpo")) == 2


def test_nginx_ratio_counts_5xx_upstream_responses() -> None:
    edge = groups_of("prod")["edge"]
    (recorded,) = [r for r in edge.rules if getattr(r, "record", "") == "edge:nginx_5xx:ratio_rate5m"]
    assert metric_names(recorded.expr) == {"nginx_ingress_controller_upstream_server_response_latency_ms_count"}
    assert 'code=~"5.."' in recorded.expr
    (alert,) = alerts(edge, "NginxErrorRatioHigh")
    assert alert.expr.endswith("> 0.05") and alert.severity == "page"


def test_backups_are_held_to_the_rpo_and_copies_to_the_rpo_plus_the_copy_lag() -> None:
    cfg = build_config({"environment": "prod"})
    primary, copy = alerts(groups_of("prod")["backups"], "BackupOlderThanRpo")
    assert cfg.backups.rpo_minutes == 60
    assert 'dimension_Location="primary"' in primary.expr and primary.expr.endswith("> 3600")
    assert 'dimension_ResourceType=~"DocumentDB"' in primary.expr
    lag = cfg.backups.copy_lag_minutes * 60
    assert 'dimension_Location="backup-region"' in copy.expr and copy.expr.endswith(f"> {3600 + lag}")
    assert primary.severity == "page" and primary.for_ == "15m"
    (daily,) = alerts(groups_of("prod")["backups"], "BackupMissedADay")
    window = (24 * 60 + cfg.backups.start_window_minutes + cfg.backups.completion_window_minutes) * 60
    assert daily.expr.endswith(f"> {window}")
    (unknown,) = alerts(groups_of("prod")["backups"], "BackupAgeUnknown")
    assert unknown.expr == f"absent({AGE})"


def test_a_longer_rpo_in_the_stack_file_moves_the_threshold() -> None:
    cfg = build_config({"environment": "prod", "backups": {"rpoMinutes": 120}})
    assert BackupWindows.of(cfg.backups).rpo_seconds == 7200


def test_datastore_thresholds_follow_the_config_and_the_tier() -> None:
    prod = groups_of("prod", datastoreCpuPercent=70, connections={"postgres": 900})
    cpu = {a.labels["engine"]: a for a in alerts(prod["datastores"], "DatastoreCpuHigh")}
    assert cpu["postgres"].expr.endswith("> 70")
    connections = {a.labels["engine"]: a for a in alerts(prod["datastores"], "DatastoreConnectionsHigh")}
    assert connections["postgres"].expr.endswith("> 900")
    assert connections["redis"].expr.endswith("> 50000")  # the default kept for the others
    dev = {a.labels["engine"]: a for a in alerts(groups_of("dev")["datastores"], "DatastoreConnectionsHigh")}
    assert dev["rabbitmq"].expr.endswith("> 80")  # mq.t3.micro admits 100
    # PostgreSQL's free-storage floor: 5 % of prod's 100 GiB.
    (storage,) = [a for a in alerts(prod["datastores"], "DatastoreStorageLow") if a.labels["engine"] == "postgres"]
    assert storage.expr.endswith(f"< {5 * 1024**3}")


def test_the_backlog_alert_needs_depth_and_growth() -> None:
    (backlog,) = alerts(groups_of("prod", backlogMessages=250)["queues"], "CeleryBacklogGrowing")
    assert "aws_amazonmq_message_count_maximum > 250" in backlog.expr
    assert "deriv(aws_amazonmq_message_count_maximum[30m]) > 0" in backlog.expr


def test_without_the_exporter_there_are_no_managed_groups() -> None:
    cfg = build_config({"environment": "prod"})
    names = {g.name for g in rule_groups(cfg.alerts, cfg.services.enabled, "apps", edge=True)}
    assert not names & {"datastores", "queues", "backups"}


@pytest.mark.parametrize(
    ("alerts_section", "key"),
    [
        ({"connections": {"mysql": 10}}, "alerts.connections.mysql"),
        ({"connections": {"postgres": 0}}, "alerts.connections"),
        ({"datastoreCpuPercent": 120}, "alerts.datastoreCpuPercent"),
        ({"freeStorageRatio": 0.9}, "alerts.freeStorageRatio"),
    ],
)
def test_bad_thresholds_are_refused_naming_the_key(alerts_section: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        build_config({"environment": "prod", "alerts": alerts_section})


def test_the_dashboards_cloudwatch_series_are_ones_the_exporter_makes() -> None:
    # The dashboards name CloudWatch series through their own table (components/alerts/metrics.py);
    # each must be one the exporter's configuration asks for, named by the same rule.
    from components.alerts.metrics import CLOUDWATCH_JOBS, yace_name

    made = exported_series()
    for namespace, _, metrics in CLOUDWATCH_JOBS.values():
        for metric, statistic in metrics:
            assert yace_name(namespace, metric, statistic) == metric_name(namespace, metric, statistic)
            assert metric_name(namespace, metric, statistic) in made, f"{namespace} {metric} ({statistic})"
