"""The Cluster component: EKS control plane, node group, encryption, IRSA, add-ons, provider."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.cluster import Cluster, ClusterArgs
from components.contracts import ClusterIdentity
from infra.config import ClusterConfig, NodeGroupConfig, ProtectionConfig
from tests.support import AWS, build, of_type, one, policy

SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]
SPEC = ClusterConfig(
    kubernetes_version="1.35",
    service_cidr="172.20.0.0/16",
    node_group=NodeGroupConfig(
        instance_types=("m6i.large",),
        capacity_type="ON_DEMAND",
        min_size=2,
        desired_size=3,
        max_size=6,
        disk_size_gib=50,
    ),
    log_retention_days=90,
)
PROTECTED = ProtectionConfig(protect=True, deletion_protection=True)


def cluster(
    spec: ClusterConfig = SPEC, protection: ProtectionConfig = PROTECTED, published: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    def program() -> None:
        made = Cluster(
            "cluster",
            ClusterArgs(
                spec=spec,
                cluster_name="platform-test",
                vpc_id="vpc-1",
                private_subnet_ids=SUBNETS,
                aws=AWS,
                protection=protection,
            ),
        )
        if published is not None:
            assert isinstance(made.identity, ClusterIdentity)
            # Read inside the program: the runtime resolves outputs only while it runs.
            pulumi.Output.from_input(made.identity.oidc_provider_arn).apply(lambda v: published.__setitem__("arn", v))
            pulumi.Output.from_input(made.identity.oidc_issuer_url).apply(lambda v: published.__setitem__("issuer", v))

    return build(program)


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
    assert eks["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "172.20.0.0/16"


def test_the_spec_sets_version_and_log_retention() -> None:
    resources = cluster(SPEC.model_copy(update={"kubernetes_version": "1.34", "log_retention_days": 365}))
    assert one(resources, "aws:eks/cluster:Cluster")["inputs"]["version"] == "1.34"
    assert one(resources, "aws:cloudwatch/logGroup:LogGroup")["inputs"]["retentionInDays"] == 365


def test_public_endpoint_only_for_listed_cidrs() -> None:
    spec = SPEC.model_copy(update={"endpoint_public_access_cidrs": ("203.0.113.0/24",)})
    eks = one(cluster(spec), "aws:eks/cluster:Cluster")["inputs"]
    assert eks["vpcConfig"]["endpointPublicAccess"] is True
    assert eks["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_control_plane_logs_go_to_an_encrypted_group_created_first(resources: list[dict[str, Any]]) -> None:
    eks = one(resources, "aws:eks/cluster:Cluster")
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["name"] == "/aws/eks/platform-test/cluster"
    assert group["inputs"]["retentionInDays"] == 90
    assert group["inputs"]["kmsKeyId"] == one(resources, "aws:kms/key:Key", "cluster-logs")["outputs"]["arn"]
    assert group["urn"] in eks["dependencies"]


def test_node_group_in_private_subnets_with_autoscaling_room(resources: list[dict[str, Any]]) -> None:
    group = one(resources, "aws:eks/nodeGroup:NodeGroup")
    scaling = group["inputs"]["scalingConfig"]
    assert scaling == {"minSize": 2, "desiredSize": 3, "maxSize": 6}
    assert group["inputs"]["subnetIds"] == SUBNETS
    assert group["inputs"]["instanceTypes"] == ["m6i.large"]
    assert group["inputs"]["capacityType"] == "ON_DEMAND"
    assert group["inputs"]["amiType"] == "AL2023_x86_64_STANDARD"
    assert "scalingConfig.desiredSize" in group["ignoreChanges"]
    # The cluster autoscaler add-on may scale only groups carrying this tag.
    assert group["inputs"]["tags"]["k8s.io/cluster-autoscaler/platform-test"] == "owned"


def test_graviton_instance_types_get_the_arm_image() -> None:
    spec = SPEC.model_copy(update={"node_group": SPEC.node_group.model_copy(update={"instance_types": ("m7g.large",)})})
    group = one(cluster(spec), "aws:eks/nodeGroup:NodeGroup")["inputs"]
    assert group["instanceTypes"] == ["m7g.large"] and group["amiType"] == "AL2023_ARM_64_STANDARD"


def test_nodes_require_imdsv2_and_encrypted_gp3_volumes(resources: list[dict[str, Any]]) -> None:
    template = one(resources, "aws:ec2/launchTemplate:LaunchTemplate")["inputs"]
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (device,) = template["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true"
    assert device["ebs"]["volumeType"] == "gp3"
    assert device["ebs"]["volumeSize"] == 50
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


def test_the_published_identity_is_the_oidc_provider() -> None:
    published: dict[str, str] = {}
    oidc = one(cluster(published=published), "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert published == {"arn": oidc["outputs"]["arn"], "issuer": oidc["inputs"]["url"]}


def test_the_irsa_roles_are_the_ebs_drivers_and_the_cnis_each_trusting_its_service_account(
    resources: list[dict[str, Any]],
) -> None:
    roles = {r["urn"].rsplit("::", 1)[-1]: r for r in of_type(resources, "aws:iam/role:Role")}
    web_identity = {
        name: role
        for name, role in roles.items()
        if any(s["Action"] == "sts:AssumeRoleWithWebIdentity" for s in policy(role, "assumeRolePolicy")["Statement"])
    }
    # The cluster autoscaler is an add-on of its own now: no role for it here.
    assert set(web_identity) == {"cluster-ebs-csi", "cluster-vpc-cni"}
    for role, account in (("cluster-ebs-csi", "ebs-csi-controller-sa"), ("cluster-vpc-cni", "aws-node")):
        (statement,) = policy(web_identity[role], "assumeRolePolicy")["Statement"]
        conditions = statement["Condition"]["StringEquals"]
        assert [v for k, v in conditions.items() if k.endswith(":sub")] == [
            f"system:serviceaccount:kube-system:{account}"
        ]


def _attached(resources: list[dict[str, Any]], role: str) -> set[str]:
    arn = one(resources, "aws:iam/role:Role", role)
    return {
        a["inputs"]["policyArn"].rsplit("/", 1)[-1]
        for a in of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a["inputs"]["role"] == arn["outputs"]["name"]
    }


def test_the_cni_has_its_own_role_and_the_nodes_role_keeps_only_what_nodes_need(
    resources: list[dict[str, Any]],
) -> None:
    assert _attached(resources, "cluster-vpc-cni") == {"AmazonEKS_CNI_Policy"}
    assert _attached(resources, "cluster-nodes") == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
    }
    cni = one(resources, "aws:eks/addon:Addon", "cluster-vpc-cni")["inputs"]
    assert cni["serviceAccountRoleArn"] == one(resources, "aws:iam/role:Role", "cluster-vpc-cni")["outputs"]["arn"]


def test_security_groups_for_pods_turn_on_branch_enis_and_the_resource_controller() -> None:
    off = json.loads(one(cluster(), "aws:eks/addon:Addon", "cluster-vpc-cni")["inputs"]["configurationValues"])
    assert "env" not in off
    on = cluster(SPEC.model_copy(update={"pod_security_groups": True}))
    settings = json.loads(one(on, "aws:eks/addon:Addon", "cluster-vpc-cni")["inputs"]["configurationValues"])
    assert settings["env"] == {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"}
    assert settings["init"]["env"] == {"DISABLE_TCP_EARLY_DEMUX": "true"}
    assert settings["enableNetworkPolicy"] == "true"
    assert "AmazonEKSVPCResourceController" in _attached(on, "cluster-cluster")
    assert "AmazonEKSVPCResourceController" not in _attached(cluster(), "cluster-cluster")


def test_the_ebs_drivers_grants_are_only_for_aws_resources(resources: list[dict[str, Any]]) -> None:
    statements = policy(one(resources, "aws:iam/rolePolicy:RolePolicy", "cluster-ebs-csi-kms"), "policy")["Statement"]
    for statement in statements:
        grants = [a for a in statement["Action"] if "Grant" in a]
        if grants:
            assert statement["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert any("kms:CreateGrant" in s["Action"] for s in statements)


def test_administrators_from_config_replace_the_creators_bootstrap_admin() -> None:
    creator = one(cluster(), "aws:eks/cluster:Cluster")["inputs"]["accessConfig"]
    assert creator["bootstrapClusterCreatorAdminPermissions"] is True  # nobody named: the creator stays admin
    admin = "arn:aws:iam::123456789012:role/platform-deployer"
    named = cluster(SPEC.model_copy(update={"admin_role_arns": (admin,)}))
    eks = one(named, "aws:eks/cluster:Cluster")
    assert eks["inputs"]["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is False
    # Changing it on an existing cluster would replace the cluster: the field is left as created.
    assert "accessConfig.bootstrapClusterCreatorAdminPermissions" in eks["ignoreChanges"]
    # The configured roles assume the administrators' role the plan creates; only that role has an entry.
    role = one(named, "aws:iam/role:Role", "cluster-administrators")
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"AWS": [admin]} and trust["Action"] == "sts:AssumeRole"
    (entry,) = of_type(named, "aws:eks/accessEntry:AccessEntry")
    assert entry["inputs"]["principalArn"] == role["outputs"]["arn"]
    (association,) = of_type(named, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association["inputs"]["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert not of_type(cluster(), "aws:eks/accessEntry:AccessEntry")


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
    assert sc["parameters"]["kmsKeyId"] == one(resources, "aws:kms/key:Key", "cluster-volumes")["outputs"]["arn"]
    assert sc["reclaimPolicy"] == "Retain"


def test_kubernetes_objects_use_the_clusters_provider(resources: list[dict[str, Any]]) -> None:
    provider = one(resources, "pulumi:providers:kubernetes")
    assert one(resources, "kubernetes:storage.k8s.io/v1:StorageClass")["provider"].startswith(provider["urn"] + "::")
    # No Helm release any more: the add-ons install their charts themselves.
    assert of_type(resources, "kubernetes:helm.sh/v3:Release") == []


@pytest.mark.parametrize("protect", [True, False])
def test_protection_follows_the_args(protect: bool) -> None:
    resources = cluster(protection=ProtectionConfig(protect=protect, deletion_protection=protect))
    eks = one(resources, "aws:eks/cluster:Cluster")
    assert eks.get("protect", False) is protect
    assert eks["inputs"]["deletionProtection"] is protect
    keys = of_type(resources, "aws:kms/key:Key")
    assert len(keys) == 3 and all(k.get("protect", False) is protect for k in keys)


def test_protect_and_deletion_protection_are_independent() -> None:
    resources = cluster(protection=ProtectionConfig(protect=False, deletion_protection=True))
    eks = one(resources, "aws:eks/cluster:Cluster")
    assert eks.get("protect", False) is False and eks["inputs"]["deletionProtection"] is True
