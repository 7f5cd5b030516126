"""The datastores, from their CloudWatch metrics as the CloudWatch exporter (YACE) names them:
PostgreSQL on RDS, Redis on ElastiCache, DocumentDB, RabbitMQ on Amazon MQ. Each section selects the
platform's own resources by the CloudWatch dimension that names them. CloudWatch publishes every
minute (RDS, ElastiCache, DocumentDB) or every 5 minutes (Amazon MQ), so the panels trail by that."""

from __future__ import annotations

from dataclasses import dataclass

from components.alerts import promql as q
from components.dashboards import queries as pq
from components.dashboards.grafana import Board, Query, Section, board, timeseries_panel
from components.dashboards.queue import broker_matcher

UID = "platform-datastores"


@dataclass(frozen=True)
class DatastoreNames:
    """The physical names the datastores were created with (their CloudWatch dimensions' values)."""

    postgres: str  # the RDS instance identifier
    redis: str  # the replication group id (its member clusters are <id>-001, <id>-002, ...)
    documentdb: str  # the cluster identifier (its instances are <id>-<n>)
    rabbitmq: str  # the broker name

    def matchers(self) -> dict[str, q.Matcher]:
        return {
            "rds": q.eq("dimension_DBInstanceIdentifier", self.postgres),
            "elasticache": q.regex("dimension_CacheClusterId", f"{self.redis}-[0-9]+(-[0-9]+)?"),
            "docdb": q.regex("dimension_DBInstanceIdentifier", f"{self.documentdb}-[0-9]+"),
            "amazonmq": broker_matcher(self.rabbitmq),
        }


def _series(service: str, metric: str, matcher: q.Matcher, legend: str = "{{dimension_DBInstanceIdentifier}}") -> Query:
    return Query(pq.datastore(service, metric, matcher), legend)


def datastores_board(names: DatastoreNames, datasource_uid: str, folder: str) -> Board:
    on = names.matchers()
    rds, cache, docdb, mq = on["rds"], on["elasticache"], on["docdb"], on["amazonmq"]
    node = "{{dimension_CacheClusterId}}"
    broker = "{{dimension_Broker}}"
    sections = (
        Section(
            f"PostgreSQL (RDS {names.postgres})",
            (
                timeseries_panel("CPU", _series("rds", "CPUUtilization", rds), unit="percent", width=8),
                timeseries_panel("Freeable memory", _series("rds", "FreeableMemory", rds), unit="bytes", width=8),
                timeseries_panel("Connections", _series("rds", "DatabaseConnections", rds), width=8),
                timeseries_panel("Free storage", _series("rds", "FreeStorageSpace", rds), unit="bytes"),
                timeseries_panel(
                    "Read / write latency",
                    _series("rds", "ReadLatency", rds, "read"),
                    _series("rds", "WriteLatency", rds, "write"),
                    unit="s",
                ),
            ),
        ),
        Section(
            f"Redis (ElastiCache {names.redis})",
            (
                timeseries_panel(
                    "Engine CPU", _series("elasticache", "EngineCPUUtilization", cache, node), unit="percent", width=8
                ),
                timeseries_panel(
                    "Memory used",
                    _series("elasticache", "DatabaseMemoryUsagePercentage", cache, node),
                    unit="percent",
                    width=8,
                    thresholds=((80, "orange"), (90, "red")),
                ),
                timeseries_panel("Connections", _series("elasticache", "CurrConnections", cache, node), width=8),
                timeseries_panel(
                    "Cache hit rate",
                    _series("elasticache", "CacheHitRate", cache, node),
                    unit="percent",
                ),
                timeseries_panel(
                    "Evictions", _series("elasticache", "Evictions", cache, node), thresholds=((1, "orange"),)
                ),
            ),
        ),
        Section(
            f"DocumentDB ({names.documentdb})",
            (
                timeseries_panel("CPU", _series("docdb", "CPUUtilization", docdb), unit="percent", width=6),
                timeseries_panel("Freeable memory", _series("docdb", "FreeableMemory", docdb), unit="bytes", width=6),
                timeseries_panel("Connections", _series("docdb", "DatabaseConnections", docdb), width=6),
                timeseries_panel(
                    "Volume used",
                    Query(pq.agg("max", pq.datastore("docdb", "VolumeBytesUsed", docdb)), "cluster volume"),
                    unit="bytes",
                    width=6,
                ),
            ),
        ),
        Section(
            f"RabbitMQ (Amazon MQ {names.rabbitmq})",
            (
                timeseries_panel(
                    "CPU", _series("amazonmq", "SystemCpuUtilization", mq, broker), unit="percent", width=8
                ),
                timeseries_panel(
                    "Memory used", _series("amazonmq", "RabbitMQMemUsed", mq, broker), unit="bytes", width=8
                ),
                timeseries_panel(
                    "Disk free", _series("amazonmq", "RabbitMQDiskFree", mq, broker), unit="bytes", width=8
                ),
            ),
        ),
    )
    return board(
        uid=UID,
        title="Platform / Datastores",
        description="RDS, ElastiCache, DocumentDB and Amazon MQ from CloudWatch (through the CloudWatch exporter)",
        tags=("platform", "datastores"),
        sections=sections,
        datasource_uid=datasource_uid,
        folder=folder,
    )
