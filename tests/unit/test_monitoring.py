"""The Monitoring component: kube-prometheus-stack (Prometheus Operator, Prometheus, Grafana) and
metrics-server, with Grafana's admin password generated in the cluster, never in values."""

from __future__ import annotations

import json

import pulumi_kubernetes as k8s
import pytest

from components.monitoring import GRAFANA_ADMIN_SECRET, Monitoring, MonitoringArgs
from infra.charts import KUBE_PROMETHEUS_STACK, METRICS_SERVER, unknown_keys
from tests.support import Resource, build, of_type, one

RELEASE = "kubernetes:helm.sh/v3:Release"


def monitoring(**overrides: object) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        fields: dict[str, object] = {"kubernetes_provider": provider, "storage_class": "gp3-encrypted"}
        fields.update(overrides)
        Monitoring("monitoring", MonitoringArgs(**fields))  # type: ignore[arg-type]

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    return monitoring(prometheus_replicas=2, retention_days=30, storage_gib=100)


def releases(resources: list[Resource]) -> dict[str, Resource]:
    return {r["inputs"]["chart"]: r for r in of_type(resources, RELEASE)}


def test_charts_are_pinned_and_set_only_known_keys(resources: list[Resource]) -> None:
    found = releases(resources)
    for pin in (KUBE_PROMETHEUS_STACK, METRICS_SERVER):
        release = found[pin.chart]["inputs"]
        assert release["version"] == pin.version
        assert release["repositoryOpts"]["repo"] == pin.repository
        assert unknown_keys(pin, release["values"]) == []


def test_prometheus_keeps_its_data_and_selects_every_service_monitor(resources: list[Resource]) -> None:
    spec = releases(resources)["kube-prometheus-stack"]["inputs"]["values"]["prometheus"]["prometheusSpec"]
    assert spec["replicas"] == 2 and spec["retention"] == "30d"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == "100Gi"
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False


def test_grafana_admin_comes_from_an_existing_secret_generated_in_the_cluster(resources: list[Resource]) -> None:
    values = releases(resources)["kube-prometheus-stack"]["inputs"]["values"]
    assert values["grafana"]["admin"]["existingSecret"] == GRAFANA_ADMIN_SECRET
    assert "adminPassword" not in json.dumps(values)
    external = one(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")["inputs"]["spec"]
    assert external["target"]["name"] == GRAFANA_ADMIN_SECRET
    assert external["refreshPolicy"] == "CreatedOnce"
    assert external["target"]["template"]["data"]["admin-password"] == "{{ .password }}"
    generator = one(resources, "kubernetes:generators.external-secrets.io/v1alpha1:Password")["inputs"]
    assert external["dataFrom"][0]["sourceRef"]["generatorRef"]["name"] == generator["metadata"]["name"]
    assert generator["spec"]["length"] >= 24
    assert of_type(resources, "kubernetes:core/v1:Secret") == [], "no Secret value passes through Pulumi"


def test_metrics_server_for_the_hpas_waits_for_the_operator_crds(resources: list[Resource]) -> None:
    found = releases(resources)
    metrics = found["metrics-server"]
    assert metrics["inputs"]["namespace"] == "kube-system"
    assert metrics["inputs"]["values"]["replicas"] == 2
    assert found["kube-prometheus-stack"]["urn"] in metrics["dependencies"]


def test_args_refuse_tiny_volumes() -> None:
    with pytest.raises(ValueError, match="10 GiB"):
        MonitoringArgs(kubernetes_provider=None, storage_class="x", storage_gib=5)  # type: ignore[arg-type]
