"""Each committed stack planned end to end offline; the environments differ only where config says."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from infra.config import config_from_stack_file, read_stack_file
from tests.conftest import STACKS
from tests.support import ROOT, by_urn, of_type, one

Plan = Any


def config(stack: str) -> Any:
    return config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml"))


@pytest.mark.parametrize("stack", STACKS)
def test_private_subnets_in_distinct_zones(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    assert len(of_type(resources, "aws:ec2/vpc:Vpc")) == 1
    private = [s for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "private"]
    zones = {s["inputs"]["availabilityZone"] for s in private}
    assert len(private) == len(zones) == config(stack).network.availability_zones


def test_prod_has_three_zones_and_a_nat_gateway_in_each(planned: Plan) -> None:
    _, resources = planned("prod")
    private = [s for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "private"]
    nats = of_type(resources, "aws:ec2/natGateway:NatGateway")
    assert len(private) >= 3
    assert len(nats) == len({s["inputs"]["availabilityZone"] for s in private})
    public_ids = {
        s["id"] for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "public"
    }
    assert {n["inputs"]["subnetId"] for n in nats} <= public_ids


def test_dev_goes_out_through_one_nat_instance_staging_one_gateway_prod_one_per_zone(planned: Plan) -> None:
    dev, staging, prod = (planned(s)[1] for s in ("dev", "staging", "prod"))
    assert of_type(dev, "aws:ec2/natGateway:NatGateway") == [] and len(of_type(dev, "aws:ec2/instance:Instance")) == 1
    assert len(of_type(staging, "aws:ec2/natGateway:NatGateway")) == 1
    assert len(of_type(prod, "aws:ec2/natGateway:NatGateway")) == 3
    assert of_type(staging, "aws:ec2/instance:Instance") == of_type(prod, "aws:ec2/instance:Instance") == []


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_encrypts_secrets_and_workers_are_private_and_autoscale(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    eks = one(resources, "aws:eks/cluster:Cluster")
    keys = {k["outputs"]["arn"] for k in of_type(resources, "aws:kms/key:Key")}
    assert eks["inputs"]["encryptionConfig"]["provider"]["keyArn"] in keys
    group = one(resources, "aws:eks/nodeGroup:NodeGroup")
    scaling = group["inputs"]["scalingConfig"]
    assert scaling["minSize"] >= 2 and scaling["maxSize"] > scaling["minSize"]
    private_ids = {
        s["id"] for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "private"
    }
    assert set(group["inputs"]["subnetIds"]) == private_ids


@pytest.mark.parametrize("stack", STACKS)
def test_aws_providers_carry_default_tags(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    providers = of_type(resources, "pulumi:providers:aws")
    assert {p["inputs"]["region"] for p in providers} == {config(stack).region, config(stack).backup_region}
    for provider in providers:
        tags = json.loads(provider["inputs"]["defaultTags"])["tags"]
        assert tags["Environment"] == stack and tags["Project"] == "platform" and tags["ManagedBy"] == "pulumi"


@pytest.mark.parametrize("stack", STACKS)
def test_every_custom_resource_names_its_provider(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    index = by_urn(resources)
    for r in resources:
        if r["custom"] and not r["type"].startswith("pulumi:providers:"):
            provider_urn = r["provider"].rpartition("::")[0]
            assert index[provider_urn]["type"].startswith("pulumi:providers:"), r["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_declared_dependencies_are_recorded(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    vpc = one(resources, "aws:ec2/vpc:Vpc")
    eks = one(resources, "aws:eks/cluster:Cluster")
    assert all(vpc["urn"] in s["dependencies"] for s in of_type(resources, "aws:ec2/subnet:Subnet"))
    assert eks["urn"] in one(resources, "aws:eks/nodeGroup:NodeGroup")["dependencies"]
    assert (
        eks["urn"]
        in one(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "cluster-oidc")["dependencies"]
    )
    index = by_urn(resources)
    for r in resources:  # every edge points at a resource of the plan, and comes after it
        assert all(d in index for d in r.get("dependencies", [])), r["urn"]
    position = {r["urn"]: i for i, r in enumerate(resources)}
    for r in resources:
        assert all(position[d] < position[r["urn"]] for d in r.get("dependencies", [])), r["urn"]


def test_prod_protects_stateful_resources_and_dev_does_not(planned: Plan) -> None:
    _, prod = planned("prod")
    _, dev = planned("dev")
    for resources, expected in ((prod, True), (dev, False)):
        eks = one(resources, "aws:eks/cluster:Cluster")
        assert eks.get("protect", False) is expected
        assert eks["inputs"]["deletionProtection"] is expected
        assert all(k.get("protect", False) is expected for k in of_type(resources, "aws:kms/key:Key"))


def test_environments_are_the_same_code(planned: Plan) -> None:
    """The three stacks build the same kinds of resources; only counts that config sets may differ."""
    counts = {stack: Counter(r["type"] for r in planned(stack)[1]) for stack in STACKS}
    # Switched on per environment by platform:backups (objectLock, vaultLock, restoreTesting.enabled).
    switched = {
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        "aws:ec2/securityGroup:SecurityGroup",  # the restore tests' isolated group
        # Made only when platform:monitoring.alerting has receivers (dev has none).
        "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig",
        # platform:cluster.podSecurityGroups (staging, prod): the datastores' clients' own group.
        "platform:pod_security_groups:DatastoreClients",
        "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        # platform:cluster.adminRoleArns (staging, prod): the administrators' role and its access entry.
        # Made only when platform:delivery names repositories (dev names none).
        "platform:delivery:Delivery",
        "aws:ssm/parameter:Parameter",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "aws:eks/accessEntry:AccessEntry",  # also platform:cluster.adminRoleArns
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    }
    # platform:network.natGateways: NAT gateways (staging, prod) or one NAT instance (dev).
    nat = {"aws:ec2/natGateway:NatGateway", "platform:network:NatInstance", "aws:ec2/instance:Instance",
           "aws:ec2/networkInterface:NetworkInterface"}  # fmt: skip
    assert (
        set(counts["dev"]) - switched - nat
        == set(counts["staging"]) - switched - nat
        == set(counts["prod"]) - switched - nat
    )
    assert "aws:ec2/natGateway:NatGateway" in set(counts["staging"]) & set(counts["prod"])
    assert switched <= set(counts["prod"])
    may_differ = {
        "aws:ec2/subnet:Subnet",  # 3 tiers x zones
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/route:Route",
        *nat,
        "aws:ec2/eip:Eip",
        "aws:ec2/securityGroup:SecurityGroup",  # the datastores' clients' (podSecurityGroups)
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",  # the clients' ports
        "aws:iam/role:Role",  # the cluster administrators' (adminRoleArns)
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",  # the VPC resource controller's (podSecurityGroups)
        "aws:docdb/clusterInstance:ClusterInstance",  # platform:datastores.documentdb.instances
        "aws:ec2/vpcEndpoint:VpcEndpoint",  # platform:network.interfaceEndpoints (dev: STS and KMS only)
        "kubernetes:external-secrets.io/v1:ExternalSecret",  # Alertmanager's receivers, when there are any
        # platform:delivery: GitHub's OIDC provider and the release and pipeline roles.
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:iam/rolePolicy:RolePolicy",
        *switched,
    }
    # A kube-system controller calling an AWS API with no endpoint gets 443 to the internet: dev has no EC2
    # endpoint, so the EBS driver's controller has that one NetworkPolicy more.
    counts["dev"]["kubernetes:networking.k8s.io/v1:NetworkPolicy"] -= 1
    # The NAT instance's launch template and its volume's key.
    counts["dev"]["aws:ec2/launchTemplate:LaunchTemplate"] -= 1
    counts["dev"]["aws:kms/key:Key"] -= 1
    for kind in counts["prod"]:
        if kind not in may_differ:
            assert counts["dev"][kind] == counts["staging"][kind] == counts["prod"][kind], kind


def test_kubeconfig_output_is_secret(planned: Plan) -> None:
    _, resources = planned("prod")
    stack = resources[0]
    assert stack["type"] == "pulumi:pulumi:Stack"
    assert stack["outputs"]["kubeconfig"]["ciphertext"] == "[secret]"


@pytest.mark.parametrize("stack", STACKS)
def test_every_helm_release_is_pinned_and_sets_only_verified_keys(planned: Plan, stack: str) -> None:
    """A values key a chart does not know is ignored without a word: every key the plan passes to a
    chart must be one read in that chart's values.yaml at the pinned version (components/addons/)."""
    from components.addons import PINS
    from components.addons.base import unknown_keys

    pins = {pin.chart: pin for pin in PINS}
    releases = of_type(planned(stack)[1], "kubernetes:helm.sh/v3:Release")
    assert len(releases) >= 8
    for release in releases:
        inputs = release["inputs"]
        pin = pins[inputs["chart"]]
        assert (inputs["version"], inputs["repositoryOpts"]["repo"]) == (pin.version, pin.repository)
        assert isinstance(inputs["values"], dict), f"{inputs['chart']}: values hidden by a secret"
        assert unknown_keys(pin, inputs["values"]) == [], inputs["chart"]
