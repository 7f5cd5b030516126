"""Metrics end to end per environment: the Prometheus Operator's CRDs first and every release that
renders a ServiceMonitor after them with its chart's switch on; the CloudWatch exporter's role and
tags; Prometheus, Alertmanager and Grafana sized from config; prod's PrometheusRules holding the
datastore, queue, backup and NGINX alerts with only catalogued series; no receiver URL or key as a
value anywhere in the plan, the manifests or the charts' values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alerts.metrics import CATALOGUE
from infra.config import config_from_stack_file, read_stack_file
from tests.conftest import STACKS
from tests.support import ROOT, Resource, metric_names, one, policy

Plan = Any
RELEASE = "kubernetes:helm.sh/v3:Release"
# Each release the platform installs -> the dotted values path of its chart's ServiceMonitor switch.
SERVICE_MONITOR_SWITCH = {
    "monitoring-kube-prometheus-stack": None,  # its own ServiceMonitors (Prometheus, Alertmanager, exporters)
    "cert-manager": "prometheus.servicemonitor.enabled",
    "external-secrets-operator": "serviceMonitor.enabled",
    "metrics-server": "serviceMonitor.enabled",
    "argo-rollouts": "controller.metrics.serviceMonitor.enabled",
    "gateway-kong": "serviceMonitor.enabled",
    "ingress-nginx": "prometheus.serviceMonitor.create",
    "cloudwatch-exporter": "serviceMonitor.enabled",
    "consoles-oauth2-proxy": "metrics.serviceMonitor.enabled",
    "cluster-autoscaler": "serviceMonitor.enabled",
    "logging-fluent-bit": "serviceMonitor.enabled",
    "reloader": "reloader.podMonitor.enabled",  # a PodMonitor: the chart's ServiceMonitor is deprecated
}
# The CRDs release installs no workload; ECK's operator serves no metrics unless its metrics port is
# set, and the chart's values at the pinned version offer no ServiceMonitor switch for it. Istio's charts
# offer none either (istiod's 15014 and ztunnel's 15020 carry prometheus.io annotations only): not scraped
# yet (docs/security.md, the mesh); the base chart runs no workload.
NOT_SCRAPED = {"prometheus-operator-crds", "eck-operator", "istio-base", "istiod", "istio-cni", "ztunnel"}


def name_of(resource: Resource) -> str:
    return str(resource["urn"].rsplit("::", 1)[1])


def dotted(values: Mapping[str, Any], path: str) -> Any:
    for part in path.split("."):
        values = values[part]
    return values


def reaches(resources: list[Resource], start: Resource, target: str) -> bool:
    """``start`` depends on ``target`` directly or through other resources' dependencies."""
    deps = {r["urn"]: r.get("dependencies", []) for r in resources}
    seen: set[str] = set()
    todo = list(deps[start["urn"]])
    while todo:
        urn = todo.pop()
        if urn == target:
            return True
        if urn not in seen:
            seen.add(urn)
            todo.extend(deps.get(urn, []))
    return False


def config(stack: str) -> Any:
    return config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml"))


