"""platform:logging: tier defaults per environment (3 Elasticsearch nodes over the zones in prod, 1 in
dev; 30 days of logs everywhere) and one-line errors naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, build_config


def logging(env: str, **values: Any) -> Any:
    settings = {"environment": env, **({"logging": values} if values else {})}
    return build_config(settings).logging


@pytest.mark.parametrize(("env", "nodes", "spread"), [("dev", 1, False), ("staging", 3, True), ("prod", 3, True)])
def test_tier_defaults_give_prod_three_nodes_over_the_zones_and_dev_one(env: str, nodes: int, spread: bool) -> None:
    spec = logging(env)
    assert spec.elasticsearch_nodes == nodes
    assert spec.spread_over_zones is spread
    assert spec.retention_days == 30


def test_a_stack_file_overrides_the_tier_defaults() -> None:
    spec = logging("prod", retentionDays=14, elasticsearchNodes=5, volumeGib=500)
    assert (spec.retention_days, spec.elasticsearch_nodes, spec.volume_gib) == (14, 5, 500)


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"elasticsearchNodes": 2}, "platform:logging.elasticsearchNodes: 2 master-eligible nodes cannot lose one"),
        ({"elasticsearchNodes": 0}, "platform:logging.elasticsearchNodes:"),
        ({"retentionDays": 0}, "platform:logging.retentionDays:"),
        ({"snapshotSchedule": "0 2 * * *"}, "platform:logging.snapshotSchedule:"),
        ({"elasticsearchResources": {"limits": {"cpu": "4000m", "memory": "2Gi"}}}, "platform:logging."),
        ({"elasticPassword": "hunter2"}, "platform:logging.elasticPassword: unknown key"),
    ],
)
def test_bad_settings_are_one_line_naming_the_key(values: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config({"environment": "prod", "logging": values})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(key), message
