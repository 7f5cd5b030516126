"""The Monitoring component: kube-prometheus-stack (its add-on, a child: Prometheus Operator, Prometheus,
Grafana) with Grafana's admin password generated in the cluster, never in values; what it publishes for
the services."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pydantic
import pytest

from components.addons.base import unknown_keys
from components.addons.kube_prometheus_stack import PIN as KUBE_PROMETHEUS_STACK
from components.monitoring import GRAFANA_ADMIN_SECRET, Monitoring, MonitoringArgs
from components.parts import installs_crds
from infra.config import MonitoringConfig
from tests.support import Resource, build, of_type, one
from tests.unit.test_addon_base import recorded_aliases

RELEASE = "kubernetes:helm.sh/v3:Release"
STAND_IN = "kubernetes:core/v1:ConfigMap"
SPEC = MonitoringConfig(prometheus_replicas=2, retention_days=30, storage_gib=100)


def monitoring(spec: MonitoringConfig = SPEC) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # What the caller makes it wait for: the External Secrets Operator (the Password generator's CRD).
        crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        installs_crds(crds, {"external-secrets.io", "generators.external-secrets.io"})
        # The store that delivers the receivers' secrets (also given).
        store = k8s.core.v1.ConfigMap("store-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        # The Prometheus Operator's CRDs (a release of their own in the stacks) that the stack waits for.
        operator_crds = k8s.core.v1.ConfigMap("operator-crds", opts=pulumi.ResourceOptions(provider=provider))
        installs_crds(operator_crds, {"monitoring.coreos.com"})
        built = Monitoring(
            "monitoring",
            MonitoringArgs(
                spec=spec,
                kubernetes_provider=provider,
                storage_class="gp3-encrypted",
                secret_store="store",
                operator_crds=operator_crds,
            ),
            opts=pulumi.ResourceOptions(depends_on=[crds, store]),
        )
        pulumi.export("prometheusAddress", built.prometheus_address)
        pulumi.export("scrapers", {"namespace": built.scrapers.namespace, "labels": dict(built.scrapers.pod_labels)})
        pulumi.export("prometheusRelease", built.prometheus_release.urn)

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    return monitoring()


def release(resources: list[Resource]) -> Resource:
    return one(resources, RELEASE)


def test_chart_is_pinned_atomic_and_sets_only_known_keys(resources: list[Resource]) -> None:
    inputs = release(resources)["inputs"]
    assert inputs["chart"] == KUBE_PROMETHEUS_STACK.chart
    assert inputs["version"] == KUBE_PROMETHEUS_STACK.version
    assert inputs["repositoryOpts"]["repo"] == KUBE_PROMETHEUS_STACK.repository
    assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True
    assert unknown_keys(KUBE_PROMETHEUS_STACK, inputs["values"]) == []
    # The CRDs come from their own release, installed first: the stack leaves them alone and waits.
    assert inputs["values"]["crds"] == {"enabled": False}
    assert one(resources, STAND_IN, "operator-crds")["urn"] in release(resources)["dependencies"]


def test_only_kube_prometheus_stack_is_installed_here(resources: list[Resource]) -> None:
    assert [r["inputs"]["chart"] for r in of_type(resources, RELEASE)] == ["kube-prometheus-stack"]


def test_prometheus_keeps_its_data_and_selects_every_service_monitor(resources: list[Resource]) -> None:
    spec = release(resources)["inputs"]["values"]["prometheus"]["prometheusSpec"]
    assert spec["replicas"] == 2 and spec["retention"] == "30d"
    assert spec["retentionSize"] == "90GiB"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == "100Gi"
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert spec["podMonitorSelectorNilUsesHelmValues"] is False


def test_namespace_is_the_only_privileged_one_for_node_exporter(resources: list[Resource]) -> None:
    namespace = one(resources, "kubernetes:core/v1:Namespace")
    assert namespace["inputs"]["metadata"]["name"] == "monitoring"
    assert namespace["inputs"]["metadata"]["labels"] == {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/warn": "baseline",
        "pod-security.kubernetes.io/audit": "baseline",
    }
    assert release(resources)["inputs"]["namespace"] == "monitoring"


def test_grafana_admin_comes_from_an_existing_secret_generated_in_the_cluster(resources: list[Resource]) -> None:
    values = release(resources)["inputs"]["values"]
    assert values["grafana"]["admin"]["existingSecret"] == GRAFANA_ADMIN_SECRET
    assert "adminPassword" not in json.dumps(values)
    external = one(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
    spec = external["inputs"]["spec"]
    assert spec["target"]["name"] == GRAFANA_ADMIN_SECRET
    assert spec["refreshPolicy"] == "CreatedOnce"
    assert spec["target"]["template"]["data"]["admin-password"] == "{{ .password }}"
    generator = one(resources, "kubernetes:generators.external-secrets.io/v1alpha1:Password")
    assert spec["dataFrom"][0]["sourceRef"]["generatorRef"]["name"] == generator["inputs"]["metadata"]["name"]
    assert generator["inputs"]["spec"]["length"] >= 24
    assert of_type(resources, "kubernetes:core/v1:Secret") == [], "no Secret value passes through Pulumi"
    assert generator["urn"] in external["dependencies"]
    assert external["urn"] in release(resources)["dependencies"], "the chart waits for its admin Secret"


def test_the_password_generator_waits_for_its_crds_release_not_the_store(resources: list[Resource]) -> None:
    generator = one(resources, "kubernetes:generators.external-secrets.io/v1alpha1:Password")
    assert one(resources, STAND_IN, "crds-stand-in")["urn"] in generator["dependencies"]
    assert one(resources, STAND_IN, "store-stand-in")["urn"] not in generator["dependencies"]


def test_kube_prometheus_stack_is_its_add_on_a_child_of_monitoring(resources: list[Resource]) -> None:
    component = one(resources, "platform:monitoring:Monitoring")
    addon = one(resources, "platform:addons:KubePrometheusStack")
    assert addon["parent"] == component["urn"]
    assert release(resources)["parent"] == addon["urn"]
    with recorded_aliases() as aliases:
        monitoring()
    (alias,) = aliases[(RELEASE, "monitoring-kube-prometheus-stack")]
    assert alias.spec.parentUrn.endswith("platform:monitoring:Monitoring::monitoring")


def test_publishes_prometheus_its_scrapers_and_its_release(resources: list[Resource]) -> None:
    outputs = one(resources, "pulumi:pulumi:Stack")["outputs"]
    address = "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
    assert outputs["prometheusAddress"] == address
    assert one(resources, "platform:monitoring:Monitoring")["outputs"]["prometheus_address"] == address
    assert outputs["scrapers"] == {"namespace": "monitoring", "labels": {"app.kubernetes.io/name": "prometheus"}}
    assert outputs["prometheusRelease"].endswith("::monitoring-kube-prometheus-stack")


def test_config_follows_through() -> None:
    small = monitoring(MonitoringConfig(prometheus_replicas=1, retention_days=7, storage_gib=20))
    spec = release(small)["inputs"]["values"]["prometheus"]["prometheusSpec"]
    assert (spec["replicas"], spec["retention"], spec["retentionSize"]) == (1, "7d", "18GiB")
    assert spec["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "20Gi"


def test_config_refuses_tiny_volumes() -> None:
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 10"):
        MonitoringConfig(storage_gib=5)