@pytest.mark.parametrize("stack", STACKS)
def test_the_crds_come_first_and_every_service_monitor_waits_for_them(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    releases = {name_of(r): r for r in resources if r["type"] == RELEASE and r.get("custom", True)}
    crds = releases["prometheus-operator-crds"]
    assert crds["inputs"]["namespace"] == "kube-system"
    assert crds["inputs"]["values"]["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert not [d for d in crds.get("dependencies", []) if "helm.sh/v3:Release" in d]
    assert releases["monitoring-kube-prometheus-stack"]["inputs"]["values"]["crds"] == {"enabled": False}
    assert set(releases) - NOT_SCRAPED <= set(SERVICE_MONITOR_SWITCH), "a new release: decide its scraping"
    for name, release in releases.items():
        if name in NOT_SCRAPED:
            continue
        switch = SERVICE_MONITOR_SWITCH[name]
        if switch is not None:
            assert dotted(release["inputs"]["values"], switch) is True, f"{name}: {switch}"
        assert reaches(resources, release, crds["urn"]), f"{name} renders ServiceMonitors before their CRD exists"
    monitors = [r for r in resources if r["type"] == "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"]
    assert monitors, "the services' own ServiceMonitors"
    for monitor in monitors:
        assert reaches(resources, monitor, crds["urn"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_cloudwatch_exporter_reads_this_stack_in_its_region(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    cfg = config(stack)
    release = one(resources, RELEASE, "cloudwatch-exporter")
    assert release["inputs"]["namespace"] == "monitoring"
    settings = yaml.safe_load(release["inputs"]["values"]["config"])
    for job in settings["discovery"]["jobs"]:
        assert job["regions"] == [cfg.region]
        assert {"key": "Stack", "value": f"^{stack}$"} in job["searchTags"]
    role_policy = next(
        r
        for r in resources
        if r["type"] == "aws:iam/rolePolicy:RolePolicy" and name_of(r) == "cloudwatch-exporter-role"
    )
    for statement in policy(role_policy, "policy")["Statement"]:
        assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": cfg.region}}
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert set(actions) <= {"cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "tag:GetResources"}


@pytest.mark.parametrize("stack", STACKS)
def test_prometheus_alertmanager_and_grafana_are_sized_from_config(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    spec = config(stack).monitoring
    values = one(resources, RELEASE, "monitoring-kube-prometheus-stack")["inputs"]["values"]
    prometheus = values["prometheus"]["prometheusSpec"]
    assert prometheus["replicas"] == spec.prometheus_replicas
    assert prometheus["retention"] == f"{spec.retention_days}d"
    claim = prometheus["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == f"{spec.storage_gib}Gi"
    alertmanager = values["alertmanager"]["alertmanagerSpec"]
    assert alertmanager["replicas"] == spec.alertmanager_replicas
    assert alertmanager["storage"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == (
        f"{spec.alertmanager_storage_gib}Gi"
    )
    assert alertmanager["resources"]["limits"]["memory"]
    grafana = values["grafana"]["persistence"]
    assert grafana["enabled"] is True and grafana["size"] == f"{spec.grafana_storage_gib}Gi"
    if stack == "prod":
        assert prometheus["replicas"] == 2 and alertmanager["replicas"] == 2
        assert alertmanager["podAntiAffinity"] == "hard"


def test_prods_rules_hold_the_datastore_queue_backup_and_nginx_alerts(planned: Plan) -> None:
    out, _ = planned("prod")
    groups = []
    for path in sorted((Path(out) / "manifests").glob("prometheusrule-monitoring-*.yaml")):
        groups.extend(yaml.safe_load(path.read_text())["spec"]["groups"])
    alerts = {rule["alert"] for g in groups for rule in g["rules"] if "alert" in rule}
    assert {
        "NginxErrorRatioHigh",
        "EdgeErrorRatioHigh",
        "CeleryBacklogGrowing",
        "CeleryQueueWithoutConsumers",
        "BackupOlderThanRpo",
        "BackupMissedADay",
        "BackupAgeUnknown",
        "DatastoreCpuHigh",
        "DatastoreStorageLow",
        "DatastoreConnectionsHigh",
    } <= alerts
    recorded = {rule["record"] for g in groups for rule in g["rules"] if "record" in rule}
    for group in groups:
        for rule in group["rules"]:
            unknown = metric_names(rule["expr"]) - set(CATALOGUE) - recorded
            assert not unknown, f"{group['name']}: {sorted(unknown)}"


# What a receiver's secret looks like as a value: a Slack webhook or token, a PagerDuty endpoint, or a
# PagerDuty Events v2 routing key (32 hex characters) next to a receiver field.
LEAKS = re.compile(
    r"hooks\.slack\.com|xox[abposr]-|events\.pagerduty\.com|"
    r"\"(?:apiURL|routingKey|authPassword|api_url|routing_key)\":\s*\"[^\"]+\"",
    re.IGNORECASE,
)


@pytest.mark.parametrize("stack", STACKS)
def test_no_receiver_url_or_key_is_a_value_anywhere(planned: Plan, stack: str) -> None:
    out, resources = planned(stack)
    texts = {"plan.json": (Path(out) / "plan.json").read_text()}
    for path in sorted((Path(out) / "manifests").glob("*.yaml")):
        texts[path.name] = json.dumps(yaml.safe_load(path.read_text()))
    for r in resources:
        if r["type"] == RELEASE:
            texts[f"values of {name_of(r)}"] = json.dumps(r["inputs"]["values"])
    for where, text in texts.items():
        assert not LEAKS.search(text), f"{where}: {LEAKS.search(text)}"
    # Where the receivers are referenced, they are references: a Secret's name and key, nothing else.
    for r in resources:
        if r["type"] == "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig":
            for receiver in r["inputs"]["spec"]["receivers"]:
                for kind, field in (("slackConfigs", "apiURL"), ("pagerdutyConfigs", "routingKey")):
                    for integration in receiver.get(kind, []):
                        assert set(integration[field]) == {"name", "key"}


def test_the_leak_pattern_catches_what_it_is_for() -> None:
    assert LEAKS.search('{"apiURL": "https://hooks.slack.com/services/T000/B000/XXXX"}')
    assert LEAKS.search('{"routingKey": "0123456789abcdef0123456789abcdef"}')
    assert not LEAKS.search('{"apiURL": {"name": "alertmanager-receivers", "key": "slack-platform"}}')
