"""The NAT instance (``natGateways: instance``): what it admits, what it forwards, how the routes reach it,
and that prod cannot choose it."""

from __future__ import annotations

from typing import Any

import pytest

from components.nat_instance import AMI_PARAMETER, NatInstance, NatInstanceArgs, user_data
from components.network import Network
from infra.config import ConfigError, NatInstanceConfig, NatStrategy, NetworkConfig, build_config
from tests.support import AWS, build, of_type, one
from tests.unit.test_network import ZONES, network_args

SPEC = NetworkConfig(cidr="10.40.0.0/16", availability_zones=2, nat_gateways=NatStrategy.INSTANCE)


def network() -> list[dict[str, Any]]:
    return build(lambda: Network("network", network_args(SPEC, ZONES[:2])))


def test_private_routes_lead_to_the_instances_interface_and_no_gateway_is_made() -> None:
    resources = network()
    assert of_type(resources, "aws:ec2/natGateway:NatGateway") == []
    interface = one(resources, "aws:ec2/networkInterface:NetworkInterface")
    routes = [
        r for r in of_type(resources, "aws:ec2/route:Route") if r["inputs"]["destinationCidrBlock"] == "0.0.0.0/0"
    ]
    private = [r for r in routes if "networkInterfaceId" in r["inputs"]]
    assert len(private) == 2 and {r["inputs"]["networkInterfaceId"] for r in private} == {interface["id"]}
    assert all("natGatewayId" not in r["inputs"] for r in private)
    # the interface sits in the first public subnet, forwards (no source/destination check), keeps its address
    public = {s["id"] for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "public"}
    assert interface["inputs"]["subnetId"] in public and interface["inputs"]["sourceDestCheck"] is False
    eip = one(resources, "aws:ec2/eip:Eip")
    assert eip["inputs"]["networkInterface"] == interface["id"]


def test_it_admits_only_https_from_the_private_subnets() -> None:
    resources = network()
    group = one(resources, "aws:ec2/securityGroup:SecurityGroup", "network-nat-instance-sg")
    private = sorted(
        s["inputs"]["cidrBlock"]
        for s in of_type(resources, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["Tier"] == "private"
    )
    ingress = group["inputs"]["ingress"]
    assert sorted((r["protocol"], r["fromPort"], r["toPort"]) for r in ingress) == [("tcp", 443, 443)]
    assert all(sorted(r["cidrBlocks"]) == private for r in ingress)  # not the data subnets, not the VPC
    egress = group["inputs"]["egress"]
    assert sorted((r["protocol"], r["fromPort"], r["toPort"]) for r in egress) == [("tcp", 443, 443)]


def test_the_instance_is_hardened_and_boots_the_arm64_image_from_ssm() -> None:
    resources = network()
    template = one(resources, "aws:ec2/launchTemplate:LaunchTemplate")["inputs"]
    assert template["imageId"] == f"resolve:ssm:{AMI_PARAMETER}" and "arm64" in AMI_PARAMETER
    instance = one(resources, "aws:ec2/instance:Instance")["inputs"]
    for options in (template["metadataOptions"], instance["metadataOptions"]):
        assert options["httpTokens"] == "required" and options["httpPutResponseHopLimit"] == 1
    disk = instance["rootBlockDevice"]
    key = one(resources, "aws:kms/key:Key", "network-nat-instance-volume")
    assert disk["encrypted"] is True and disk["kmsKeyId"] == key["outputs"]["arn"] and disk["volumeType"] == "gp3"
    assert key["inputs"]["enableKeyRotation"] is True
    assert instance["instanceType"] == "t4g.micro"
    assert "keyName" not in instance and "iamInstanceProfile" not in instance
    assert "associatePublicIpAddress" not in instance  # the address is the interface's Elastic IP
    interface = one(resources, "aws:ec2/networkInterface:NetworkInterface")
    assert instance["primaryNetworkInterface"] == {"networkInterfaceId": interface["id"], "deleteOnTermination": False}
    assert "networkInterfaces" not in instance  # deprecated for the primary interface
    assert instance["userData"] == user_data(("10.40.0.0/19", "10.40.32.0/19"))
    assert instance["userDataReplaceOnChange"] is True


def test_the_boot_script_masquerades_only_the_private_subnets_and_drops_other_forwarding() -> None:
    script = user_data(("10.1.0.0/19", "10.1.32.0/19"))
    assert "net.ipv4.ip_forward = 1" in script
    assert "ip saddr { 10.1.0.0/19, 10.1.32.0/19 } masquerade" in script
    assert "type filter hook forward priority filter; policy drop;" in script
    assert "tcp dport { 443 } accept" in script
    assert "systemctl enable nftables" in script


def test_a_nat_instance_needs_the_subnets_it_serves() -> None:
    with pytest.raises(ValueError, match="private subnets' CIDR blocks"):
        NatInstanceArgs(
            spec=NatInstanceConfig(), vpc_id="vpc-1", subnet_id="subnet-1", source_cidrs=(), name_prefix="x", aws=AWS
        )


@pytest.mark.parametrize("bad", ["t3.micro", "m5.large", "t4g.4xlarge", "t4g"])
def test_only_graviton_types_are_accepted(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a Graviton type"):
        NatInstanceConfig.model_validate({"instanceType": bad})


def test_the_component_registers_its_outputs() -> None:
    published: dict[str, Any] = {}

    def program() -> None:
        nat = NatInstance(
            "nat",
            NatInstanceArgs(
                spec=NatInstanceConfig(instance_type="t4g.nano"),
                vpc_id="vpc-1",
                subnet_id="subnet-1",
                source_cidrs=("10.0.0.0/19",),
                name_prefix="p",
                aws=AWS,
            ),
        )
        published["nat"] = nat

    resources = build(program)
    assert one(resources, "aws:ec2/instance:Instance")["inputs"]["instanceType"] == "t4g.nano"
    component = one(resources, "platform:network:NatInstance")
    assert all(r["parent"] == component["urn"] for r in resources if r["type"].startswith("aws:"))


def test_dev_runs_a_nat_instance_staging_and_prod_gateways_and_prod_refuses_one() -> None:
    assert build_config({"environment": "dev"}).network.nat_gateways is NatStrategy.INSTANCE
    assert build_config({"environment": "staging"}).network.nat_gateways is NatStrategy.SINGLE
    assert build_config({"environment": "staging", "network": {"natGateways": "instance"}}).network.nat_instance
    with pytest.raises(ConfigError, match=r"platform:network\.natGateways.*prod does not run a NAT instance"):
        build_config({"environment": "prod", "network": {"natGateways": "instance"}})


def test_its_address_and_instance_wait_for_the_first_public_subnets_way_to_the_internet() -> None:
    resources = network()
    igw = one(resources, "aws:ec2/internetGateway:InternetGateway")["urn"]
    route = one(resources, "aws:ec2/route:Route", "network-public-default")["urn"]
    subnet = one(resources, "aws:ec2/subnet:Subnet", "network-public-0")["id"]
    association = next(
        a["urn"]
        for a in of_type(resources, "aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a["inputs"]["subnetId"] == subnet
    )
    for kind in ("aws:ec2/eip:Eip", "aws:ec2/instance:Instance"):
        assert {igw, route, association} <= set(one(resources, kind)["dependencies"]), kind
    eip = one(resources, "aws:ec2/eip:Eip")["urn"]
    assert eip in one(resources, "aws:ec2/instance:Instance")["dependencies"]
