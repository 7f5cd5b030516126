"""Alerts and SLOs (``platform:alerts``): each service's availability and (web services) latency
objectives, and the thresholds of the platform's own alerts.

The objectives apply to every enabled service unless ``services.<name>`` overrides them. The
latency threshold must be a bucket boundary of the services' request-duration histogram (the
Prometheus clients' default buckets), or the share of fast requests cannot be read from it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from infra.config.base import Environment, _Model

Engine = Literal["postgres", "documentdb", "redis", "rabbitmq"]
# About 80 % of each engine's limit on prod's classes: PostgreSQL's max_connections on db.r6g.large
# (its memory / 9531392: 1802), DocumentDB's 1700 on db.r6g.large, Redis's maxclients (65000), and
# Amazon MQ's 5000 connections per RabbitMQ node on mq.m5.large. The tiers below lower them for their
# smaller classes (db.t4g.micro: 112; db.t4g.medium: 450 and 500; db.t4g.large: 901; mq.t3.micro: 100).
DEFAULT_CONNECTIONS: dict[Engine, int] = {"postgres": 1400, "documentdb": 1360, "redis": 50000, "rabbitmq": 4000}

# The default buckets of the Prometheus client libraries (Python and JavaScript alike).
HISTOGRAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def _bucket(value: float | None) -> float | None:
    if value is not None and value not in HISTOGRAM_BUCKETS:
        raise ValueError(f"{value} is not a histogram bucket (buckets: {', '.join(map(str, HISTOGRAM_BUCKETS))})")
    return value


class SloOverride(_Model):
    """One service's objectives, where they differ from the defaults."""

    availability: float | None = Field(None, ge=0.9, lt=1)
    latency_seconds: float | None = None
    latency_target: float | None = Field(None, ge=0.5, lt=1)

    @field_validator("latency_seconds")
    @classmethod
    def _latency(cls, value: float | None) -> float | None:
        return _bucket(value)


class AlertsConfig(_Model):
    """The services' SLOs (over 30 days) and the platform alerts' thresholds."""

    availability: float = Field(0.999, ge=0.9, lt=1, description="share of requests (tasks) that succeed")
    latency_seconds: float = Field(0.5, description="a request slower than this spends latency budget")
    latency_target: float = Field(0.99, ge=0.5, lt=1, description="share of requests faster than latencySeconds")
    services: dict[str, SloOverride] = Field(default_factory=dict, description="per-service overrides")
    edge_error_ratio: float = Field(0.05, gt=0, lt=1, description="Kong's 5xx share that pages (over 5 minutes)")
    certificate_days: int = Field(14, ge=1, le=60, description="warn this many days before a certificate expires")
    restarts: int = Field(3, ge=1, le=50, description="container restarts in 15 minutes that count as crash-looping")
    # The datastores and the broker (CloudWatch, through the exporter).
    datastore_cpu_percent: int = Field(80, ge=10, le=100, description="CPU share a datastore may hold 15 minutes")
    free_storage_ratio: float = Field(
        0.05, gt=0, lt=0.5, description="PostgreSQL's free storage, as a share of allocatedStorageGib, that pages"
    )
    cache_memory_percent: int = Field(90, ge=10, le=100, description="Redis's share of maxmemory that warns")
    connections: dict[Engine, int] = Field(
        default_factory=lambda: dict(DEFAULT_CONNECTIONS), description="connections per engine that warn"
    )
    backlog_messages: int = Field(1000, ge=1, le=10_000_000, description="a queue deeper than this and growing")

    @field_validator("connections")
    @classmethod
    def _connections(cls, value: dict[Engine, int]) -> dict[Engine, int]:
        for engine, limit in value.items():
            if limit < 1:
                raise ValueError(f"connections.{engine} must be at least 1")
        return {**DEFAULT_CONNECTIONS, **value}

    @field_validator("latency_seconds")
    @classmethod
    def _latency(cls, value: float) -> float:
        _bucket(value)
        return value

    def availability_of(self, service: str) -> float:
        override = self.services.get(service)
        return override.availability if override and override.availability is not None else self.availability

    def latency_of(self, service: str) -> tuple[float, float]:
        """(threshold seconds, target share) of ``service``."""
        override = self.services.get(service) or SloOverride()
        seconds = override.latency_seconds if override.latency_seconds is not None else self.latency_seconds
        target = override.latency_target if override.latency_target is not None else self.latency_target
        return seconds, target


# ``platform:alerts`` per environment, unless the stack file says otherwise.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "availability": 0.99,
        "latencySeconds": 1.0,
        "latencyTarget": 0.95,
        "connections": {"postgres": 90, "documentdb": 400, "rabbitmq": 80},
    },
    Environment.STAGING: {
        "availability": 0.995,
        "latencySeconds": 0.5,
        "latencyTarget": 0.99,
        "connections": {"postgres": 720, "documentdb": 400},
    },
    Environment.PROD: {"availability": 0.999, "latencySeconds": 0.5, "latencyTarget": 0.99},
}
