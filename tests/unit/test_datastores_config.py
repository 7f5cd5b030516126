"""Datastore configuration: tier defaults per environment, allow-lists, windows, one-line errors."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import (
    DOCUMENTDB_VERSIONS,
    POSTGRES_VERSIONS,
    ConfigError,
    build_config,
    daily_window_minutes,
    weekly_window_minutes,
)


def datastores(env: str, **values: Any) -> Any:
    return build_config({"environment": env, "datastores": values}).datastores


def test_prod_is_multi_az_clustered_and_keeps_backups_thirty_days() -> None:
    ds = datastores("prod")
    assert ds.postgres.multi_az and ds.postgres.backup_retention_days == 30
    assert ds.postgres.backup_window.startswith("02:00")
    assert ds.redis.automatic_failover and ds.redis.multi_az and ds.redis.num_cache_clusters >= 2
    assert ds.redis.snapshot_window.startswith("02:00")
    assert ds.rabbitmq.deployment_mode == "CLUSTER_MULTI_AZ"
    assert ds.documentdb.instances == 3 and ds.documentdb.backup_retention_days == 30
    assert ds.documentdb.backup_window.startswith("02:00")
    assert ds.secret_recovery_window_days == 30 and ds.namespace == "apps"


def test_dev_is_small_single_and_frees_secret_names_at_once() -> None:
    ds = datastores("dev")
    assert not ds.postgres.multi_az and ds.postgres.instance_class == "db.t4g.micro"
    assert ds.redis.num_cache_clusters == 1 and not ds.redis.automatic_failover
    assert ds.redis.node_type == "cache.t4g.micro" and ds.documentdb.instance_class == "db.t4g.medium"
    assert ds.rabbitmq.deployment_mode == "SINGLE_INSTANCE" and ds.rabbitmq.instance_type == "mq.t3.micro"
    assert ds.documentdb.instances == 1
    assert ds.secret_recovery_window_days == 0
    assert ds.postgres.backup_retention_days == 30, "backups are kept the required 30 days everywhere"


def test_stack_values_override_one_key_and_keep_the_rest() -> None:
    ds = datastores("prod", postgres={"engineVersion": "16"})
    assert ds.postgres.engine_version == "16" and ds.postgres.multi_az is True


@pytest.mark.parametrize("version", POSTGRES_VERSIONS)
def test_every_allowed_postgres_version_is_accepted(version: str) -> None:
    assert datastores("prod", postgres={"engineVersion": version}).postgres.engine_version == version


@pytest.mark.parametrize("version", DOCUMENTDB_VERSIONS)
def test_every_allowed_documentdb_version_is_accepted(version: str) -> None:
    assert datastores("prod", documentdb={"engineVersion": version}).documentdb.engine_version == version


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"postgres": {"engineVersion": "13"}}, "platform:datastores.postgres.engineVersion"),
        ({"postgres": {"instanceClass": "db.m5.huge"}}, "platform:datastores.postgres.instanceClass"),
        ({"postgres": {"username": "admin"}}, "platform:datastores.postgres.username"),
        ({"postgres": {"maxAllocatedStorageGib": 50}}, "platform:datastores.postgres.maxAllocatedStorageGib"),
        ({"postgres": {"backupWindow": "2am"}}, "platform:datastores.postgres.backupWindow"),
        ({"postgres": {"backupWindow": "02:00-02:10"}}, "platform:datastores.postgres.backupWindow"),
        ({"redis": {"multiAz": True, "automaticFailover": False}}, "platform:datastores.redis.automaticFailover"),
        ({"redis": {"maintenanceWindow": "tue:02:30-tue:03:30"}}, "platform:datastores.redis.maintenanceWindow"),
        ({"redis": {"snapshotRetentionDays": 0}}, "platform:datastores.redis.snapshotRetentionDays"),
        ({"rabbitmq": {"instanceType": "mq.m7g.medium"}}, "platform:datastores.rabbitmq.instanceType"),
        ({"rabbitmq": {"maintenanceTime": "25:00"}}, "platform:datastores.rabbitmq.maintenanceTime"),
        ({"documentdb": {"instances": 0}}, "platform:datastores.documentdb.instances"),
        (
            {"documentdb": {"maintenanceWindow": "sat:02:00-sat:03:00"}},
            "platform:datastores.documentdb.maintenanceWindow",
        ),
        ({"namespace": "kube-system"}, "platform:datastores.namespace"),
    ],
)
def test_rejected_with_one_line_naming_the_key(values: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config({"environment": "prod", "datastores": values})
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{key}:"), message


def test_windows_cross_midnight_and_weeks() -> None:
    assert len(daily_window_minutes("23:30-00:30")) == 7 * 60
    assert daily_window_minutes("02:00-02:30") & weekly_window_minutes("sun:02:29-sun:03:00")
    assert not daily_window_minutes("02:00-02:30") & weekly_window_minutes("sun:02:30-sun:03:00")
    assert len(weekly_window_minutes("sun:23:00-mon:01:00")) == 120
