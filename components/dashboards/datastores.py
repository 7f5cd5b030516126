"""The datastores, from their CloudWatch metrics as the CloudWatch exporter (YACE) exports them:
PostgreSQL on RDS, Redis on ElastiCache, DocumentDB, RabbitMQ on Amazon MQ: CPU, free storage or
memory, connections, each with the statistic the exporter asks CloudWatch for. Each section selects the
platform's own resources by the CloudWatch dimension that names them. The exporter reads 5-minute
periods, so the panels trail by up to two periods."""

from __future__ import annotations

from dataclasses import dataclass

from components.alerts import promql as q
from components.dashboards import queries as pq
from components.dashboards.grafana import Board, Panel, Query, Section, board, timeseries_panel
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


def _three(
    job: str, on: q.Matcher, legend: str, cpu: str, free: tuple[str, str, str], connections: str
) -> tuple[Panel, ...]:
    """CPU, free space or memory used, connections: one line of three panels."""
    title, metric, unit = free
    return (
        timeseries_panel("CPU", Query(pq.datastore(job, cpu, on), legend), unit="percent", width=8),
        timeseries_panel(title, Query(pq.datastore(job, metric, on), legend), unit=unit, width=8),
        timeseries_panel("Connections", Query(pq.datastore(job, connections, on), legend), width=8),
    )


def datastores_board(names: DatastoreNames, datasource_uid: str, folder: str) -> Board:
    on = names.matchers()
    instance = "{{dimension_DBInstanceIdentifier}}"
    mq = on["amazonmq"]
    sections = (
        Section(
            f"PostgreSQL (RDS {names.postgres})",
            _three(
                "rds",
                on["rds"],
                instance,
                "CPUUtilization",
                ("Free storage (minimum)", "FreeStorageSpace", "bytes"),
                "DatabaseConnections",
            ),
        ),
        Section(
            f"Redis (ElastiCache {names.redis})",
            _three(
                "elasticache",
                on["elasticache"],
                "{{dimension_CacheClusterId}}",
                "EngineCPUUtilization",
                ("Memory used (maximum)", "DatabaseMemoryUsagePercentage", "percent"),
                "CurrConnections",
            ),
        ),
        Section(
            f"DocumentDB ({names.documentdb})",
            _three(
                "docdb",
                on["docdb"],
                instance,
                "CPUUtilization",
                ("Free local storage (minimum)", "FreeLocalStorage", "bytes"),
                "DatabaseConnections",
            ),
        ),
        Section(
            f"RabbitMQ (Amazon MQ {names.rabbitmq})",
            (
                timeseries_panel(
                    "CPU",
                    Query(pq.datastore("amazonmq", "SystemCpuUtilization", mq), "{{dimension_Broker}}"),
                    unit="percent",
                    width=8,
                ),
                timeseries_panel(
                    "Disk free and the limit that blocks publishers",
                    Query(pq.datastore("amazonmq", "RabbitMQDiskFree", mq), "free"),
                    Query(pq.datastore("amazonmq", "RabbitMQDiskFreeLimit", mq), "limit"),
                    unit="bytes",
                    width=8,
                    description="below the limit RabbitMQ blocks every publisher",
                ),
                timeseries_panel(
                    "Connections",
                    Query(pq.datastore("amazonmq", "ConnectionCount", mq), "{{dimension_Broker}}"),
                    width=8,
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
