"""Alerts on what runs outside the cluster, from the CloudWatch exporter's series: the datastores
(CPU, free storage or memory, connections), the broker and its queues (the Celery backlog), and the
backups' age against the recovery point objective.

Pure functions of their inputs, like ``rules.py``; the thresholds come from ``platform:alerts`` and the
backup windows from ``platform:backups``. CloudWatch's figures arrive one period late (the exporter's
``cloudwatchPeriodSeconds``, 5 minutes by default): every alert here waits at least 15 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.alerts import promql as q
from components.alerts.rules import RUNBOOK, AlertRule, RuleGroup, Severity
from infra.config.alerts import AlertsConfig, Engine
from infra.config.backups import BackupsConfig

GIB = 1024**3
AGE = "aws_platform_backups_recovery_point_age_seconds_maximum"
# CPU per engine: the series and what the engine calls it (Redis: the engine's one thread).
CPU: dict[Engine, str] = {
    "postgres": "aws_rds_cpuutilization_average",
    "documentdb": "aws_docdb_cpuutilization_average",
    "redis": "aws_elasticache_engine_cpuutilization_average",
    "rabbitmq": "aws_amazonmq_system_cpu_utilization_average",
}
CONNECTIONS: dict[Engine, str] = {
    "postgres": "aws_rds_database_connections_maximum",
    "documentdb": "aws_docdb_database_connections_maximum",
    "redis": "aws_elasticache_curr_connections_maximum",
    "rabbitmq": "aws_amazonmq_connection_count_maximum",
}
BY_RESOURCE = ("name",)  # the resource's ARN, on every series of the exporter


@dataclass(frozen=True)
class BackupWindows:
    """What the backup alerts compare ages with, from ``platform:backups``."""

    rpo_seconds: int
    copy_lag_seconds: int
    daily_seconds: int  # a day, plus the daily rule's start and completion windows
    hourly_types: tuple[str, ...]  # AWS Backup resource types on the hourly plan (held to the RPO)

    @staticmethod
    def of(spec: BackupsConfig, hourly_types: tuple[str, ...] = ("DocumentDB",)) -> BackupWindows:
        return BackupWindows(
            rpo_seconds=spec.rpo_minutes * 60,
            copy_lag_seconds=spec.copy_lag_minutes * 60,
            daily_seconds=(24 * 60 + spec.start_window_minutes + spec.completion_window_minutes) * 60,
            hourly_types=hourly_types,
        )


@dataclass(frozen=True)
class ManagedServices:
    """What the alerts on the AWS side need besides ``platform:alerts``: the backup windows and
    PostgreSQL's allocated storage (the free-storage threshold is a share of it)."""

    backups: BackupWindows
    postgres_storage_gib: int


def managed_groups(spec: AlertsConfig, managed: ManagedServices) -> tuple[RuleGroup, ...]:
    return (datastore_group(spec, managed.postgres_storage_gib), queue_group(spec), backup_group(managed.backups))


def _alert(
    name: str, expr: q.Expr, severity: Severity, summary: str, anchor: str, hint: str, for_: str, **labels: str
) -> AlertRule:
    return AlertRule(name, expr, severity, summary, f"{RUNBOOK}#{anchor}: {hint}", for_, dict(labels))


def datastore_group(spec: AlertsConfig, postgres_storage_gib: int) -> RuleGroup:
    """CPU, free storage (PostgreSQL's disk, Redis's memory, RabbitMQ's disk) and connections."""
    rules: list[AlertRule] = []
    for engine, series in CPU.items():
        rules.append(
            _alert(
                "DatastoreCpuHigh",
                q.compare(q.max_(q.selector(series), BY_RESOURCE), ">", q.number(spec.datastore_cpu_percent)),
                "ticket",
                f"{engine} {{{{ $labels.name }}}} has used more than {spec.datastore_cpu_percent}% CPU for 15 minutes",
                "datastores",
                "Performance Insights / slow queries; a larger instance class in platform:datastores",
                "15m",
                engine=engine,
            )
        )
    floor = spec.free_storage_ratio * postgres_storage_gib * GIB
    rules.append(
        _alert(
            "DatastoreStorageLow",
            q.compare(q.min_(q.selector("aws_rds_free_storage_space_minimum"), BY_RESOURCE), "<", q.number(floor)),
            "page",
            f"postgres {{{{ $labels.name }}}} has less than {spec.free_storage_ratio:.0%} of its "
            f"{postgres_storage_gib} GiB free: storage autoscaling is at its maximum or waiting",
            "datastores",
            "raise maxAllocatedStorageGib; find what grows (tables, WAL kept by a replication slot)",
            "15m",
            engine="postgres",
        )
    )
    rules.append(
        _alert(
            "DatastoreStorageLow",
            q.compare(
                q.max_(q.selector("aws_elasticache_database_memory_usage_percentage_maximum"), BY_RESOURCE),
                ">",
                q.number(spec.cache_memory_percent),
            ),
            "ticket",
            f"redis {{{{ $labels.name }}}} uses more than {spec.cache_memory_percent}% of its maxmemory: it evicts",
            "datastores",
            "a larger node type; keys without a TTL",
            "15m",
            engine="redis",
        )
    )
    rules.append(
        _alert(
            "DatastoreStorageLow",
            q.compare(
                q.min_(q.selector("aws_amazonmq_rabbit_mqdisk_free_minimum"), BY_RESOURCE),
                "<",
                q.mul(q.number(2), q.max_(q.selector("aws_amazonmq_rabbit_mqdisk_free_limit_maximum"), BY_RESOURCE)),
            ),
            "page",
            "rabbitmq {{ $labels.name }} has less than twice its free-disk limit left; below it publishers block",
            "datastores",
            "drain the queues (consumers down?); a larger broker instance",
            "15m",
            engine="rabbitmq",
        )
    )
    for engine, series in CONNECTIONS.items():
        limit = spec.connections[engine]
        rules.append(
            _alert(
                "DatastoreConnectionsHigh",
                q.compare(q.max_(q.selector(series), BY_RESOURCE), ">", q.number(limit)),
                "ticket",
                f"{engine} {{{{ $labels.name }}}} has more than {limit} connections",
                "datastores",
                "connection pools per pod times replicas; a leak after a rollout",
                "15m",
                engine=engine,
            )
        )
    return RuleGroup("datastores", tuple(rules), interval="60s")


