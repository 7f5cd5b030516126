"""The platform's configuration: pydantic models, tier defaults, and loading.

Every value a stack can set lives under the ``platform:`` namespace of ``stacks/Pulumi.<stack>.yaml``,
one top-level key per component (``platform:network``, ``platform:cluster`` ...). Loading goes:

    raw Pulumi config (strings, JSON for objects)  ->  tier defaults for the environment
    ->  the user's values merged on top  ->  PlatformConfig (validated, frozen)

Validation happens before any resource is registered. A bad value raises :class:`ConfigError`
whose message is one line naming the key (``platform:network.cidr``) and what is allowed.
"""

from __future__ import annotations

import ipaddress
import json
import re
import typing
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from infra.quantities import cpu_millis, memory_bytes

NAMESPACE = "platform"

# EKS versions this platform is built and tested for (standard or extended support on EKS when the
# pinned pulumi-aws was released); keep in step with the EKS Kubernetes versions page. The offline
# schema validation of manifests uses the same list.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")

# The seed's per-pod resource range.
POD_CPU_MIN_MILLIS = 500
POD_CPU_MAX_MILLIS = 2000
POD_MEMORY_MIN_BYTES = 512 * 2**20
POD_MEMORY_MAX_BYTES = 2 * 2**30

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Interface endpoints that nodes in private subnets use (image pulls, IRSA, logs, load balancers,
# the cluster autoscaler). S3 is a gateway endpoint and is always created.
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "logs",
    "elasticloadbalancing",
    "autoscaling",
    "kms",  # the token issuer signs with KMS; datastores' and volumes' keys are used through it too
)

_AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{1,22}[a-z0-9]$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|\d*xlarge|metal)$")
_ENDPOINT_SERVICE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")
_TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")


class ConfigError(ValueError):
    """A configuration value is invalid. ``str(err)`` is one line naming the key."""


class _KeyedError(ValueError):
    """A cross-field error that knows which key it is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class NatStrategy(StrEnum):
    """``single``: one NAT gateway for the VPC (cheap, one AZ is a point of failure);
    ``onePerAz``: one per availability zone, each private route table uses its own zone's."""

    SINGLE = "single"
    ONE_PER_AZ = "onePerAz"


class _Model(BaseModel):
    """Base: camelCase keys in YAML, snake_case in Python, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )


def _network(value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR block with its host bits zero ({exc})") from None


def _cidr_text(value: str) -> str:
    return str(_network(value))


Cidr = Annotated[str, AfterValidator(_cidr_text)]


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention period (allowed: {LOG_RETENTION_DAYS})")
    return days


RetentionDays = Annotated[int, AfterValidator(_check_retention)]


class FlowLogsConfig(_Model):
    retention_days: RetentionDays = 365
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"


class NetworkConfig(_Model):
    """The VPC. Subnet CIDRs are derived from ``cidr`` unless given explicitly (all three lists)."""

    cidr: Cidr = "10.0.0.0/16"
    availability_zones: int = Field(3, ge=2, le=6, description="how many AZs the VPC spans (2 to 6)")
    zone_names: tuple[str, ...] | None = None
    nat_gateways: NatStrategy = NatStrategy.ONE_PER_AZ
    public_subnet_cidrs: tuple[Cidr, ...] | None = None
    private_subnet_cidrs: tuple[Cidr, ...] | None = None
    data_subnet_cidrs: tuple[Cidr, ...] | None = None
    interface_endpoints: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS
    flow_logs: FlowLogsConfig = FlowLogsConfig()

    @field_validator("cidr")
    @classmethod
    def _vpc_size(cls, value: str) -> str:
        prefix = ipaddress.IPv4Network(value).prefixlen
        if not 16 <= prefix <= 21:
            raise ValueError(f"{value} has prefix /{prefix}; allowed: /16 to /21 (subnets need room in 3 tiers)")
        return value

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoint_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not _ENDPOINT_SERVICE.match(name) or name == "s3":
                raise ValueError(
                    f"{name!r} is not an interface endpoint service suffix like 'ecr.api' (s3 is a gateway endpoint)"
                )
        if len(set(value)) != len(value):
            raise ValueError("interface endpoints are listed twice")
        return value

    @model_validator(mode="after")
    def _subnets(self) -> NetworkConfig:
        if self.zone_names is not None and len(self.zone_names) != self.availability_zones:
            raise _KeyedError(
                "zoneNames",
                f"zoneNames lists {len(self.zone_names)} zones but availabilityZones is {self.availability_zones}",
            )
        explicit = {
            "publicSubnetCidrs": self.public_subnet_cidrs,
            "privateSubnetCidrs": self.private_subnet_cidrs,
            "dataSubnetCidrs": self.data_subnet_cidrs,
        }
        given = [k for k, v in explicit.items() if v is not None]
        if given and len(given) != 3:
            missing = next(k for k in explicit if k not in given)
            raise _KeyedError(missing, "give all of publicSubnetCidrs, privateSubnetCidrs and dataSubnetCidrs, or none")
        if not given:
            return self
        vpc = ipaddress.IPv4Network(self.cidr)
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for key, cidrs in explicit.items():
            assert cidrs is not None
            if len(cidrs) != self.availability_zones:
                raise _KeyedError(key, f"{len(cidrs)} blocks given; one per AZ ({self.availability_zones}) is needed")
            for text in cidrs:
                net = ipaddress.IPv4Network(text)
                if not net.subnet_of(vpc):
                    raise _KeyedError(key, f"{net} is outside the VPC block {vpc}")
                if net.prefixlen > 28:
                    raise _KeyedError(key, f"{net} is smaller than /28, the smallest AWS subnet")
                for other_key, other in seen:
                    if net.overlaps(other):
                        raise _KeyedError(key, f"{net} overlaps {other} of {other_key}")
                seen.append((key, net))
        return self


def _is_arm(instance_type: str) -> bool:
    """Graviton families carry a ``g`` right after the generation digit (m7g, c6gn, t4g, r8gd)."""
    family = instance_type.split(".", 1)[0]
    return bool(re.match(r"^[a-z]+\d+g", family)) and not family.startswith(("g", "p", "inf", "trn", "dl"))


class NodeGroupConfig(_Model):
    """The managed node group of workers (the seed's 2 workers; the master is EKS's control plane)."""

    instance_types: tuple[str, ...] = ("m6i.large",)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    min_size: int = Field(2, ge=2, le=100, description="at least the seed's 2 workers")
    desired_size: int = Field(2, ge=2, le=100)
    max_size: int = Field(6, ge=2, le=100)
    disk_size_gib: int = Field(50, ge=20, le=1000)

    @field_validator("instance_types")
    @classmethod
    def _types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one instance type is needed")
        for item in value:
            if not _INSTANCE_TYPE.match(item):
                raise ValueError(f"{item!r} is not an EC2 instance type like m6i.large")
        if len({_is_arm(t) for t in value}) > 1:
            raise ValueError("instance types mix Graviton (arm64) and x86_64; one node group runs one architecture")
        return value

    @property
    def ami_type(self) -> str:
        """The EKS-optimised Amazon Linux 2023 image for the instance types' architecture."""
        return "AL2023_ARM_64_STANDARD" if _is_arm(self.instance_types[0]) else "AL2023_x86_64_STANDARD"

    @model_validator(mode="after")
    def _sizes(self) -> NodeGroupConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize <= desiredSize <= maxSize, got {self.min_size}, {self.desired_size}, {self.max_size}"
            )
        if self.max_size == self.min_size:
            raise ValueError(f"maxSize ({self.max_size}) must exceed minSize so the group can autoscale")
        return self


