"""Alertmanager (replicas, volume, receivers and routes from config, secrets by reference through the
External Secrets Operator) and Grafana (volume, explicit Prometheus datasource, dashboard sidecar)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.addons.base import unknown_keys
from components.addons.kube_prometheus_stack import ALERTMANAGER_CONFIG_LABELS
from components.addons.kube_prometheus_stack import PIN as KUBE_PROMETHEUS_STACK
from components.monitoring import RECEIVERS_SECRET, UNROUTED
from infra.config import MonitoringConfig, config_from_stack_file, read_stack_file
from tests.support import Resource, one
from tests.unit.test_monitoring import RELEASE, STAND_IN, monitoring

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER_CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
ALERTING = {
    "receivers": {
        "oncall": {"kind": "pagerduty", "secretName": "platform/test/alerting/pagerduty"},
        "chat": {"kind": "slack", "secretName": "platform/test/alerting/slack", "channel": "#alerts"},
        "mail": {
            "kind": "email",
            "secretName": "platform/test/alerting/smtp",
            "to": "ops@example.com",
            "from": "alertmanager@example.com",
            "smarthost": "smtp.example.com:587",
            "username": "alertmanager",
        },
    },
    "routes": [
        {"receiver": "oncall", "matchers": {"severity": "page"}},
        {"receiver": "chat", "matchers": {"severity": "ticket"}},
    ],
}
SPEC = MonitoringConfig.model_validate({"alertmanagerReplicas": 2, "grafanaStorageGib": 20, "alerting": ALERTING})


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    return monitoring(SPEC)


def values(resources: list[Resource]) -> dict:
    return one(resources, RELEASE)["inputs"]["values"]


def test_values_set_only_keys_read_in_the_chart(resources: list[Resource]) -> None:
    assert unknown_keys(KUBE_PROMETHEUS_STACK, values(resources)) == []


def test_alertmanager_is_replicated_on_a_volume_and_selects_the_platform_config(resources: list[Resource]) -> None:
    spec = values(resources)["alertmanager"]["alertmanagerSpec"]
    assert spec["replicas"] == 2 and spec["podAntiAffinity"] == "hard"
    claim = spec["storage"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == "10Gi"
    assert spec["resources"]["limits"]["memory"]
    assert spec["alertmanagerConfigSelector"] == {"matchLabels": ALERTMANAGER_CONFIG_LABELS}
    assert spec["alertmanagerConfigMatcherStrategy"] == {"type": "None"}


def test_grafana_keeps_its_data_loads_dashboards_and_names_prometheus(resources: list[Resource]) -> None:
    grafana = values(resources)["grafana"]
    assert grafana["persistence"]["enabled"] is True
    assert grafana["persistence"]["storageClassName"] == "gp3-encrypted"
    assert grafana["persistence"]["size"] == "20Gi"
    assert grafana["deploymentStrategy"] == {"type": "Recreate"}, "one node at a time holds the volume"
    assert grafana["sidecar"]["dashboards"]["enabled"] is True
    assert grafana["sidecar"]["dashboards"]["label"] == "grafana_dashboard"
    datasources = grafana["sidecar"]["datasources"]
    assert datasources["enabled"] is True and datasources["isDefaultDatasource"] is True
    assert datasources["uid"] == "prometheus"


def test_receivers_secrets_come_from_secrets_manager_by_name(resources: list[Resource]) -> None:
    (external,) = [r for r in resources if r["type"] == EXTERNAL_SECRET and r["urn"].endswith("receivers")]
    spec = external["inputs"]["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "store"}
    assert spec["target"]["name"] == RECEIVERS_SECRET
    assert external["inputs"]["metadata"]["namespace"] == "monitoring"
    assert {d["secretKey"]: d["remoteRef"]["key"] for d in spec["data"]} == {
        "chat": "platform/test/alerting/slack",
        "mail": "platform/test/alerting/smtp",
        "oncall": "platform/test/alerting/pagerduty",
    }


def test_alertmanager_config_references_the_secret_and_routes_by_severity(resources: list[Resource]) -> None:
    config = one(resources, ALERTMANAGER_CONFIG)
    assert config["inputs"]["metadata"]["labels"] == ALERTMANAGER_CONFIG_LABELS
    assert config["inputs"]["metadata"]["namespace"] == "monitoring"
    receivers = {r["name"]: r for r in config["inputs"]["spec"]["receivers"]}
    assert set(receivers) == {UNROUTED, "oncall", "chat", "mail"}
    assert receivers["oncall"]["pagerdutyConfigs"][0]["routingKey"] == {"name": RECEIVERS_SECRET, "key": "oncall"}
    assert receivers["chat"]["slackConfigs"][0]["apiURL"] == {"name": RECEIVERS_SECRET, "key": "chat"}
    assert receivers["chat"]["slackConfigs"][0]["channel"] == "#alerts"
    assert receivers["mail"]["emailConfigs"][0]["authPassword"] == {"name": RECEIVERS_SECRET, "key": "mail"}
    route = config["inputs"]["spec"]["route"]
    assert route["receiver"] == UNROUTED
    assert [(r["receiver"], r["matchers"]) for r in route["routes"]] == [
        ("oncall", [{"name": "severity", "value": "page", "matchType": "="}]),
        ("chat", [{"name": "severity", "value": "ticket", "matchType": "="}]),
    ]
    # Its CRD comes with the CRDs' release, the chart installs none (crds.enabled: false): it waits for
    # that release and the Secret it references, not for Alertmanager or the rest of the chart.
    assert one(resources, STAND_IN, "operator-crds")["urn"] in config["dependencies"]
    assert one(resources, RELEASE)["urn"] not in config["dependencies"]
    assert one(resources, EXTERNAL_SECRET, "monitoring-alertmanager-receivers")["urn"] in config["dependencies"]


def test_no_secret_value_in_values_or_objects(resources: list[Resource]) -> None:
    text = json.dumps([r.get("inputs", {}) for r in resources])
    assert "4dabf18193072939515e22adb298388d" not in text, "nothing secret is handed to Pulumi"
    assert "hooks.slack.com" not in text
    assert all(r["type"] != "kubernetes:core/v1:Secret" for r in resources)


def test_without_receivers_alerts_stay_in_alertmanager() -> None:
    bare = monitoring(MonitoringConfig())
    assert [r for r in bare if r["type"] == ALERTMANAGER_CONFIG] == []
    assert [r["urn"].split("::")[-1] for r in bare if r["type"] == EXTERNAL_SECRET] == ["monitoring-grafana-admin"]
    spec = one(bare, RELEASE)["inputs"]["values"]["alertmanager"]["alertmanagerSpec"]
    assert spec["replicas"] == 1 and spec["podAntiAffinity"] == "soft"


@pytest.mark.parametrize(
    ("stack", "replicas", "receivers"),
    [("dev", 1, []), ("staging", 1, ["slack-platform"]), ("prod", 2, ["pagerduty-oncall", "slack-platform"])],
)
def test_replicas_and_receivers_per_environment(stack: str, replicas: int, receivers: list[str]) -> None:
    spec = config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml")).monitoring
    assert spec.alertmanager_replicas == replicas
    assert sorted(spec.alerting.receivers) == receivers
