"""The CloudWatch exporter (prometheus-community, chart ``prometheus-yet-another-cloudwatch-exporter``,
YACE): the managed datastores' and the broker's CloudWatch metrics, and the platform's own
``Platform/Backups`` namespace, as Prometheus series, scraped through the chart's ServiceMonitor.

What it reads is data (:data:`DISCOVERY_JOBS`, :data:`CUSTOM_JOBS`): RDS (PostgreSQL), DocumentDB and
ElastiCache (Redis) CPU, free storage or memory, and connections; Amazon MQ (RabbitMQ) broker CPU, disk
and connections and each queue's depth (the Celery backlog); the age of each backup vault's newest
recovery point. Discovery finds the resources by the platform's tags (``searchTags``), so another
stack's databases in the same account are not read. :func:`metric_name` is YACE's naming rule, so the
alert catalogue (``components/alerts/metrics.py``) lists exactly the series this configuration makes.

Its IAM role (IRSA, only this service account) may call ``cloudwatch:GetMetricData``,
``cloudwatch:ListMetrics`` and ``tag:GetResources``, in the primary region only. These three actions
have no resource types in IAM (the Service Authorization Reference lists none for them), so their
``Resource`` must be ``*``; ``aws:RequestedRegion`` narrows them to the one region. No access keys:
nothing to deliver through Secrets Manager. Keys read in the chart's ``values.yaml`` at 0.47.0 (YACE
v0.67.0; the configuration's fields in its ``pkg/config/scrapeconf.go``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import yaml

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn, resources
from components.contracts import ClusterIdentity
from infra.k8s_security import container_security_context, pod_security_context

PIN = ChartPin(
    chart="prometheus-yet-another-cloudwatch-exporter",
    version="0.47.0",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.67.0",
    known_keys=frozenset(
        {
            "replicaCount",
            "serviceAccount.create",
            "serviceAccount.name",
            "serviceAccount.annotations",
            "podSecurityContext",
            "securityContext",
            "resources",
            "extraArgs",
            "serviceMonitor.enabled",
            "serviceMonitor.interval",
            "serviceMonitor.timeout",
            "testConnection",
            "configMap.enabled",
            "config",
        }
    ),
    free_form=frozenset(
        {"serviceAccount.annotations", "podSecurityContext", "securityContext", "resources", "extraArgs"}
    ),
)
RELEASE = "cloudwatch-exporter"
SERVICE_ACCOUNT = "cloudwatch-exporter"
# The platform's own namespace: the backup freshness function publishes there.
BACKUPS_NAMESPACE = "Platform/Backups"


@dataclass(frozen=True)
class CloudWatchMetric:
    name: str  # CloudWatch's metric name
    statistic: str  # one of Average, Maximum, Minimum, Sum, SampleCount


@dataclass(frozen=True)
class DiscoveryJob:
    """Resources of one CloudWatch namespace found by tag; ``dimensions``: the metrics' dimension names
    (YACE exports each as ``dimension_<Name>``), required when a namespace mixes levels (broker, queue)."""

    namespace: str
    metrics: tuple[CloudWatchMetric, ...]
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomJob:
    """A namespace YACE cannot discover (not an AWS service): every series ListMetrics returns."""

    name: str
    namespace: str
    metrics: tuple[CloudWatchMetric, ...]


DISCOVERY_JOBS: tuple[DiscoveryJob, ...] = (
    DiscoveryJob(
        "AWS/RDS",
        (
            CloudWatchMetric("CPUUtilization", "Average"),
            CloudWatchMetric("FreeStorageSpace", "Minimum"),
            CloudWatchMetric("DatabaseConnections", "Maximum"),
        ),
    ),
    DiscoveryJob(
        "AWS/DocDB",
        (
            CloudWatchMetric("CPUUtilization", "Average"),
            CloudWatchMetric("FreeLocalStorage", "Minimum"),
            CloudWatchMetric("DatabaseConnections", "Maximum"),
        ),
    ),
    DiscoveryJob(
        "AWS/ElastiCache",
        (
            # Redis runs commands on one thread: the engine's CPU, not the host's, is the limit.
            CloudWatchMetric("EngineCPUUtilization", "Average"),
            CloudWatchMetric("DatabaseMemoryUsagePercentage", "Maximum"),
            CloudWatchMetric("CurrConnections", "Maximum"),
        ),
    ),
    DiscoveryJob(
        "AWS/AmazonMQ",
        (
            CloudWatchMetric("SystemCpuUtilization", "Average"),
            CloudWatchMetric("RabbitMQDiskFree", "Minimum"),
            CloudWatchMetric("RabbitMQDiskFreeLimit", "Maximum"),  # RabbitMQ blocks publishers below it
            CloudWatchMetric("ConnectionCount", "Maximum"),
        ),
        dimensions=("Broker",),
    ),
    # Each queue's depth (Celery's backlog): Amazon MQ for RabbitMQ publishes it per broker, vhost, queue.
    DiscoveryJob(
        "AWS/AmazonMQ",
        (CloudWatchMetric("MessageCount", "Maximum"), CloudWatchMetric("ConsumerCount", "Minimum")),
        dimensions=("Broker", "VirtualHost", "Queue"),
    ),
)
CUSTOM_JOBS: tuple[CustomJob, ...] = (
    CustomJob("backups", BACKUPS_NAMESPACE, (CloudWatchMetric("RecoveryPointAgeSeconds", "Maximum"),)),
)


def _prom_string(text: str) -> str:
    """YACE's PromString: separators to ``_``, ``%`` to ``_percent``, ``_`` before an upper-case letter
    that follows a lower-case letter or a digit, all lower case."""
    out: list[str] = []
    prev = ""
    for c in text:
        if c in " ,\t/\\.-:=@<>()\u201c":
            out.append("_")
        elif c == "%":
            out.append("_percent")
        else:
            if c.isupper() and (prev.islower() or prev.isdigit()):
                out.append("_")
            out.append(c.lower())
        prev = c
    return "".join(out)


def metric_name(namespace: str, metric: str, statistic: str) -> str:
    """The series YACE exports for ``namespace``/``metric`` with ``statistic`` (its BuildMetricName)."""
    ns = _prom_string(namespace.lstrip("/").lower())
    name = _prom_string(metric)
    skip = 0
    for part in ns.split("_"):  # a metric name repeating the namespace loses the repetition
        if name[skip:].startswith(part):
            skip = len(part)
    name = name[skip:].removeprefix("_")
    prefix = "" if ns.startswith("aws") else "aws_"
    return f"{prefix}{ns}_{name}_{_prom_string(statistic)}"


def exported_series() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every series this configuration makes -> (its CloudWatch namespace, its ``dimension_`` labels)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for job in DISCOVERY_JOBS:
        for m in job.metrics:
            labels = tuple(f"dimension_{d}" for d in job.dimensions)
            found[metric_name(job.namespace, m.name, m.statistic)] = (job.namespace, labels)
    for custom in CUSTOM_JOBS:
        for m in custom.metrics:
            found[metric_name(custom.namespace, m.name, m.statistic)] = (custom.namespace, ())
    return found


@dataclass(frozen=True)
class CloudWatchExporterSettings:
    region: str
    role_arn: pulumi.Input[str]
    search_tags: Mapping[str, str]  # tags every resource of this stack carries (its default tags)
    period_seconds: int = 300  # CloudWatch's period and YACE's scraping interval

    def config(self) -> dict[str, Any]:
        """YACE's configuration (apiVersion v1alpha1)."""
        # Two periods back: the newest period is often not complete in CloudWatch yet; YACE keeps the newest.
        window = {"period": self.period_seconds, "length": 2 * self.period_seconds}

        def tags() -> list[dict[str, str]]:  # a new list per job (no YAML anchors in the rendered file)
            return [{"key": k, "value": f"^{re.escape(v)}$"} for k, v in sorted(self.search_tags.items())]

        def metrics(items: tuple[CloudWatchMetric, ...]) -> list[dict[str, Any]]:
            return [{"name": m.name, "statistics": [m.statistic], **window} for m in items]

        return {
            "apiVersion": "v1alpha1",
            "sts-region": self.region,
            "discovery": {
                "jobs": [
                    {
                        "type": job.namespace,
                        "regions": [self.region],
                        "searchTags": tags(),
                        **({"dimensionNameRequirements": list(job.dimensions)} if job.dimensions else {}),
                        "metrics": metrics(job.metrics),
                    }
                    for job in DISCOVERY_JOBS
                ]
            },
            "customNamespace": [
                {"name": c.name, "namespace": c.namespace, "regions": [self.region], "metrics": metrics(c.metrics)}
                for c in CUSTOM_JOBS
            ],
        }

    def values(self) -> dict[str, Any]:
        return {
            "replicaCount": 1,  # a second replica would double the CloudWatch API calls it is billed for
            "serviceAccount": {
                "create": True,
                "name": SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": self.role_arn},
            },
            # The image's user is 65534 (nobody); the platform's own fixed user works as well.
            "podSecurityContext": pod_security_context(),
            "securityContext": container_security_context(),
            "resources": resources("50m", "64Mi", "500m", "256Mi"),
            "extraArgs": {"scraping-interval": self.period_seconds},
            # CloudWatch has nothing newer than the period: scraping more often only repeats values.
            "serviceMonitor": {"enabled": True, "interval": "60s", "timeout": "30s"},
            "testConnection": False,  # a test pod with no resources or security context
            "configMap": {"enabled": True},
            "config": yaml.safe_dump(self.config(), sort_keys=False),
        }