class ClusterConfig(_Model):
    kubernetes_version: str = "1.35"
    endpoint_public_access_cidrs: tuple[Cidr, ...] = ()
    service_cidr: Cidr = "172.20.0.0/16"
    node_group: NodeGroupConfig = NodeGroupConfig()
    log_retention_days: RetentionDays = 90
    admin_role_arns: tuple[str, ...] = ()

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f'{value!r} must be a quoted string like "1.35"')
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(f"{value!r} is not supported (allowed: {', '.join(SUPPORTED_KUBERNETES_VERSIONS)})")
        return value

    @field_validator("endpoint_public_access_cidrs")
    @classmethod
    def _no_world(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            if ipaddress.IPv4Network(cidr).prefixlen == 0:
                raise ValueError("0.0.0.0/0 would open the API server to the internet; list your admin CIDRs")
        return value

    @field_validator("service_cidr")
    @classmethod
    def _service_cidr(cls, value: str) -> str:
        net = ipaddress.IPv4Network(value)
        if not (
            net.subnet_of(ipaddress.IPv4Network("10.0.0.0/8"))
            or net.subnet_of(ipaddress.IPv4Network("172.16.0.0/12"))
            or net.subnet_of(ipaddress.IPv4Network("192.168.0.0/16"))
        ):
            raise ValueError(f"{value} is not in an RFC 1918 range, as EKS requires")
        if not 12 <= net.prefixlen <= 24:
            raise ValueError(f"{value} has prefix /{net.prefixlen}; EKS allows /12 to /24")
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$", arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN")
        return value


def _cpu(value: str) -> str:
    millis = cpu_millis(value)
    if not POD_CPU_MIN_MILLIS <= millis <= POD_CPU_MAX_MILLIS:
        raise ValueError(f"{value} is outside the per-pod CPU range 500m to 2000m")
    return value


def _memory(value: str) -> str:
    size = memory_bytes(value)
    if not POD_MEMORY_MIN_BYTES <= size <= POD_MEMORY_MAX_BYTES:
        raise ValueError(f"{value} is outside the per-pod memory range 512Mi to 2Gi")
    return value


CpuQuantity = Annotated[str, AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]


class ResourceAmounts(_Model):
    cpu: CpuQuantity
    memory: MemoryQuantity


