"""The CloudWatch exporter (YACE) and the Prometheus Operator's CRDs: pinned charts, only verified
values keys, a configuration YACE accepts (its fields, one region, this stack's tags), a ServiceMonitor,
and an IRSA role holding exactly the three read actions it needs, in one region."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.addons import cloudwatch_exporter as yace
from components.addons import prometheus_operator_crds as crds
from components.addons.base import unknown_keys
from components.contracts import ClusterIdentity
from tests.support import Resource, build, one, policy

RELEASE = "kubernetes:helm.sh/v3:Release"
IDENTITY = ClusterIdentity(
    oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    oidc_issuer_url="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
)
TAGS = {"Project": "platform", "Stack": "prod"}


def exporter() -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        operator_crds = crds.PrometheusOperatorCrds("operator-crds", crds.PrometheusOperatorCrdsArgs(provider))
        yace.CloudWatchExporter(
            "cloudwatch-exporter",
            yace.CloudWatchExporterArgs(
                provider, namespace="monitoring", identity=IDENTITY, region="us-east-1", search_tags=TAGS
            ),
            opts=pulumi.ResourceOptions(depends_on=[operator_crds.release]),
        )

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    return exporter()


def values(resources: list[Resource]) -> dict[str, Any]:
    return dict(one(resources, RELEASE, "cloudwatch-exporter")["inputs"]["values"])


def test_both_charts_are_pinned_and_set_only_verified_keys(resources: list[Resource]) -> None:
    for pin, name, namespace in (
        (yace.PIN, "cloudwatch-exporter", "monitoring"),
        (crds.PIN, "operator-crds", "kube-system"),
    ):
        inputs = one(resources, RELEASE, name)["inputs"]
        assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
            pin.chart,
            pin.version,
            pin.repository,
        )
        assert inputs["namespace"] == namespace
        assert inputs["atomic"] is True
        assert unknown_keys(pin, inputs["values"]) == []


def test_the_crds_survive_their_release_and_everything_waits_for_them(resources: list[Resource]) -> None:
    crd_release = one(resources, RELEASE, "operator-crds")
    assert crd_release["inputs"]["values"] == {"crds": {"annotations": {"helm.sh/resource-policy": "keep"}}}
    assert crd_release["inputs"]["name"] == "prometheus-operator-crds"
    assert crds.PIN.app_version == "v0.93.1"  # kube-prometheus-stack 88.5.3's operator
    assert crd_release["urn"] in one(resources, RELEASE, "cloudwatch-exporter")["dependencies"]


def test_the_exporter_is_scraped_bounded_and_restricted(resources: list[Resource]) -> None:
    v = values(resources)
    assert v["serviceMonitor"]["enabled"] is True
    assert v["resources"]["requests"] and v["resources"]["limits"]["memory"] == "256Mi"
    assert v["securityContext"]["readOnlyRootFilesystem"] is True
    assert v["securityContext"]["runAsNonRoot"] is True and v["podSecurityContext"]["runAsNonRoot"] is True
    assert v["replicaCount"] == 1
    assert v["extraArgs"] == {"scraping-interval": 300}
    assert v["serviceAccount"]["name"] == yace.SERVICE_ACCOUNT
    assert v["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert "aws" not in v, "no access keys: the role comes through IRSA"


def test_the_configuration_reads_the_datastores_broker_queues_and_backups_of_this_stack(
    resources: list[Resource],
) -> None:
    text = values(resources)["config"]
    assert "&id" not in text and "*id" not in text, "no YAML anchors"
    config = yaml.safe_load(text)
    assert config["apiVersion"] == "v1alpha1" and config["sts-region"] == "us-east-1"
    jobs = config["discovery"]["jobs"]
    assert [j["type"] for j in jobs] == ["AWS/RDS", "AWS/DocDB", "AWS/ElastiCache", "AWS/AmazonMQ", "AWS/AmazonMQ"]
    for job in jobs:
        assert job["regions"] == ["us-east-1"]
        assert job["searchTags"] == [{"key": "Project", "value": "^platform$"}, {"key": "Stack", "value": "^prod$"}]
        for metric in job["metrics"]:
            assert len(metric["statistics"]) == 1 and metric["period"] == 300 and metric["length"] == 600
    queues = jobs[-1]
    assert queues["dimensionNameRequirements"] == ["Broker", "VirtualHost", "Queue"]
    assert {m["name"] for m in queues["metrics"]} == {"MessageCount", "ConsumerCount"}
    (custom,) = config["customNamespace"]
    assert custom["namespace"] == "Platform/Backups" and custom["metrics"][0]["name"] == "RecoveryPointAgeSeconds"
    # Only fields YACE v0.67.0 knows (pkg/config/scrapeconf.go).
    assert set(config) == {"apiVersion", "sts-region", "discovery", "customNamespace"}
    for job in jobs:
        assert set(job) <= {"type", "regions", "searchTags", "dimensionNameRequirements", "metrics"}


def test_the_role_may_only_read_metrics_and_find_resources_by_tag_in_its_region(resources: list[Resource]) -> None:
    statements = policy(one(resources, "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    actions = sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "tag:GetResources"]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        # No resource types exist for these actions: "*", held to the one region instead.
        assert statement["Resource"] == "*"
        assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    trust = policy(one(resources, "aws:iam/role:Role"), "assumeRolePolicy")["Statement"][0]
    assert trust["Condition"]["StringEquals"]["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == (
        "system:serviceaccount:monitoring:cloudwatch-exporter"
    )