def queue_group(spec: AlertsConfig) -> RuleGroup:
    """The Celery backlog: a queue above ``backlogMessages`` and still growing, or one nobody consumes."""
    depth = q.selector("aws_amazonmq_message_count_maximum")
    consumers = q.selector("aws_amazonmq_consumer_count_minimum")
    return RuleGroup(
        "queues",
        (
            _alert(
                "CeleryBacklogGrowing",
                q.and_(
                    q.compare(depth, ">", q.number(spec.backlog_messages)),
                    q.compare(q.deriv(depth, "30m"), ">", q.number(0)),
                ),
                "ticket",
                f"queue {{{{ $labels.dimension_Queue }}}} holds more than {spec.backlog_messages} messages "
                "and has grown over the last 30 minutes",
                "celery-backlog",
                "the workers' HPA (at maximum?), failing tasks retried, a slow datastore",
                "15m",
            ),
            _alert(
                "CeleryQueueWithoutConsumers",
                q.and_(q.compare(consumers, "==", q.number(0)), q.compare(depth, ">", q.number(0))),
                "page",
                "queue {{ $labels.dimension_Queue }} has messages and no consumer",
                "celery-backlog",
                "the workers are down or cannot reach the broker (credentials, security group)",
                "15m",
            ),
        ),
        interval="60s",
    )


def backup_group(windows: BackupWindows) -> RuleGroup:
    """Newest recovery points older than the RPO (hourly-protected types), than a day (every type), or
    no measurement at all."""
    hourly = q.regex("dimension_ResourceType", "|".join(windows.hourly_types))
    by_vault = ("dimension_BackupVaultName", "dimension_ResourceType")

    def age(*matchers: q.Matcher) -> q.Expr:
        return q.max_(q.selector(AGE, *matchers), by_vault)

    rpo_minutes = windows.rpo_seconds // 60
    copy_minutes = (windows.rpo_seconds + windows.copy_lag_seconds) // 60
    return RuleGroup(
        "backups",
        (
            _alert(
                "BackupOlderThanRpo",
                q.compare(age(q.eq("dimension_Location", "primary"), hourly), ">", q.number(windows.rpo_seconds)),
                "page",
                "the newest {{ $labels.dimension_ResourceType }} recovery point in "
                f"{{{{ $labels.dimension_BackupVaultName }}}} is older than the RPO ({rpo_minutes} minutes)",
                "backups-older-than-the-rpo",
                "AWS Backup's jobs of the hourly plan (failed, expired start window); the datastore's state",
                "15m",
            ),
            _alert(
                "BackupOlderThanRpo",
                q.compare(
                    age(q.eq("dimension_Location", "backup-region"), hourly),
                    ">",
                    q.number(windows.rpo_seconds + windows.copy_lag_seconds),
                ),
                "page",
                "the newest {{ $labels.dimension_ResourceType }} copy in {{ $labels.dimension_BackupVaultName }} "
                f"is older than the RPO plus the copy lag ({copy_minutes} minutes)",
                "backups-older-than-the-rpo",
                "AWS Backup's copy jobs into the backup region (the replica key's policy, the vault lock)",
                "15m",
            ),
            _alert(
                "BackupMissedADay",
                q.compare(age(), ">", q.number(windows.daily_seconds)),
                "ticket",
                "no {{ $labels.dimension_ResourceType }} recovery point in {{ $labels.dimension_BackupVaultName }} "
                "since the last daily window",
                "backups-older-than-the-rpo",
                "the daily plan's jobs; the selection's tag on the resource",
                "1h",
            ),
            _alert(
                "BackupAgeUnknown",
                q.absent(q.selector(AGE)),
                "ticket",
                "no backup age has been measured for 30 minutes: the freshness function or the exporter fails",
                "backups-older-than-the-rpo",
                "the function's log group; the exporter's logs (its role, the Platform/Backups namespace)",
                "30m",
            ),
        ),
        interval="60s",
    )