def statements(region: str) -> list[dict[str, Any]]:
    """The exporter's rights: read metrics and find resources by tag, in one region (no resource types)."""
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    return [
        {
            "Sid": "ReadMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
            "Resource": "*",
            "Condition": in_region,
        },
        {
            "Sid": "FindResourcesByTag",
            "Effect": "Allow",
            "Action": "tag:GetResources",
            "Resource": "*",
            "Condition": in_region,
        },
    ]


@dataclass(frozen=True)
class CloudWatchExporterArgs(AddOnArgs):
    namespace: pulumi.Input[str]  # Monitoring's
    identity: ClusterIdentity
    region: str
    search_tags: Mapping[str, str]
    period_seconds: int = 300


class CloudWatchExporter(HelmAddOn):
    """Give the Prometheus Operator's CRDs (its ServiceMonitor) in ``opts.depends_on``."""

    PIN = PIN

    def __init__(self, name: str, args: CloudWatchExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        policy = self._role(
            f"{name}-role",
            args.identity,
            self.namespace,
            SERVICE_ACCOUNT,
            statements(args.region),
            description="The CloudWatch exporter: read metrics and find the platform's resources by tag",
        )
        assert self.role_arn is not None
        settings = CloudWatchExporterSettings(
            region=args.region,
            role_arn=self.role_arn,
            search_tags=dict(args.search_tags),
            period_seconds=args.period_seconds,
        )
        self._install(name, RELEASE, settings.values(), depends_on=[policy])
        self._publish()
