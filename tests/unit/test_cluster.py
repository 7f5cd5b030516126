"""The Cluster component: EKS control plane, node group, encryption, IRSA, add-ons, provider."""

from __future__ import annotations

from typing import Any

import pytest

from components.cluster import Cluster, ClusterArgs, NodeGroupSpec
from infra.charts import CLUSTER_AUTOSCALER, unknown_keys
from tests.support import AWS, build, of_type, one, policy

SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]


def cluster(**overrides: Any) -> list[dict[str, Any]]:
    fields: dict[str, Any] = {
        "cluster_name": "platform-test",
        "kubernetes_version": "1.35",
        "vpc_id": "vpc-1",
        "private_subnet_ids": SUBNETS,
        "service_cidr": "172.20.0.0/16",
        "node_group": NodeGroupSpec(
            instance_types=["m6i.large"],
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type="ON_DEMAND",
            min_size=2,
            desired_size=3,
            max_size=6,
            disk_size_gib=50,
        ),
        "log_retention_days": 90,
        "aws": AWS,
    }
    fields.update(overrides)
    return build(lambda: Cluster("cluster", ClusterArgs(**fields)))


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return cluster()


def test_secrets_are_envelope_encrypted_with_a_rotating_kms_key(resources: list[dict[str, Any]]) -> None:
    eks = one(resources, "aws:eks/cluster:Cluster")
    key = one(resources, "aws:kms/key:Key", "cluster-secrets")
    encryption = eks["inputs"]["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == key["outputs"]["arn"]
    assert key["inputs"]["enableKeyRotation"] is True


def test_version_logging_and_private_endpoint(resources: list[dict[str, Any]]) -> None:
    eks = one(resources, "aws:eks/cluster:Cluster")["inputs"]
    assert eks["version"] == "1.35"
    assert set(eks["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    assert eks["vpcConfig"]["endpointPrivateAccess"] is True
    assert eks["vpcConfig"]["endpointPublicAccess"] is False
    assert eks["vpcConfig"]["subnetIds"] == SUBNETS
    assert eks["accessConfig"]["authenticationMode"] == "API"


def test_public_endpoint_only_for_listed_cidrs() -> None:
    eks = one(cluster(endpoint_public_access_cidrs=["203.0.113.0/24"]), "aws:eks/cluster:Cluster")["inputs"]
    assert eks["vpcConfig"]["endpointPublicAccess"] is True
    assert eks["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_control_plane_logs_go_to_an_encrypted_group_created_first(resources: list[dict[str, Any]]) -> None:
    eks = one(resources, "aws:eks/cluster:Cluster")
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["name"] == "/aws/eks/platform-test/cluster"
    assert group["inputs"]["kmsKeyId"] == one(resources, "aws:kms/key:Key", "cluster-logs")["outputs"]["arn"]
    assert group["urn"] in eks["dependencies"]


def test_node_group_in_private_subnets_with_autoscaling_room(resources: list[dict[str, Any]]) -> None:
    group = one(resources, "aws:eks/nodeGroup:NodeGroup")
    scaling = group["inputs"]["scalingConfig"]
    assert scaling == {"minSize": 2, "desiredSize": 3, "maxSize": 6}
    assert group["inputs"]["subnetIds"] == SUBNETS
    assert "scalingConfig.desiredSize" in group["ignoreChanges"]
    assert group["inputs"]["tags"]["k8s.io/cluster-autoscaler/platform-test"] == "owned"


def test_nodes_require_imdsv2_and_encrypted_gp3_volumes(resources: list[dict[str, Any]]) -> None:
    template = one(resources, "aws:ec2/launchTemplate:LaunchTemplate")["inputs"]
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (device,) = template["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true"
    assert device["ebs"]["volumeType"] == "gp3"
    volumes_key = one(resources, "aws:kms/key:Key", "cluster-volumes")
    assert device["ebs"]["kmsKeyId"] == volumes_key["outputs"]["arn"]
    # EC2 Auto Scaling must be allowed to use the key, or instances never launch.
    principals = [s["Principal"].get("AWS", "") for s in policy(volumes_key, "policy")["Statement"]]
    assert any(
        p.endswith("role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling") for p in principals
    )


def test_oidc_provider_for_irsa(resources: list[dict[str, Any]]) -> None:
    eks = one(resources, "aws:eks/cluster:Cluster")
    oidc = one(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc["inputs"]["url"] == eks["outputs"]["identities"][0]["oidcs"][0]["issuer"]
    assert oidc["inputs"]["clientIdLists"] == ["sts.amazonaws.com"]


def test_irsa_roles_trust_exactly_one_service_account(resources: list[dict[str, Any]]) -> None:
    roles = {r["urn"].rsplit("::", 1)[-1]: r for r in of_type(resources, "aws:iam/role:Role")}
    expected = {
        "cluster-autoscaler": "kube-system:cluster-autoscaler",
        "cluster-ebs-csi": "kube-system:ebs-csi-controller-sa",
    }
    for role_name, subject in expected.items():
        (statement,) = policy(roles[role_name], "assumeRolePolicy")["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        conditions = statement["Condition"]["StringEquals"]
        assert [v for k, v in conditions.items() if k.endswith(":sub")] == [f"system:serviceaccount:{subject}"]


def test_network_policy_enforcement_and_core_addons(resources: list[dict[str, Any]]) -> None:
    addons = {a["inputs"]["addonName"]: a["inputs"] for a in of_type(resources, "aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}
    assert '"enableNetworkPolicy": "true"' in addons["vpc-cni"]["configurationValues"]
    ebs_role = one(resources, "aws:iam/role:Role", "cluster-ebs-csi")
    assert addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"] == ebs_role["outputs"]["arn"]


def test_default_storage_class_is_encrypted_gp3_and_retains_data(resources: list[dict[str, Any]]) -> None:
    sc = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass")["inputs"]
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["parameters"]["type"] == "gp3" and sc["parameters"]["encrypted"] == "true"
    assert sc["reclaimPolicy"] == "Retain"


def test_kubernetes_objects_use_the_clusters_provider(resources: list[dict[str, Any]]) -> None:
    provider = one(resources, "pulumi:providers:kubernetes")
    for kind in ("kubernetes:storage.k8s.io/v1:StorageClass", "kubernetes:helm.sh/v3:Release"):
        assert one(resources, kind)["provider"].startswith(provider["urn"] + "::")


def test_autoscaler_release_is_pinned_and_sets_only_known_keys(resources: list[dict[str, Any]]) -> None:
    release = one(resources, "kubernetes:helm.sh/v3:Release")["inputs"]
    assert (release["chart"], release["version"]) == (CLUSTER_AUTOSCALER.chart, CLUSTER_AUTOSCALER.version)
    values = release["values"]
    assert unknown_keys(CLUSTER_AUTOSCALER, values) == []
    assert values["autoDiscovery"]["clusterName"] == "platform-test"
    assert values["image"]["tag"].startswith("v1.35.")
    role = one(resources, "aws:iam/role:Role", "cluster-autoscaler")
    assert values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role["outputs"]["arn"]


def test_autoscaler_may_only_scale_this_clusters_groups(resources: list[dict[str, Any]]) -> None:
    scale = [
        s
        for s in policy(one(resources, "aws:iam/rolePolicy:RolePolicy", "cluster-autoscaler"), "policy")["Statement"]
        if "autoscaling:SetDesiredCapacity" in s["Action"]
    ]
    assert scale[0]["Condition"]["StringEquals"] == {"aws:ResourceTag/k8s.io/cluster-autoscaler/platform-test": "owned"}


@pytest.mark.parametrize("protect", [True, False])
def test_protection_follows_the_args(protect: bool) -> None:
    resources = cluster(protect=protect, deletion_protection=protect)
    eks = one(resources, "aws:eks/cluster:Cluster")
    assert eks.get("protect", False) is protect
    assert eks["inputs"]["deletionProtection"] is protect
    assert all(k.get("protect", False) is protect for k in of_type(resources, "aws:kms/key:Key"))


def test_node_group_spec_rejects_fewer_than_two_workers() -> None:
    with pytest.raises(ValueError, match="at least 2 workers"):
        NodeGroupSpec(["m6i.large"], "AL2023_x86_64_STANDARD", "ON_DEMAND", 1, 1, 3, 50)
