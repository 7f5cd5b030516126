"""What every area of the configuration shares: the model base, the environments, and the checked types.

Every model is a :class:`_Model`: camelCase keys in YAML, snake_case in Python, unknown keys rejected,
immutable. A cross-field check that knows which key it is about raises :class:`_KeyedError`, so the
one-line error names that key. The annotated types and validators here (CIDR blocks, CloudWatch Logs
retention periods, Kubernetes names, UTC windows, durations, allow-listed versions and instance
classes) are used by more than one area.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

NAMESPACE = "platform"

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


class _KeyedError(ValueError):
    """A cross-field error that knows which key it is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


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

_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _k8s_name(value: str) -> str:
    if not _K8S_NAME.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes name (lower-case letters, digits and '-', at most 63)")
    return value


K8sName = Annotated[str, AfterValidator(_k8s_name)]

# Namespaces the platform reserves: Kubernetes' own and those its add-ons install into (a test holds
# this list to the namespaces the plans create). The services may not share them: the add-ons' pod
# security, network policies and RBAC are not written for them.
RESERVED_NAMESPACES: tuple[str, ...] = (
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "argo-rollouts",
    "cert-manager",
    "elastic-system",
    "external-secrets",
    "istio-system",
    "kong",
    "logging",
    "monitoring",
    "nginx-ingress",
    "reloader",
)


def reserved_namespace(value: str) -> str | None:
    """Why ``value`` may not hold the services, or None."""
    if value in RESERVED_NAMESPACES or value.startswith("kube-"):
        return f"{value!r} is reserved by the platform ({', '.join(RESERVED_NAMESPACES)}, kube-*)"
    return None


# ---------------------------------------------------------------------------------------------
# UTC windows (backups, snapshots, maintenance) and durations (token lifetimes).
# ---------------------------------------------------------------------------------------------
_DAILY_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK_MINUTES = 7 * 24 * 60
_DURATION = re.compile(r"^(?P<n>[1-9]\d*)(?P<unit>[smhd])$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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


def duration_seconds(value: str) -> int:
    """``"15m"`` -> 900, ``"7d"`` -> 604800."""
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration like 15m, 12h or 7d")
    return int(match["n"]) * _DURATION_SECONDS[match["unit"]]


# ---------------------------------------------------------------------------------------------
# Allow-lists: engine versions and instance classes outside them are refused with one line naming the key.
# ---------------------------------------------------------------------------------------------
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
