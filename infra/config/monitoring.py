"""Monitoring (``platform:monitoring``): Prometheus, Alertmanager and Grafana (kube-prometheus-stack),
metrics-server, and where alerts go (``alerting``).

Prometheus scrapes the services (its analysis gates their rollouts); metrics-server is the resource
metrics API that HorizontalPodAutoscalers use. Alertmanager's receivers name the AWS Secrets Manager
secret that holds their URL or key, never the value; routes send alerts to them by label.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from infra.config.base import Environment, K8sName, _KeyedError, _Model

# Secrets Manager secret names: letters, digits and /_+=.@- (at most 512); not an ARN.
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
# What each receiver kind needs besides its secret, in stack-file spelling.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "slack": ("channel",),
    "pagerduty": (),
    "email": ("to", "from", "smarthost", "username"),
}
RECEIVER_KINDS = tuple(REQUIRED_FIELDS)


def _secret_name(value: str) -> str:
    if value.startswith("arn:") or not _SECRET_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a Secrets Manager secret name (letters, digits, /_+=.@-; not an ARN)")
    return value


SecretName = Annotated[str, AfterValidator(_secret_name)]


class ReceiverConfig(_Model):
    """One place alerts go. The Secrets Manager secret ``secretName`` holds, as its plain string value,
    the Slack webhook URL, the PagerDuty Events API v2 routing key, or the SMTP password."""

    kind: Literal["slack", "pagerduty", "email"]
    secret_name: SecretName
    channel: str | None = None  # slack
    to: str | None = None  # email
    from_: str | None = Field(None, alias="from")  # email
    smarthost: str | None = None  # email: host:port
    username: str | None = None  # email: SMTP user
    send_resolved: bool = True

    @model_validator(mode="after")
    def _checks(self) -> ReceiverConfig:
        for key in REQUIRED_FIELDS[self.kind]:
            if getattr(self, "from_" if key == "from" else key) is None:
                raise _KeyedError(key, f"{self.kind} receivers need {key}")
        return self


class RouteConfig(_Model):
    """Alerts whose labels equal every matcher (e.g. ``severity: page``) go to ``receiver``."""

    receiver: K8sName
    matchers: dict[str, str] = Field(min_length=1)
    continue_: bool = Field(False, alias="continue")


class AlertingConfig(_Model):
    """Receivers by name and the routes to them, first match wins. None: alerts stay in Alertmanager."""

    receivers: dict[K8sName, ReceiverConfig] = {}
    routes: list[RouteConfig] = []

    @model_validator(mode="after")
    def _checks(self) -> AlertingConfig:
        for index, route in enumerate(self.routes):
            if route.receiver not in self.receivers:
                known = ", ".join(sorted(self.receivers)) or "none"
                raise _KeyedError(
                    f"routes[{index}].receiver", f"{route.receiver!r} is not a receiver (receivers: {known})"
                )
        return self


class MonitoringConfig(_Model):
    """Prometheus, Alertmanager and Grafana (kube-prometheus-stack) and metrics-server."""

    prometheus_replicas: int = Field(1, ge=1, le=5)
    retention_days: int = Field(15, ge=1, le=365)
    storage_gib: int = Field(50, ge=10, le=16_384)
    metrics_server_replicas: int = Field(2, ge=1, le=5)
    alertmanager_replicas: int = Field(1, ge=1, le=5)
    alertmanager_storage_gib: int = Field(10, ge=1, le=1_024)
    grafana_storage_gib: int = Field(10, ge=1, le=1_024)
    # The CloudWatch exporter's period (and scraping interval): fresher figures cost more API calls.
    cloudwatch_period_seconds: int = Field(300, ge=60, le=3600, multiple_of=60)
    # How often the backup freshness function measures the vaults (minutes).
    backup_age_interval_minutes: int = Field(5, ge=1, le=60)
    alerting: AlertingConfig = AlertingConfig()


# ``platform:monitoring`` per environment, unless the stack file says otherwise. No receivers by
# default: alerts are visible in Alertmanager only until a stack file names where they go.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {
        "prometheusReplicas": 1,
        "retentionDays": 7,
        "storageGib": 20,
        "metricsServerReplicas": 1,
        "alertmanagerReplicas": 1,
        "alertmanagerStorageGib": 5,
        "grafanaStorageGib": 5,
    },
    Environment.STAGING: {
        "prometheusReplicas": 1,
        "retentionDays": 15,
        "storageGib": 50,
        "metricsServerReplicas": 2,
        "alertmanagerReplicas": 1,
        "alertmanagerStorageGib": 10,
        "grafanaStorageGib": 10,
    },
    Environment.PROD: {
        "prometheusReplicas": 2,
        "retentionDays": 30,
        "storageGib": 100,
        "metricsServerReplicas": 2,
        "alertmanagerReplicas": 2,
        "alertmanagerStorageGib": 10,
        "grafanaStorageGib": 20,
    },
}