class PodResources(_Model):
    """Requests and limits of a pod's container, inside the seed's range (CPU 500m-2000m, memory 512Mi-2Gi)."""

    requests: ResourceAmounts = ResourceAmounts(cpu="500m", memory="512Mi")
    limits: ResourceAmounts = ResourceAmounts(cpu="2000m", memory="2Gi")

    @model_validator(mode="after")
    def _ordered(self) -> PodResources:
        if cpu_millis(self.requests.cpu) > cpu_millis(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        if memory_bytes(self.requests.memory) > memory_bytes(self.limits.memory):
            raise ValueError(f"requests.memory {self.requests.memory} exceeds limits.memory {self.limits.memory}")
        return self


class WorkloadsConfig(_Model):
    """Defaults every workload of the platform starts from."""

    resources: PodResources = PodResources()


class ProtectionConfig(_Model):
    """How hard stateful resources are to lose. Prod: everything on; dev may relax it by config."""

    protect: bool = True
    deletion_protection: bool = True


def _tags(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if not _TAG_KEY.match(key) or key.lower().startswith("aws:"):
            raise ValueError(f"{key!r} is not a valid tag key")
    return value


# ---------------------------------------------------------------------------------------------
# Datastores (PostgreSQL, Redis, RabbitMQ, DocumentDB) and the delivery of their secrets.
# Engine versions and instance classes are allow-listed: a value outside the list is refused with
# one line naming the key, before anything is planned.
# ---------------------------------------------------------------------------------------------
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

_DAILY_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK_MINUTES = 7 * 24 * 60
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_DB_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def daily_window_minutes(window: str) -> set[int]:
    """Minutes of the week covered by a daily window ``HH:MM-HH:MM`` (UTC; may cross midnight)."""
    match = _DAILY_WINDOW.match(window)
    if not match:
        raise ValueError(f"{window!r} is not a daily UTC window like 02:00-02:30")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    length = (end - start) % 1440
    return {(day * 1440 + start + m) % _WEEK_MINUTES for day in range(7) for m in range(length)}


def weekly_window_minutes(window: str) -> set[int]:
    """Minutes of the week covered by a weekly window ``ddd:HH:MM-ddd:HH:MM`` (UTC)."""
    match = _WEEKLY_WINDOW.match(window)
    if not match:
        raise ValueError(f"{window!r} is not a weekly UTC window like sun:04:00-sun:04:30")
    start = _DAYS.index(match[1]) * 1440 + int(match[2]) * 60 + int(match[3])
    end = _DAYS.index(match[4]) * 1440 + int(match[5]) * 60 + int(match[6])
    length = (end - start) % _WEEK_MINUTES
    return {(start + m) % _WEEK_MINUTES for m in range(length)}


def _window_length(window: str, minimum: int, weekly: bool) -> str:
    minutes = weekly_window_minutes(window) if weekly else daily_window_minutes(window)
    length = len(minutes) if weekly else len(minutes) // 7
    if length < minimum:
        raise ValueError(f"{window!r} lasts {length} minutes; at least {minimum} are needed")
    return window


def _allowed_version(allowed: tuple[str, ...]) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f'{value!r} must be a quoted string like "{allowed[-1]}"')
        if value not in allowed:
            raise ValueError(f"{value!r} is not supported (allowed: {', '.join(allowed)})")
        return value

    return check


def _class_pattern(pattern: re.Pattern[str], example: str) -> Any:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not a supported instance class like {example} (pattern {pattern.pattern})")
        return value

    return check


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
    snapshot_retention_days: int = Field(7, ge=1, le=35)
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
    postgres: PostgresConfig = PostgresConfig()
    redis: RedisConfig = RedisConfig()
    rabbitmq: RabbitMqConfig = RabbitMqConfig()
    documentdb: DocumentDbConfig = DocumentDbConfig()

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not _DNS_LABEL.match(value) or value.startswith("kube-"):
            raise ValueError(f"{value!r} is not a namespace name (DNS label, not kube-*)")
        return value

    @field_validator("secret_recovery_window_days")
    @classmethod
    def _recovery(cls, value: int) -> int:
        if value != 0 and not 7 <= value <= 30:
            raise ValueError(f"{value} is not 0 or 7 to 30 (Secrets Manager's recovery window)")
        return value


# ---------------------------------------------------------------------------------------------
# The edge (issue 3): public load balancer + WAF, NGINX ingress, cert-manager, Kong gateway.
# ---------------------------------------------------------------------------------------------
# Let's Encrypt's ACME directories (https://letsencrypt.org/docs/staging-environment/).
ACME_SERVERS: dict[str, str] = {
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "production": "https://acme-v02.api.letsencrypt.org/directory",
}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,63}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_ROUTE_PATH = re.compile(r"^/[a-z0-9][a-z0-9/_-]*$")
RESERVED_GATEWAY_PATHS = ("/health",)


def _k8s_name(value: str) -> str:
    if not _K8S_NAME.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes name (lower-case letters, digits and '-', at most 63)")
    return value


K8sName = Annotated[str, AfterValidator(_k8s_name)]


