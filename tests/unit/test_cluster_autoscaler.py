"""The cluster-autoscaler add-on: pinned chart, known values, IRSA for its service account only,
scaling limited to this cluster's groups, an image of the cluster's Kubernetes minor."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.addons import PINS
from components.addons.base import unknown_keys
from components.addons.cluster_autoscaler import (
    IMAGE_TAGS,
    PIN,
    ClusterAutoscaler,
    ClusterAutoscalerArgs,
    ClusterAutoscalerSettings,
)
from components.contracts import ClusterIdentity
from infra.config import SUPPORTED_KUBERNETES_VERSIONS
from tests.support import AWS, build, one, policy

OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
IDENTITY = ClusterIdentity(oidc_provider_arn=OIDC_ARN, oidc_issuer_url=ISSUER)
RELEASE = "kubernetes:helm.sh/v3:Release"


def autoscaler(kubernetes_version: str = "1.35", after: bool = False) -> list[dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # Stands in for what the caller makes the release wait for (the cluster's node group).
        waits_for = [aws.sns.Topic("node-group")] if after else None
        ClusterAutoscaler(
            "cluster-autoscaler",
            ClusterAutoscalerArgs(
                kubernetes_provider=provider,
                identity=IDENTITY,
                cluster_name="platform-test",
                region="us-east-1",
                kubernetes_version=kubernetes_version,
                aws=AWS,
            ),
            opts=pulumi.ResourceOptions(depends_on=waits_for),
        )

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return autoscaler()


def test_the_release_is_the_pinned_chart(resources: list[dict[str, Any]]) -> None:
    release = one(resources, RELEASE)["inputs"]
    assert (release["chart"], release["version"]) == (PIN.chart, PIN.version) == ("cluster-autoscaler", "9.59.0")
    assert release["repositoryOpts"]["repo"] == PIN.repository == "https://kubernetes.github.io/autoscaler"
    assert release["name"] == "cluster-autoscaler" and release["namespace"] == "kube-system"
    assert PIN in PINS


def test_the_release_is_atomic_and_uses_the_given_provider(resources: list[dict[str, Any]]) -> None:
    release = one(resources, RELEASE)
    assert release["inputs"]["atomic"] is True and release["inputs"]["cleanupOnFail"] is True
    assert release["inputs"]["timeout"] > 0
    provider = one(resources, "pulumi:providers:kubernetes")
    assert release["provider"].startswith(provider["urn"] + "::")


def test_values_set_only_keys_read_in_the_chart(resources: list[dict[str, Any]]) -> None:
    values = one(resources, RELEASE)["inputs"]["values"]
    assert unknown_keys(PIN, values) == []
    # The check is live: a misspelt key is reported.
    assert unknown_keys(PIN, {**values, "autoDiscovery": {"clustername": "x"}}) == ["autoDiscovery.clustername"]


def test_values_discover_this_clusters_groups_with_the_roles_service_account(resources: list[dict[str, Any]]) -> None:
    values = one(resources, RELEASE)["inputs"]["values"]
    assert values["cloudProvider"] == "aws" and values["awsRegion"] == "us-east-1"
    assert values["autoDiscovery"]["clusterName"] == "platform-test"
    account = values["rbac"]["serviceAccount"]
    role = one(resources, "aws:iam/role:Role", "cluster-autoscaler")
    assert account["create"] is True and account["name"] == "cluster-autoscaler"
    assert account["annotations"] == {"eks.amazonaws.com/role-arn": role["outputs"]["arn"]}


def test_the_role_trusts_exactly_kube_system_cluster_autoscaler(resources: list[dict[str, Any]]) -> None:
    (statement,) = policy(one(resources, "aws:iam/role:Role", "cluster-autoscaler"), "assumeRolePolicy")["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:cluster-autoscaler",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }


def test_scaling_is_limited_to_groups_tagged_for_this_cluster(resources: list[dict[str, Any]]) -> None:
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "cluster-autoscaler")
    assert role_policy["inputs"]["role"] == one(resources, "aws:iam/role:Role", "cluster-autoscaler")["id"]
    statements = policy(role_policy, "policy")["Statement"]
    assert all(s["Effect"] == "Allow" for s in statements)
    writes = [s for s in statements if any(not a.split(":")[1].startswith(("Describe", "Get")) for a in s["Action"])]
    (scale,) = writes
    assert sorted(scale["Action"]) == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert scale["Condition"] == {
        "StringEquals": {
            "aws:ResourceTag/k8s.io/cluster-autoscaler/platform-test": "owned",
            "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
        }
    }
    assert scale["Resource"] == ("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*")
    (describe,) = [s for s in statements if s["Action"] == ["eks:DescribeNodegroup"]]
    assert describe["Resource"] == "arn:aws:eks:us-east-1:123456789012:nodegroup/platform-test/*/*"


@pytest.mark.parametrize("version", SUPPORTED_KUBERNETES_VERSIONS)
def test_the_image_is_of_the_clusters_kubernetes_minor(version: str) -> None:
    values = one(autoscaler(version), RELEASE)["inputs"]["values"]
    assert values["image"]["tag"] == IMAGE_TAGS[version]
    assert values["image"]["tag"].startswith(f"v{version}.")


def test_a_kubernetes_version_without_a_pinned_image_is_refused() -> None:
    settings = ClusterAutoscalerSettings(
        cluster_name="platform-test",
        region="us-east-1",
        kubernetes_version="1.31",
        service_account="cluster-autoscaler",
        role_arn="arn:aws:iam::123456789012:role/x",
    )
    with pytest.raises(ValueError, match=r"no cluster-autoscaler release is pinned for Kubernetes 1\.31"):
        settings.values()


def test_the_release_waits_for_what_the_caller_names() -> None:
    resources = autoscaler(after=True)
    release = one(resources, RELEASE)
    assert one(resources, "aws:sns/topic:Topic", "node-group")["urn"] in release["dependencies"]


def test_the_component_publishes_namespace_release_and_role(resources: list[dict[str, Any]]) -> None:
    (component,) = [r for r in resources if r["type"] == "platform:addons:ClusterAutoscaler"]
    role = one(resources, "aws:iam/role:Role", "cluster-autoscaler")
    assert component["outputs"] == {
        "namespace": "kube-system",
        "release": "cluster-autoscaler",
        "service_account": "cluster-autoscaler",
        "role_arn": role["outputs"]["arn"],
    }
