"""Backups and disaster recovery (``platform:backups``, ``platform:restore``).

The system's backup requirements: a daily backup at 02:00 UTC kept 30 days, full + incremental, copies
in a second region (multi-region S3 and AWS Backup copies), a recovery point objective of 1 hour and a
recovery time objective of 4 hours. ``platform:restore`` makes a stack start its datastores from
backups instead of empty (a disaster-recovery stack in the backup region).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator, model_validator

from infra.config.base import Environment, _KeyedError, _Model

# AWS's cron: six fields (minutes hours day-of-month month day-of-week year), one of day-of-month and
# day-of-week is "?", always UTC.
_CRON = re.compile(r"^cron\((?P<fields>[^()]+)\)$")
_CRON_FIELD = {
    "minutes": r"^(\*|([0-5]?\d)([,-/][0-5]?\d)*)$",
    "hours": r"^(\*|(1?\d|2[0-3])([,-/](1?\d|2[0-3]))*)$",
    "day-of-month": r"^(\*|\?|L|W|([1-9]|[12]\d|3[01])W?([,-/]([1-9]|[12]\d|3[01]))*)$",
    "month": r"^(\*|([1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)([,-/]\w+)*)$",
    "day-of-week": r"^(\*|\?|L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)([,-/#L]\w*)*)$",
    "year": r"^(\*|(19[7-9]\d|2\d{3})([,-/]\d+)*)$",
}
_IDENTIFIER = re.compile(r"^(latest|[A-Za-z][A-Za-z0-9:_-]{0,254}|arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]+:\d{12}:.+)$")


def aws_cron(value: str) -> str:
    """An AWS schedule expression ``cron(m h dom mon dow year)`` (UTC), checked field by field."""
    match = _CRON.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an AWS cron expression like cron(0 2 * * ? *)")
    fields = match["fields"].split()
    if len(fields) != 6:
        raise ValueError(f"{value!r} has {len(fields)} fields; AWS cron has 6 (minutes hours dom month dow year)")
    for (name, pattern), field in zip(_CRON_FIELD.items(), fields, strict=True):
        if not re.match(pattern, field.upper()):
            raise ValueError(f"{value!r}: {field!r} is not a valid {name} field")
    if "?" not in (fields[2], fields[4]):
        raise ValueError(f"{value!r}: one of day-of-month and day-of-week must be '?'")
    return value.strip()


def daily_start(schedule: str) -> tuple[int, int] | None:
    """(hour, minute) of a daily cron schedule (``cron(M H * * ? *)``), else None."""
    fields = schedule.removeprefix("cron(").removesuffix(")").split()
    if (
        len(fields) == 6
        and fields[0].isdigit()
        and fields[1].isdigit()
        and fields[2:5] in (["*", "*", "?"], ["?", "*", "*"])
    ):
        return int(fields[1]), int(fields[0])
    return None


AwsCron = Annotated[str, AfterValidator(aws_cron)]


class RestoreTestingConfig(_Model):
    """AWS Backup restore testing: the newest recovery point restored on a schedule, validated, deleted."""

    enabled: bool = True
    schedule: AwsCron = "cron(0 5 ? * SUN *)"  # weekly, after the daily backup
    keep_hours: int = Field(4, ge=1, le=168, description="how long a restored copy lives before it is deleted")


class BackupsConfig(_Model):
    """How the platform's data is backed up and copied to the backup region."""

    schedule: AwsCron = "cron(0 2 * * ? *)"
    retention_days: int = Field(30, ge=1, le=36_500)
    rpo_minutes: int = Field(60, ge=5, le=1440, description="recovery point objective")
    rto_minutes: int = Field(240, ge=30, le=2880, description="recovery time objective")
    start_window_minutes: int = Field(60, ge=60, le=720, description="AWS Backup: at least 60")
    completion_window_minutes: int = Field(480, ge=120, le=10_080)
    # How long a copy to the backup region may take after its backup (verify allows RPO + this).
    copy_lag_minutes: int = Field(120, ge=15, le=1440)
    continuous_backup: bool = Field(True, description="point-in-time recovery: the incremental part")
    # Resources without continuous backup (DocumentDB) get a snapshot every hour, copied to the backup
    # region and kept this many days, so the RPO holds across regions for them too.
    hourly_retention_days: int = Field(2, ge=1, le=35)
    object_lock: bool = Field(True, description="S3 Object Lock (governance) on the backup buckets")
    vault_lock: bool = Field(True, description="AWS Backup vault lock with the retention as its minimum")
    restore_testing: RestoreTestingConfig = RestoreTestingConfig()

    @model_validator(mode="after")
    def _checks(self) -> BackupsConfig:
        if self.continuous_backup and self.retention_days > 35:
            raise _KeyedError(
                "retentionDays", "continuous backup keeps at most 35 days; shorten it or set continuousBackup: false"
            )
        if not self.continuous_backup and self.rpo_minutes < 24 * 60:
            raise _KeyedError(
                "continuousBackup",
                f"a daily backup alone cannot meet an RPO of {self.rpo_minutes} minutes; keep continuous backup on",
            )
        if self.completion_window_minutes < self.start_window_minutes + 60:
            raise _KeyedError("completionWindowMinutes", "must be at least startWindowMinutes + 60 (AWS Backup)")
        return self

    @property
    def daily_start(self) -> tuple[int, int] | None:
        return daily_start(self.schedule)


def _source(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(f"{value!r} is not 'latest', a snapshot identifier or an ARN")
    return value


SnapshotSource = Annotated[str, AfterValidator(_source)]


class DatabaseRestore(_Model):
    """Where a database starts from: a snapshot (``latest``: the newest copy in this region), or, for
    PostgreSQL, a point in time of a source instance."""

    snapshot: SnapshotSource = "latest"
    point_in_time: str | None = Field(None, description="RFC 3339 UTC time, e.g. 2026-12-01T01:30:00Z")
    source_identifier: str | None = Field(None, description="the instance the snapshot or point in time is of")

    @field_validator("point_in_time")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an RFC 3339 time like 2026-12-01T01:30:00Z") from None
        if moment.utcoffset() is None or moment.utcoffset().total_seconds() != 0:  # type: ignore[union-attr]
            raise ValueError(f"{value!r} must be in UTC (end it with Z)")
        return value


class RestoreConfig(_Model):
    """Datastores that start from backups instead of empty; a datastore not named here is created empty."""

    postgres: DatabaseRestore | None = None
    documentdb: DatabaseRestore | None = None
    redis: DatabaseRestore | None = None
    buckets_from_replica: bool = Field(False, description="the backup buckets are the replicas already there")

    @model_validator(mode="after")
    def _checks(self) -> RestoreConfig:
        for name in ("documentdb", "redis"):
            source = getattr(self, name)
            if source is not None and source.point_in_time is not None:
                raise _KeyedError(f"{name}.pointInTime", f"{name} restores from a snapshot only")
        if self.redis is not None and self.redis.snapshot == "latest":
            raise _KeyedError("redis.snapshot", "ElastiCache has no 'latest' lookup; name the snapshot to start from")
        return self


# ``platform:backups`` per environment, unless the stack file says otherwise. Every environment keeps
# the system's schedule, retention, RPO and RTO; only prod locks what it keeps.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {"objectLock": False, "vaultLock": False, "restoreTesting": {"enabled": False}},
    Environment.STAGING: {"objectLock": False, "vaultLock": False, "restoreTesting": {"enabled": False}},
    Environment.PROD: {"objectLock": True, "vaultLock": True, "restoreTesting": {"enabled": True}},
}
