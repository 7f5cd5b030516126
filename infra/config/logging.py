"""Logs (``platform:logging``): the ELK stack on Elastic's operator (ECK).

Elasticsearch stores the logs (``elasticsearchNodes`` nodes, each on an encrypted gp3 volume of
``volumeGib``; more than one node spreads them over the zones), Logstash parses them, Kibana shows
them, and Fluent Bit on every node ships the containers' logs to Logstash. Log indices are deleted
``retentionDays`` after they roll over (an index lifecycle policy); Elasticsearch snapshots go to the
platform's backup bucket every day, kept ``snapshotRetentionDays``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from infra.config.base import Environment, _KeyedError, _Model
from infra.config.workloads import PodResources, ResourceAmounts

# Elasticsearch's own cron (seconds minutes hours day-of-month month day-of-week), UTC: daily forms only.
_ES_DAILY_CRON = re.compile(r"^0 ([0-5]?\d) (1?\d|2[0-3]) \* \* \?$")


class LoggingConfig(_Model):
    """Elasticsearch, Kibana, Logstash (through ECK) and Fluent Bit on every node."""

    elasticsearch_nodes: int = Field(3, ge=1, le=9)
    volume_gib: int = Field(100, ge=10, le=16_384, description="each Elasticsearch node's volume")
    retention_days: int = Field(30, ge=1, le=3_650, description="log indices are deleted this long after rollover")
    elasticsearch_resources: PodResources = PodResources(
        requests=ResourceAmounts(cpu="1000m", memory="2Gi"), limits=ResourceAmounts(cpu="2000m", memory="2Gi")
    )
    kibana_replicas: int = Field(1, ge=1, le=5)
    kibana_resources: PodResources = PodResources(
        requests=ResourceAmounts(cpu="500m", memory="1Gi"), limits=ResourceAmounts(cpu="1000m", memory="1Gi")
    )
    logstash_replicas: int = Field(1, ge=1, le=10)
    logstash_resources: PodResources = PodResources(
        requests=ResourceAmounts(cpu="500m", memory="1Gi"), limits=ResourceAmounts(cpu="1000m", memory="1Gi")
    )
    snapshot_schedule: str = "0 30 2 * * ?"  # Elasticsearch cron, UTC: daily, after the platform's 02:00 backup
    snapshot_retention_days: int = Field(30, ge=1, le=3_650)

    @field_validator("snapshot_schedule")
    @classmethod
    def _daily(cls, value: str) -> str:
        if not _ES_DAILY_CRON.match(value):
            raise ValueError(f"{value!r} is not a daily Elasticsearch cron like '0 30 2 * * ?' (sec min hour * * ?)")
        return value

    @model_validator(mode="after")
    def _quorum(self) -> LoggingConfig:
        if self.elasticsearch_nodes == 2:
            raise _KeyedError(
                "elasticsearchNodes",
                "2 master-eligible nodes cannot lose one and keep a quorum; use 1 (no redundancy) or 3 or more",
            )
        return self

    @property
    def spread_over_zones(self) -> bool:
        """More than one node: one per zone as far as they go (topology spread, shard awareness)."""
        return self.elasticsearch_nodes > 1


# ``platform:logging`` per environment, unless the stack file says otherwise.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "elasticsearchNodes": 1,
        "volumeGib": 20,
        "retentionDays": 30,
        "elasticsearchResources": {
            "requests": {"cpu": "500m", "memory": "2Gi"},
            "limits": {"cpu": "1000m", "memory": "2Gi"},
        },
        "kibanaReplicas": 1,
        "logstashReplicas": 1,
        "snapshotRetentionDays": 7,
    },
    Environment.STAGING: {
        "elasticsearchNodes": 3,
        "volumeGib": 50,
        "retentionDays": 30,
        "kibanaReplicas": 1,
        "logstashReplicas": 1,
        "snapshotRetentionDays": 30,
    },
    Environment.PROD: {
        "elasticsearchNodes": 3,
        "volumeGib": 200,
        "retentionDays": 30,
        "elasticsearchResources": {
            "requests": {"cpu": "2000m", "memory": "2Gi"},
            "limits": {"cpu": "2000m", "memory": "2Gi"},
        },
        "kibanaReplicas": 2,
        "logstashReplicas": 2,
        "snapshotRetentionDays": 30,
    },
}