class IngressConfig(_Model):
    """The public entry: ALB + WAF in front of NGINX, certificates from ACM (ALB) and Let's Encrypt (NGINX)."""

    hostnames: tuple[str, ...]
    dns_zone_id: str
    dns_zone_name: str
    acme_email: str
    acme_environment: Literal["staging", "production"] = "staging"
    replicas: int = Field(2, ge=1, le=20)
    min_available: int = Field(1, ge=0, le=19, description="NGINX pods the PodDisruptionBudget keeps (0: no PDB)")
    waf_rate_limit: int = Field(2000, ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")
    hsts_max_age_seconds: int = Field(31_536_000, ge=300, le=63_072_000)
    cert_manager_replicas: int = Field(1, ge=1, le=5)
    waf_log_retention_days: RetentionDays = 365

    @field_validator("hostnames")
    @classmethod
    def _hostnames(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one public hostname is needed")
        for host in value:
            if not _HOSTNAME.match(host):
                raise ValueError(f"{host!r} is not a lower-case DNS hostname like api.example.com")
        if len(set(value)) != len(value):
            raise ValueError("a hostname is listed twice")
        return value

    @field_validator("dns_zone_id")
    @classmethod
    def _zone_id(cls, value: str) -> str:
        if not _ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ")
        return value

    @field_validator("dns_zone_name")
    @classmethod
    def _zone_name(cls, value: str) -> str:
        value = value.removesuffix(".")
        if not _HOSTNAME.match(value):
            raise ValueError(f"{value!r} is not a DNS zone name like example.com")
        return value

    @field_validator("acme_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address (Let's Encrypt sends expiry notices there)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> IngressConfig:
        for host in self.hostnames:
            if host != self.dns_zone_name and not host.endswith(f".{self.dns_zone_name}"):
                raise _KeyedError("hostnames", f"{host} is not inside the DNS zone {self.dns_zone_name}")
        if self.min_available >= self.replicas:
            raise _KeyedError(
                "minAvailable", f"{self.min_available} must be below replicas ({self.replicas}) or nodes cannot drain"
            )
        return self

    @property
    def acme_server(self) -> str:
        return ACME_SERVERS[self.acme_environment]


class GatewayRouteConfig(_Model):
    """One public path of the API gateway, proxied to a Kubernetes Service."""

    name: K8sName
    path: str
    service: K8sName
    port: int = Field(ge=1, le=65535)
    jwt: bool = True
    limit_by: Literal["consumer", "ip"] = "consumer"
    requests_per_minute: int = Field(600, ge=1, le=1_000_000)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _ROUTE_PATH.match(value) or value.endswith("/"):
            raise ValueError(f"{value!r} is not a path like /users (lower-case, no trailing slash)")
        if value in RESERVED_GATEWAY_PATHS:
            raise ValueError(f"{value} is the gateway's own health route")
        return value

    @model_validator(mode="after")
    def _identity(self) -> GatewayRouteConfig:
        if self.limit_by == "consumer" and not self.jwt:
            raise _KeyedError("limitBy", "consumer needs jwt: true (without a token there is no consumer); use ip")
        return self


class GatewayConsumerConfig(_Model):
    """An OAuth 2.0 client known to Kong: its JWT credential lives in a Secret (by name, never inline)."""

    username: K8sName
    credential_secret: K8sName
    requests_per_minute: int | None = Field(None, ge=1, le=1_000_000)


DEFAULT_GATEWAY_ROUTES: tuple[GatewayRouteConfig, ...] = (
    GatewayRouteConfig(
        name="auth", path="/auth", service="user-service", port=8001, jwt=False, limit_by="ip", requests_per_minute=30
    ),
    GatewayRouteConfig(name="users", path="/users", service="user-service", port=8001),
    GatewayRouteConfig(name="analytics", path="/analytics", service="analytics", port=8002),
)


class GatewayConfig(_Model):
    """Kong (DB-less, with its ingress controller) behind NGINX."""

    replicas: int = Field(2, ge=1, le=20)
    min_available: int = Field(1, ge=0, le=19)
    access_token_ttl_seconds: int = Field(900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(604_800, ge=3600, le=2_592_000)
    global_requests_per_minute: int = Field(1200, ge=1, le=1_000_000, description="per client IP, all routes")
    routes: tuple[GatewayRouteConfig, ...] = DEFAULT_GATEWAY_ROUTES
    consumers: tuple[GatewayConsumerConfig, ...] = (
        GatewayConsumerConfig(username="web-app", credential_secret="kong-jwt-web-app"),
    )

    @model_validator(mode="after")
    def _consistent(self) -> GatewayConfig:
        if self.min_available >= self.replicas:
            raise _KeyedError(
                "minAvailable", f"{self.min_available} must be below replicas ({self.replicas}) or nodes cannot drain"
            )
        if self.refresh_token_ttl_seconds <= self.access_token_ttl_seconds:
            raise _KeyedError("refreshTokenTtlSeconds", "a refresh token must outlive the access token")
        if not self.routes:
            raise _KeyedError("routes", "at least one route is needed")
        for attr, label in (("name", "name"), ("path", "path")):
            seen = [getattr(r, attr) for r in self.routes]
            dupes = sorted({v for v in seen if seen.count(v) > 1})
            if dupes:
                raise _KeyedError("routes", f"route {label} {dupes[0]} is used twice")
        ports: dict[str, int] = {}
        for route in self.routes:
            if ports.setdefault(route.service, route.port) != route.port:
                raise _KeyedError("routes", f"service {route.service} is given two ports")
        names = [c.username for c in self.consumers]
        if len(set(names)) != len(names):
            raise _KeyedError("consumers", "a consumer username is listed twice")
        return self


# ---------------------------------------------------------------------------------------------
# Services (issue 5): the seed's three services, each one ServiceDeployment (components/service.py).
# Adding a service is an entry under ``platform:services.deployments``. Names shared with the edge
# (Kong) and the datastores (External Secrets) are the constants below.
# ---------------------------------------------------------------------------------------------
GATEWAY_POD_LABELS: dict[str, str] = {"app.kubernetes.io/name": "kong"}  # the kong chart's proxy pods
MONITORING_NAMESPACE = "monitoring"  # Prometheus scrapes the services from here
PROMETHEUS_POD_LABELS: dict[str, str] = {"app.kubernetes.io/name": "prometheus"}


class DatastoreEndpoint(BaseModel):
    """How a service reaches one datastore: its port (NetworkPolicy egress into the data subnets) and
    the Kubernetes Secret (delivered by External Secrets) whose ``key`` becomes the env var ``env``."""

    model_config = ConfigDict(frozen=True)

    port: int
    secret: str
    env: str
    key: str = "url"


DATASTORE_ENDPOINTS: dict[str, DatastoreEndpoint] = {
    "postgres": DatastoreEndpoint(port=5432, secret="postgres-credentials", env="DATABASE_URL"),
    "redis": DatastoreEndpoint(port=6379, secret="redis-credentials", env="REDIS_URL"),
    "rabbitmq": DatastoreEndpoint(port=5671, secret="rabbitmq-credentials", env="CELERY_BROKER_URL"),
    "documentdb": DatastoreEndpoint(port=27017, secret="documentdb-credentials", env="MONGODB_URI"),
}

# The env var a service's container finds each datastore's connection URL in (the names the client
# libraries read); the port and the Secret come from the datastores' own outputs.
DATASTORE_ENV: dict[str, str] = {e: v.env for e, v in DATASTORE_ENDPOINTS.items()}

_SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")  # room for "-preview" and ECR prefixes
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_IMAGE_REPOSITORY = re.compile(
    r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SECRET_LOOKING = re.compile(r"PASSWORD|PASSWD|SECRET|CREDENTIAL|API_KEY|PRIVATE_KEY")
_DURATION = re.compile(r"^(?P<n>[1-9]\d*)(?P<unit>[smhd])$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")


def duration_seconds(value: str) -> int:
    """``"15m"`` -> 900, ``"7d"`` -> 604800."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration like 15m, 12h or 7d")
    return int(match["n"]) * _DURATION_SECONDS[match["unit"]]


def _image_reference(value: str) -> str:
    if not value:
        raise ValueError("an image needs a tag or a digest; untagged images are not deployed")
    if value.lower() == "latest":
        raise ValueError("'latest' is a moving tag; pin an immutable version tag or a sha256 digest")
    if value.startswith("sha256:"):
        if not _IMAGE_DIGEST.match(value):
            raise ValueError(f"{value!r} is not a sha256 digest (sha256: and 64 hex digits)")
        return value
    if not _IMAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not an image tag (A-Z a-z 0-9 _ . -, at most 128) or a sha256: digest")
    return value


def _image_repository(value: str) -> str:
    if "@" in value or ":" in value.rsplit("/", 1)[-1]:
        raise ValueError(f"{value!r} carries a tag or digest; give the repository alone and the version in blue/green")
    if not _IMAGE_REPOSITORY.match(value):
        raise ValueError(f"{value!r} is not an image repository like 123456789012.dkr.ecr.us-east-1.amazonaws.com/app")
    return value


ImageReference = Annotated[str, AfterValidator(_image_reference)]


class ImageConfig(_Model):
    """The image of each colour. ``target`` is the colour being rolled out (the Rollout's pod template);
    the other colour is what it replaces, and where ``target`` goes back to for a rollback."""

    repository: Annotated[str, AfterValidator(_image_repository)] | None = Field(
        None, description="default: the service's own ECR repository"
    )
    blue: ImageReference
    green: ImageReference | None = None
    target: Literal["blue", "green"] = "blue"

    @model_validator(mode="after")
    def _target(self) -> ImageConfig:
        if self.target == "green" and self.green is None:
            raise _KeyedError("green", "target is green but no green image is given")
        return self

    @property
    def reference(self) -> str:
        """The tag or digest of the target colour."""
        ref = self.green if self.target == "green" else self.blue
        assert ref is not None
        return ref


class ScalingConfig(_Model):
    """HorizontalPodAutoscaler bounds and targets (average utilisation of the pods' requests)."""

    min_replicas: int = Field(2, ge=1, le=100)
    max_replicas: int = Field(6, ge=1, le=100)
    cpu_utilization: int = Field(70, ge=10, le=100)
    memory_utilization: int = Field(80, ge=10, le=100)

    @model_validator(mode="after")
    def _bounds(self) -> ScalingConfig:
        if self.max_replicas < self.min_replicas:
            raise _KeyedError("maxReplicas", f"{self.max_replicas} is below minReplicas ({self.min_replicas})")
        return self


class TokenConfig(_Model):
    """OAuth 2.0 + JWT lifetimes of the service that issues tokens (passed as settings, not secrets)."""

    access_token_ttl: str = "15m"
    refresh_token_ttl: str = "7d"

    @field_validator("access_token_ttl", "refresh_token_ttl")
    @classmethod
    def _duration(cls, value: str) -> str:
        duration_seconds(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> TokenConfig:
        if duration_seconds(self.refresh_token_ttl) <= duration_seconds(self.access_token_ttl):
            raise _KeyedError("refreshTokenTtl", "a refresh token must outlive the access token")
        return self


class AwsPermissionConfig(_Model):
    """One IAM statement the service's role (IRSA) is given. No wildcard actions or resources."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one action is needed")
        for action in value:
            if not _IAM_ACTION.match(action) or action.split(":", 1)[1] == "*":
                raise ValueError(f"{action!r} is not a specific IAM action like s3:GetObject")
        return value

    @field_validator("resources")
    @classmethod
    def _resources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one resource ARN is needed")
        for arn in value:
            if not arn.startswith("arn:") or arn.rstrip("/*") in ("arn:aws", "arn"):
                raise ValueError(f"{arn!r} is not a resource ARN (no '*': name what the service needs)")
        return value


class ServiceConfig(_Model):
    """One service: how it runs, what it talks to, how it scales and which image each colour runs."""

    enabled: bool = True
    runtime: str = Field(description="what the image runs, e.g. python-fastapi (a label on its objects)")
    port: int | None = Field(None, ge=1024, le=65535, description="HTTP port behind the gateway; none for workers")
    metrics_port: int | None = Field(
        None, ge=1024, le=65535, description="/health and /metrics, when not on port (workers)"
    )
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    concurrency: int | None = Field(None, ge=1, le=64, description="Celery worker processes: --concurrency=N")
    env: dict[str, str] = Field(default_factory=dict)
    tokens: TokenConfig | None = None
    datastores: tuple[str, ...] = ()
    image: ImageConfig
    resources: PodResources | None = Field(None, description="default: platform:workloads.resources")
    scaling: ScalingConfig = ScalingConfig()
    termination_grace_period_seconds: int = Field(30, ge=5, le=3600)
    aws_permissions: tuple[AwsPermissionConfig, ...] = ()
    # The rollout analysis: the share of ``errorMetric`` (a counter the service exports) whose labels
    # match ``errorSelector``.
    error_metric: str = "http_requests_total"
    error_selector: str = 'status=~"5.."'

    @field_validator("error_metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if not re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", value):
            raise ValueError(f"{value!r} is not a Prometheus metric name")
        return value

    @field_validator("error_selector")
    @classmethod
    def _selector(cls, value: str) -> str:
        if not re.match(r'^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"{}]*"$', value):
            raise ValueError(f'{value!r} is not one Prometheus label matcher like status=~"5.."')
        return value

    @field_validator("datastores")
    @classmethod
    def _datastores(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in DATASTORE_ENDPOINTS:
                raise ValueError(f"unknown datastore {name!r} (known: {', '.join(sorted(DATASTORE_ENDPOINTS))})")
        if len(set(value)) != len(value):
            raise ValueError("a datastore is listed twice")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = {e.env for e in DATASTORE_ENDPOINTS.values()} | {"PORT", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL"}
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name (A-Z, 0-9, _)")
            if _SECRET_LOOKING.search(name):
                raise ValueError(f"{name} looks like a secret; secrets come from External Secrets, never env settings")
            if name in reserved:
                raise ValueError(f"{name} is set by the platform (datastores, port, tokens)")
        return value

    @field_validator("runtime")
    @classmethod
    def _runtime(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$", value):
            raise ValueError(f"{value!r} is not a label value like python-fastapi")
        return value

    @model_validator(mode="after")
    def _ports(self) -> ServiceConfig:
        if self.port is None and self.metrics_port is None:
            raise _KeyedError("metricsPort", "a worker without a port needs a metricsPort for /health and /metrics")
        return self

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(sorted({p for p in (self.port, self.metrics_port) if p is not None}))

    @property
    def container_args(self) -> tuple[str, ...]:
        """``args`` plus ``--concurrency=N`` for workers."""
        extra = (f"--concurrency={self.concurrency}",) if self.concurrency is not None else ()
        return self.args + extra


class AnalysisConfig(_Model):
    """The Prometheus analysis that gates promotion (before) and rolls back (after): the error rate of
    the new colour, measured ``count`` times every ``intervalSeconds``; more than ``failureLimit``
    failed measurements abort the rollout."""

    interval_seconds: int = Field(60, ge=10, le=600)
    count: int = Field(5, ge=1, le=60)
    failure_limit: int = Field(1, ge=0, le=10)
    max_error_rate: float = Field(0.01, gt=0, lt=1)

    @model_validator(mode="after")
    def _limits(self) -> AnalysisConfig:
        if self.failure_limit >= self.count:
            raise _KeyedError(
                "failureLimit", f"{self.failure_limit} must be below count ({self.count}) or nothing fails"
            )
        return self

    @property
    def duration_seconds(self) -> int:
        return self.interval_seconds * self.count


def _service_name(value: str) -> str:
    if not _SERVICE_NAME.match(value):
        raise ValueError(f"{value!r} is not a service name (a-z, 0-9, '-', at most 40)")
    return value


ServiceName = Annotated[str, AfterValidator(_service_name)]


class MonitoringConfig(_Model):
    """Prometheus (kube-prometheus-stack) and metrics-server."""

    prometheus_replicas: int = Field(1, ge=1, le=5)
    retention_days: int = Field(15, ge=1, le=365)
    storage_gib: int = Field(50, ge=10, le=16_384)
    metrics_server_replicas: int = Field(2, ge=1, le=5)


class ServicesConfig(_Model):
    """The services, and how all of them roll out (Argo Rollouts blue-green)."""

    rollouts_controller_replicas: int = Field(2, ge=1, le=3)
    auto_promotion: bool = Field(False, description="promote after a passing analysis without a manual step")
    scale_down_delay_seconds: int = Field(600, ge=30, le=86_400, description="old colour kept for instant rollback")
    analysis: AnalysisConfig = AnalysisConfig()
    deployments: dict[ServiceName, ServiceConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _checks(self) -> ServicesConfig:
        owner: dict[int, str] = {}
        for name, service in self.deployments.items():
            if not service.enabled:
                continue
            for port in service.ports:
                if port in owner:
                    raise _KeyedError(f"deployments.{name}.port", f"{port} is already used by {owner[port]}")
                owner[port] = name
        # After promotion the old colour must outlive the post-promotion analysis, or there is nothing
        # to roll back to.
        if self.scale_down_delay_seconds < self.analysis.duration_seconds + 30:
            raise _KeyedError(
                "scaleDownDelaySeconds",
                f"{self.scale_down_delay_seconds} s is shorter than the analysis ({self.analysis.duration_seconds} s)"
                " plus 30 s; the old colour would be gone before a rollback",
            )
        return self

    @property
    def enabled(self) -> dict[str, ServiceConfig]:
        return {n: s for n, s in self.deployments.items() if s.enabled}


class PlatformConfig(_Model):
    """The whole platform for one stack."""

    project: str = "platform"
    environment: Environment
    region: str = "us-east-1"
    backup_region: str = "us-west-2"
    tags: Annotated[dict[str, str], AfterValidator(_tags)] = Field(default_factory=dict)
    network: NetworkConfig = NetworkConfig()
    cluster: ClusterConfig = ClusterConfig()
    workloads: WorkloadsConfig = WorkloadsConfig()
    protection: ProtectionConfig = ProtectionConfig()
    datastores: DatastoresConfig = DatastoresConfig()
    ingress: IngressConfig | None = None  # no public entry (and no gateway) when absent
    gateway: GatewayConfig = GatewayConfig()
    services: ServicesConfig = ServicesConfig()
    monitoring: MonitoringConfig = MonitoringConfig()

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _PROJECT.match(value):
            raise ValueError(f"{value!r} must be 3-24 characters of a-z, 0-9 and '-', starting with a letter")
        return value

    @field_validator("region", "backup_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _AWS_REGION.match(value):
            raise ValueError(f"{value!r} is not an AWS region like us-east-1")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> PlatformConfig:
        if self.backup_region == self.region:
            raise _KeyedError("backupRegion", f"{self.backup_region} is also the primary region; backups need another")
        vpc = ipaddress.IPv4Network(self.network.cidr)
        service = ipaddress.IPv4Network(self.cluster.service_cidr)
        if vpc.overlaps(service):
            raise _KeyedError("cluster.serviceCidr", f"{service} overlaps the VPC block {vpc}")
        return self

    @model_validator(mode="after")
    def _services_meet_the_gateway(self) -> PlatformConfig:
        """Kong's routes point at services that exist, on their ports; the tokens a service issues live
        exactly as long as Kong accepts them."""
        services = self.services.enabled
        for index, route in enumerate(self.gateway.routes):
            target = services.get(route.service)
            if target is None:
                raise _KeyedError(
                    f"gateway.routes[{index}].service",
                    f"route {route.name} points at {route.service}, which is not a service "
                    f"(services: {', '.join(services)})",
                )
            if target.port != route.port:
                raise _KeyedError(
                    f"gateway.routes[{index}].port",
                    f"route {route.name} uses port {route.port}; {route.service} listens on {target.port}",
                )
        jwt_routes = [r.name for r in self.gateway.routes if r.jwt]
        if self.ingress is not None and jwt_routes and not any(s.tokens is not None for s in services.values()):
            raise _KeyedError(
                "services.deployments",
                f"routes {', '.join(jwt_routes)} require JWTs, but no service issues tokens (set its tokens)",
            )
        for name, service in services.items():
            if service.tokens is None:
                continue
            pairs = (
                ("accessTokenTtl", service.tokens.access_token_ttl, self.gateway.access_token_ttl_seconds),
                ("refreshTokenTtl", service.tokens.refresh_token_ttl, self.gateway.refresh_token_ttl_seconds),
            )
            for key, ttl, gateway_seconds in pairs:
                if duration_seconds(ttl) != gateway_seconds:
                    raise _KeyedError(
                        f"services.deployments.{name}.tokens.{key}",
                        f"{ttl} differs from the gateway's {gateway_seconds} s (platform:gateway); they must agree",
                    )
        return self

    @property
    def name_prefix(self) -> str:
        """``<project>-<environment>``: the prefix of every physical name."""
        return f"{self.project}-{self.environment.value}"


# ---------------------------------------------------------------------------------------------
# Tier defaults: what each environment gets unless its stack file says otherwise. Stacks differ
# by data only; components never test the environment.
# ---------------------------------------------------------------------------------------------
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "network": {"availabilityZones": 2, "natGateways": "single", "flowLogs": {"retentionDays": 30}},
        "cluster": {
            "nodeGroup": {"minSize": 2, "desiredSize": 2, "maxSize": 4, "instanceTypes": ["t3.large"]},
            "logRetentionDays": 30,
        },
        "protection": {"protect": False, "deletionProtection": False},
        "ingress": {
            "acmeEnvironment": "staging",
            "replicas": 1,
            "minAvailable": 0,
            "wafRateLimit": 1000,
            "wafLogRetentionDays": 30,
        },
        "gateway": {"replicas": 1, "minAvailable": 0},
    },
    Environment.STAGING: {
        "network": {"availabilityZones": 3, "natGateways": "single", "flowLogs": {"retentionDays": 90}},
        "cluster": {"nodeGroup": {"minSize": 2, "desiredSize": 3, "maxSize": 6}, "logRetentionDays": 90},
        "protection": {"protect": True, "deletionProtection": True},
        "ingress": {
            "acmeEnvironment": "staging",
            "replicas": 2,
            "minAvailable": 1,
            "wafRateLimit": 2000,
            "wafLogRetentionDays": 90,
        },
        "gateway": {"replicas": 2, "minAvailable": 1},
    },
    Environment.PROD: {
        "network": {"availabilityZones": 3, "natGateways": "onePerAz", "flowLogs": {"retentionDays": 365}},
        "cluster": {"nodeGroup": {"minSize": 3, "desiredSize": 3, "maxSize": 10}, "logRetentionDays": 365},
        "protection": {"protect": True, "deletionProtection": True},
        "ingress": {
            "acmeEnvironment": "production",
            "replicas": 3,
            "minAvailable": 2,
            "wafRateLimit": 2000,
            "certManagerReplicas": 2,
            "wafLogRetentionDays": 365,
        },
        "gateway": {"replicas": 3, "minAvailable": 2},
    },
}
# Sections a stack may leave out entirely; their tier defaults apply only when the stack has them.
OPTIONAL_SECTIONS: tuple[str, ...] = ("ingress",)


# Datastores per environment (merged into TIER_DEFAULTS; kept apart so other areas' entries stay untouched).
_DATASTORE_TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "secretRecoveryWindowDays": 0,  # dev is torn down and rebuilt: names must be free again at once
        "postgres": {
            "instanceClass": "db.t4g.medium",
            "multiAz": False,
            "allocatedStorageGib": 20,
            "maxAllocatedStorageGib": 100,
        },
        "redis": {"nodeType": "cache.t4g.small", "numCacheClusters": 1, "automaticFailover": False, "multiAz": False},
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
for _env, _values in _DATASTORE_TIER_DEFAULTS.items():
    TIER_DEFAULTS[_env]["datastores"] = _values


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# The seed's three services (merged into TIER_DEFAULTS per environment; kept apart so other areas'
# entries stay untouched). Stacks set the images; the rest differs per environment only in scale and
# promotion.
_SEED_SERVICES: dict[str, dict[str, Any]] = {
    "user-service": {
        "runtime": "python-fastapi",
        "port": 8001,
        "command": ["uvicorn"],
        "args": ["app.main:app", "--host=0.0.0.0", "--port=8001", "--proxy-headers", "--no-server-header"],
        "datastores": ["postgres", "redis"],
        "tokens": {"accessTokenTtl": "15m", "refreshTokenTtl": "7d"},
        "env": {"LOG_LEVEL": "info", "AUTH_MODE": "oauth2-jwt"},
        "image": {"blue": "1.0.0"},
    },
    "data-processing": {
        "runtime": "python-celery",
        "metricsPort": 9808,
        "command": ["celery"],
        # Queues of the seed's tasks: document parsing, data transformation, report generation.
        "args": ["--app=processing.worker", "worker", "--loglevel=INFO", "--queues=documents,transformations,reports"],
        "concurrency": 4,
        "datastores": ["rabbitmq"],
        "env": {"WORKER_HEALTH_PORT": "9808"},
        "terminationGracePeriodSeconds": 120,  # a task in flight finishes before the pod goes
        "errorMetric": "celery_tasks_total",
        "errorSelector": 'state="FAILURE"',
        "image": {"blue": "1.0.0"},
    },
    "analytics": {
        "runtime": "nodejs-express",
        "port": 8002,
        "command": ["node"],
        "args": ["dist/server.js"],
        "datastores": ["documentdb"],
        "env": {"NODE_ENV": "production", "LOG_LEVEL": "info"},
        "image": {"blue": "1.0.0"},
    },
}
_SERVICE_TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "rolloutsControllerReplicas": 1,
        "autoPromotion": True,
        "scaleDownDelaySeconds": 330,
        "deployments": {name: {"scaling": {"minReplicas": 1, "maxReplicas": 3}} for name in _SEED_SERVICES},
    },
    Environment.STAGING: {
        "autoPromotion": True,
        "scaleDownDelaySeconds": 600,
        "deployments": {name: {"scaling": {"minReplicas": 2, "maxReplicas": 4}} for name in _SEED_SERVICES},
    },
    Environment.PROD: {
        "autoPromotion": False,  # promotion after the analysis passes and the pipeline's manual approval
        "scaleDownDelaySeconds": 900,
        "deployments": {name: {"scaling": {"minReplicas": 3, "maxReplicas": 10}} for name in _SEED_SERVICES},
    },
}
_MONITORING_TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {"prometheusReplicas": 1, "retentionDays": 7, "storageGib": 20, "metricsServerReplicas": 1},
    Environment.STAGING: {"prometheusReplicas": 1, "retentionDays": 15, "storageGib": 50, "metricsServerReplicas": 2},
    Environment.PROD: {"prometheusReplicas": 2, "retentionDays": 30, "storageGib": 100, "metricsServerReplicas": 2},
}
for _env, _values in _SERVICE_TIER_DEFAULTS.items():
    TIER_DEFAULTS[_env]["services"] = _deep_merge({"deployments": _SEED_SERVICES}, _values)
    TIER_DEFAULTS[_env]["monitoring"] = _MONITORING_TIER_DEFAULTS[_env]


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``loc`` (minus the offending key) admits, by walking the models."""
    model: Any = PlatformConfig
    for part in loc[:-1]:
        if typing.get_origin(model) is dict:  # a mapping of free names to models: step into the model
            model = typing.get_args(model)[1]
            continue
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return []
        model = field.annotation
        if typing.get_origin(model) is dict:  # the next part is a free name (a key of the mapping)
            continue
        # Optional sections and lists of models: walk into the model they hold.
        inner = [a for a in get_args(model) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner:
            model = inner[0]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or n for n, f in model.model_fields.items())
    return []


_BOUND_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def _format_error(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    key = f"{NAMESPACE}:" + ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        return f"{key}: unknown key (allowed: {', '.join(allowed)})"
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _KeyedError):
        return f"{key}.{ctx_error.key}: {ctx_error}" if loc else f"{NAMESPACE}:{ctx_error.key}: {ctx_error}"
    if first["type"] in _BOUND_ERRORS:
        return f"{key}: {first['input']!r} is out of range ({message.removeprefix('Input should be ')})"
    if first["type"] == "enum" or first["type"] == "literal_error":
        expected = (first.get("ctx") or {}).get("expected", "")
        return f"{key}: {first['input']!r} is not allowed (allowed: {expected})"
    if first["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {message}"


def build_config(values: Mapping[str, Any]) -> PlatformConfig:
    """Validate the ``platform:`` values of a stack (keys without the namespace) into a PlatformConfig.

    Tier defaults for the environment are applied first; the stack's values override them.
    Raises :class:`ConfigError` with a one-line message naming the key.
    """
    env_value = values.get("environment")
    allowed_envs = ", ".join(e.value for e in Environment)
    if env_value is None:
        raise ConfigError(f"{NAMESPACE}:environment: required key is missing (allowed: {allowed_envs})")
    try:
        environment = Environment(env_value)
    except ValueError:
        raise ConfigError(f"{NAMESPACE}:environment: {env_value!r} is not allowed (allowed: {allowed_envs})") from None
    defaults = {k: v for k, v in TIER_DEFAULTS[environment].items() if k not in OPTIONAL_SECTIONS or k in values}
    merged = _deep_merge(defaults, values)
    try:
        return PlatformConfig.model_validate(merged)
    except ValidationError as err:
        raise ConfigError(_format_error(err)) from None


# ---------------------------------------------------------------------------------------------
# Loading: from the Pulumi runtime (the stack program) and from a stack file (the offline engine).
# ---------------------------------------------------------------------------------------------
def decode_config_value(raw: Any) -> Any:
    """Pulumi hands config to the program as strings, objects and lists JSON-encoded."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def platform_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``platform:*`` entries of a flat Pulumi config map, namespace stripped and JSON decoded."""
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: decode_config_value(v) for k, v in config.items() if k.startswith(prefix)}


def load_from_pulumi() -> PlatformConfig:
    """Read and validate this stack's configuration from the running Pulumi program.

    Called from ``stacks/__main__.py`` only. Pulumi's public ``Config`` API cannot enumerate keys, and
    unknown keys must be rejected, so the runtime's config map is read as a whole (the same map the
    CLI fills from the stack file).
    """
    from pulumi.runtime import config as runtime_config

    flat: dict[str, Any] = dict(runtime_config.get_config_env())
    flat.update(runtime_config.CONFIG.get())
    return build_config(platform_values(flat))


class StackFile(BaseModel):
    """A ``Pulumi.<stack>.yaml`` as the Pulumi CLI would hand it to the program."""

    model_config = ConfigDict(frozen=True)

    path: Path
    config: dict[str, str]  # flat "namespace:key" -> string / JSON text, as the CLI passes it
    secret_keys: tuple[str, ...]


SECRET_PLACEHOLDER = "offline-secret-placeholder"


def read_stack_file(path: Path) -> StackFile:
    """Parse a stack file. ``secure:`` values become placeholders marked secret (no key to decrypt)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such stack file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (a stack file is UTF-8 YAML)") from None
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: a stack file is a mapping with a 'config' key")
    unknown = set(document) - {"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {sorted(unknown)[0]!r} (allowed: config, secretsprovider)")
    entries = document.get("config") or {}
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: 'config' must be a mapping of namespace:key to value")
    flat: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in entries.items():
        if not isinstance(key, str) or ":" not in key:
            raise ConfigError(f"{key}: config keys are namespaced, like {NAMESPACE}:network")
        if isinstance(value, dict) and set(value) == {"secure"}:
            flat[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
        elif isinstance(value, dict | list):
            flat[key] = json.dumps(value)
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        elif value is None:
            continue
        else:
            flat[key] = str(value)
    return StackFile(path=path, config=flat, secret_keys=tuple(sorted(secret_keys)))


def config_from_stack_file(stack_file: StackFile) -> PlatformConfig:
    """Validate a parsed stack file exactly as the stack program will."""
    return build_config(platform_values(stack_file.config))
