"""The datastores (``platform:datastores``): PostgreSQL, Redis, RabbitMQ, DocumentDB, and the delivery of
their secrets.

Engine versions and instance classes are allow-listed: a value outside the list is refused with one
line naming the key, before anything is planned. Backups run in a daily UTC window and maintenance
in a weekly one that may not overlap it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from infra.config.base import (
    Environment,
    RetentionDays,
    _allowed_version,
    _class_pattern,
    _KeyedError,
    _Model,
    _window_length,
    daily_window_minutes,
    reserved_namespace,
    weekly_window_minutes,
)

# RDS for PostgreSQL majors in standard support; RDS picks the newest minor of the major and the
# parameter group family follows the major (postgres17).
POSTGRES_VERSIONS: tuple[str, ...] = ("14", "15", "16", "17")
# ElastiCache for Redis OSS versions (parameter family redis6.x / redis7).
REDIS_VERSIONS: tuple[str, ...] = ("6.2", "7.0", "7.1")
# Amazon MQ for RabbitMQ: AWS manages the patch level (auto minor version upgrade is required).
RABBITMQ_VERSIONS: tuple[str, ...] = ("3.13", "4.2")
# Amazon DocumentDB (MongoDB-compatible) engine versions (cluster parameter family docdb<major.minor>).
DOCUMENTDB_VERSIONS: tuple[str, ...] = ("4.0.0", "5.0.0", "8.0.0")

_SIZES = r"(micro|small|medium|large|\d{0,2}xlarge)"
POSTGRES_INSTANCE_CLASS = re.compile(
    rf"^db\.(t3|t4g|m5|m5d|m6g|m6gd|m6i|m6id|m7g|m7i|m8g|r5|r5b|r6g|r6gd|r6i|r6id|r7g|r7i|r8g)\.{_SIZES}$"
)
REDIS_NODE_TYPE = re.compile(rf"^cache\.(t3|t4g|m5|m6g|m7g|r5|r6g|r6gd|r7g)\.{_SIZES}$")
RABBITMQ_INSTANCE_TYPE = re.compile(r"^mq\.(t3\.micro|m5\.(large|\d?xlarge)|m7g\.(medium|large|\d{0,2}xlarge))$")
# Amazon MQ runs these sizes as single instances only (no three-node cluster).
RABBITMQ_SINGLE_ONLY = ("mq.t3.micro", "mq.m7g.medium")
DOCUMENTDB_INSTANCE_CLASS = re.compile(r"^db\.(t3|t4g|r5|r6g|r6gd|r8g)\.(medium|large|\d{0,2}xlarge)$")

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_DB_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class PostgresConfig(_Model):
    """RDS for PostgreSQL (the User Service's database)."""

    engine_version: Annotated[str, BeforeValidator(_allowed_version(POSTGRES_VERSIONS))] = "17"
    instance_class: Annotated[str, AfterValidator(_class_pattern(POSTGRES_INSTANCE_CLASS, "db.r6g.large"))] = (
        "db.r6g.large"
    )
    allocated_storage_gib: int = Field(100, ge=20, le=65536)
    max_allocated_storage_gib: int = Field(500, ge=20, le=65536)
    multi_az: bool = True
    database_name: str = "users"
    username: str = "users_admin"
    backup_retention_days: int = Field(30, ge=1, le=35)
    backup_window: Annotated[str, AfterValidator(lambda w: _window_length(w, 30, weekly=False))] = "02:00-02:30"
    maintenance_window: Annotated[str, AfterValidator(lambda w: _window_length(w, 30, weekly=True))] = (
        "sun:04:00-sun:04:30"
    )
    monitoring_interval_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = Field(
        60, description="Enhanced Monitoring's interval (0: off)"
    )

    @field_validator("database_name", "username")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _DB_IDENTIFIER.match(value) or value in ("postgres", "rdsadmin", "admin"):
            raise ValueError(f"{value!r} must be a lower-case identifier (a-z, 0-9, _), not a reserved name")
        return value

    @model_validator(mode="after")
    def _checks(self) -> PostgresConfig:
        if self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise _KeyedError("maxAllocatedStorageGib", "must be at least allocatedStorageGib (storage autoscaling)")
        if daily_window_minutes(self.backup_window) & weekly_window_minutes(self.maintenance_window):
            raise _KeyedError("maintenanceWindow", f"overlaps the backup window {self.backup_window}")
        return self


class RedisConfig(_Model):
    """ElastiCache for Redis replication group (the User Service's cache)."""

    engine_version: Annotated[str, BeforeValidator(_allowed_version(REDIS_VERSIONS))] = "7.1"
    node_type: Annotated[str, AfterValidator(_class_pattern(REDIS_NODE_TYPE, "cache.r6g.large"))] = "cache.r6g.large"
    num_cache_clusters: int = Field(3, ge=1, le=6, description="primary plus replicas")
    automatic_failover: bool = True
    multi_az: bool = True
    snapshot_retention_days: int = Field(30, ge=1, le=35)
    snapshot_window: Annotated[str, AfterValidator(lambda w: _window_length(w, 60, weekly=False))] = "02:00-03:00"
    maintenance_window: Annotated[str, AfterValidator(lambda w: _window_length(w, 60, weekly=True))] = (
        "sun:05:00-sun:06:00"
    )

    @model_validator(mode="after")
    def _checks(self) -> RedisConfig:
        if self.multi_az and not self.automatic_failover:
            raise _KeyedError("automaticFailover", "multiAz needs automaticFailover: true")
        if self.automatic_failover and self.num_cache_clusters < 2:
            raise _KeyedError("numCacheClusters", "automaticFailover needs at least 2 (a primary and a replica)")
        if daily_window_minutes(self.snapshot_window) & weekly_window_minutes(self.maintenance_window):
            raise _KeyedError("maintenanceWindow", f"overlaps the snapshot window {self.snapshot_window}")
        return self


class RabbitMqConfig(_Model):
    """Amazon MQ for RabbitMQ (the Data Processing Service's queue)."""

    engine_version: Annotated[str, BeforeValidator(_allowed_version(RABBITMQ_VERSIONS))] = "3.13"
    instance_type: Annotated[str, AfterValidator(_class_pattern(RABBITMQ_INSTANCE_TYPE, "mq.m5.large"))] = "mq.m5.large"
    deployment_mode: Literal["SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"] = "CLUSTER_MULTI_AZ"
    username: str = "processing"
    maintenance_day: Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] = "SUNDAY"
    maintenance_time: str = "04:00"

    @field_validator("maintenance_time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
            raise ValueError(f"{value!r} is not a UTC time like 04:00")
        return value

    @field_validator("username")
    @classmethod
    def _user(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9_.~-]{2,100}$", value) or value == "guest":
            raise ValueError(f"{value!r} must be 2-100 of A-Z a-z 0-9 _ . ~ - and not 'guest'")
        return value

    @model_validator(mode="after")
    def _checks(self) -> RabbitMqConfig:
        if self.deployment_mode == "CLUSTER_MULTI_AZ" and self.instance_type in RABBITMQ_SINGLE_ONLY:
            raise _KeyedError("instanceType", f"{self.instance_type} runs only as SINGLE_INSTANCE, not in a cluster")
        return self


class DocumentDbConfig(_Model):
    """Amazon DocumentDB (the Analytics Service's MongoDB-compatible document store)."""

    engine_version: Annotated[str, BeforeValidator(_allowed_version(DOCUMENTDB_VERSIONS))] = "5.0.0"
    instance_class: Annotated[str, AfterValidator(_class_pattern(DOCUMENTDB_INSTANCE_CLASS, "db.r6g.large"))] = (
        "db.r6g.large"
    )
    instances: int = Field(3, ge=1, le=16, description="one primary plus read replicas")
    username: str = "analytics_admin"
    backup_retention_days: int = Field(30, ge=1, le=35)
    backup_window: Annotated[str, AfterValidator(lambda w: _window_length(w, 30, weekly=False))] = "02:00-02:30"
    maintenance_window: Annotated[str, AfterValidator(lambda w: _window_length(w, 30, weekly=True))] = (
        "sun:04:00-sun:04:30"
    )

    @field_validator("username")
    @classmethod
    def _user(cls, value: str) -> str:
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$", value) or value in ("admin", "root", "serviceadmin"):
            raise ValueError(f"{value!r} must start with a letter, use a-z 0-9 _, and not be a reserved name")
        return value

    @model_validator(mode="after")
    def _checks(self) -> DocumentDbConfig:
        if daily_window_minutes(self.backup_window) & weekly_window_minutes(self.maintenance_window):
            raise _KeyedError("maintenanceWindow", f"overlaps the backup window {self.backup_window}")
        return self


class DatastoresConfig(_Model):
    """The four datastores and how their secrets reach the cluster."""

    namespace: str = Field("apps", description="namespace of the services; the ExternalSecrets land here")
    secret_recovery_window_days: int = Field(30, description="0 (delete at once) or 7 to 30")
    log_retention_days: RetentionDays = Field(365, description="the datastores' audit, slow and engine logs")
    credential_rotation_days: int = Field(30, ge=1, le=365, description="Redis's and RabbitMQ's credentials rotate")
    secret_refresh_minutes: int = Field(
        1, ge=1, le=60, description="how often External Secrets reads the datastores' secrets again"
    )
    postgres: PostgresConfig = PostgresConfig()
    redis: RedisConfig = RedisConfig()
    rabbitmq: RabbitMqConfig = RabbitMqConfig()
    documentdb: DocumentDbConfig = DocumentDbConfig()

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise ValueError(f"{value!r} is not a namespace name (a DNS label)")
        reserved = reserved_namespace(value)
        if reserved is not None:
            raise ValueError(reserved)
        return value

    @field_validator("secret_recovery_window_days")
    @classmethod
    def _recovery(cls, value: int) -> int:
        if value != 0 and not 7 <= value <= 30:
            raise ValueError(f"{value} is not 0 or 7 to 30 (Secrets Manager's recovery window)")
        return value


# ``platform:datastores`` per environment, unless the stack file says otherwise.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "secretRecoveryWindowDays": 0,  # dev is torn down and rebuilt: names must be free again at once
        "logRetentionDays": 30,
        # The smallest classes each engine offers (DocumentDB's is db.t4g.medium; Amazon MQ's mq.t3.micro).
        "postgres": {
            "instanceClass": "db.t4g.micro",
            "multiAz": False,
            "allocatedStorageGib": 20,
            "maxAllocatedStorageGib": 100,
        },
        "redis": {"nodeType": "cache.t4g.micro", "numCacheClusters": 1, "automaticFailover": False, "multiAz": False},
        "rabbitmq": {"instanceType": "mq.t3.micro", "deploymentMode": "SINGLE_INSTANCE"},
        "documentdb": {"instanceClass": "db.t4g.medium", "instances": 1},
    },
    Environment.STAGING: {
        "postgres": {"instanceClass": "db.t4g.large", "multiAz": True, "allocatedStorageGib": 50},
        "redis": {"nodeType": "cache.t4g.medium", "numCacheClusters": 2},
        "rabbitmq": {"instanceType": "mq.m5.large", "deploymentMode": "CLUSTER_MULTI_AZ"},
        "documentdb": {"instanceClass": "db.t4g.medium", "instances": 2},
    },
    Environment.PROD: {
        "postgres": {"instanceClass": "db.r6g.large", "multiAz": True, "allocatedStorageGib": 100},
        "redis": {"nodeType": "cache.r6g.large", "numCacheClusters": 3},
        "rabbitmq": {"instanceType": "mq.m5.large", "deploymentMode": "CLUSTER_MULTI_AZ"},
        "documentdb": {"instanceClass": "db.r6g.large", "instances": 3},
    },
}
