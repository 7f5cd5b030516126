"""The Network component: layout, tiers, NAT strategy, flow logs, endpoints, default SG."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.network import Network, NetworkArgs, layout_of, subnet_layout
from infra.config import DEFAULT_INTERFACE_ENDPOINTS, FlowLogsConfig, NatStrategy, NetworkConfig, ProtectionConfig
from tests.support import AWS, build, of_type, one, policy

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
SPEC = NetworkConfig(cidr="10.30.0.0/16", availability_zones=3, nat_gateways=NatStrategy.ONE_PER_AZ)
PROTECTED = ProtectionConfig(protect=True, deletion_protection=True)


def network_args(
    spec: NetworkConfig = SPEC, zones: list[str] = ZONES, protection: ProtectionConfig = PROTECTED
) -> NetworkArgs:
    return NetworkArgs(
        spec=spec, cluster_name="platform-test", availability_zones=zones, aws=AWS, protection=protection
    )


def network(nat: NatStrategy = NatStrategy.ONE_PER_AZ, **changes: Any) -> list[dict[str, Any]]:
    args = network_args(SPEC.model_copy(update={"nat_gateways": nat}), **changes)
    return build(lambda: Network("network", args))


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.16.0.0/18", "192.168.0.0/21"])
@pytest.mark.parametrize("zones", [2, 3, 6])
def test_layout_blocks_are_disjoint_and_inside_the_vpc(cidr: str, zones: int) -> None:
    layout = subnet_layout(cidr, zones)
    blocks = [ipaddress.IPv4Network(c) for c in layout.public + layout.private + layout.data]
    assert len(blocks) == 3 * zones
    vpc = ipaddress.IPv4Network(cidr)
    assert all(b.subnet_of(vpc) for b in blocks)
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    assert all(b.prefixlen <= 28 for b in blocks), "AWS subnets are /28 or larger"
    # Private subnets hold pods (one VPC address each): they are the largest tier.
    assert (
        ipaddress.IPv4Network(layout.private[0]).num_addresses > ipaddress.IPv4Network(layout.public[0]).num_addresses
    )


def test_layout_rejects_impossible_zone_counts() -> None:
    with pytest.raises(ValueError, match="zones must be 1 to 6"):
        subnet_layout("10.0.0.0/16", 7)


def test_three_tiers_one_subnet_per_zone_each() -> None:
    resources = network()
    subnets = of_type(resources, "aws:ec2/subnet:Subnet")
    tiers = {t: [s for s in subnets if s["inputs"]["tags"]["Tier"] == t] for t in ("public", "private", "data")}
    for tier, members in tiers.items():
        assert sorted(s["inputs"]["availabilityZone"] for s in members) == ZONES, tier
    assert all(s["inputs"].get("mapPublicIpOnLaunch") is False for s in tiers["public"])
    assert all(s["inputs"]["tags"]["kubernetes.io/role/elb"] == "1" for s in tiers["public"])
    assert all(s["inputs"]["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in tiers["private"])


def test_nat_gateway_per_zone_and_private_routes_use_their_own_zone() -> None:
    resources = network(NatStrategy.ONE_PER_AZ)
    nats = of_type(resources, "aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    routes = [r for r in of_type(resources, "aws:ec2/route:Route") if "natGatewayId" in r["inputs"]]
    assert sorted(r["inputs"]["natGatewayId"] for r in routes) == sorted(n["id"] for n in nats)


def test_single_nat_gateway_serves_every_private_route() -> None:
    resources = network(NatStrategy.SINGLE)
    nats = of_type(resources, "aws:ec2/natGateway:NatGateway")
    assert len(nats) == 1
    routes = [r for r in of_type(resources, "aws:ec2/route:Route") if "natGatewayId" in r["inputs"]]
    assert len(routes) == 3 and {r["inputs"]["natGatewayId"] for r in routes} == {nats[0]["id"]}


def test_data_subnets_have_no_route_out() -> None:
    resources = network()
    data_rt = one(resources, "aws:ec2/routeTable:RouteTable", "network-data-rt")
    routes_in_data_rt = [
        r for r in of_type(resources, "aws:ec2/route:Route") if r["inputs"]["routeTableId"] == data_rt["id"]
    ]
    assert routes_in_data_rt == []
    data_subnets = {
        s["id"] for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "data"
    }
    assocs = [
        a
        for a in of_type(resources, "aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a["inputs"]["subnetId"] in data_subnets
    ]
    assert len(assocs) == 3 and {a["inputs"]["routeTableId"] for a in assocs} == {data_rt["id"]}


def test_default_security_group_has_no_rules() -> None:
    sg = one(network(), "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg["inputs"]["ingress"] == [] and sg["inputs"]["egress"] == []


def test_flow_logs_go_to_a_kms_encrypted_log_group() -> None:
    resources = network()
    flow = one(resources, "aws:ec2/flowLog:FlowLog")
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup")
    key = one(resources, "aws:kms/key:Key")
    assert flow["inputs"]["logDestination"] == group["outputs"]["arn"]
    assert flow["inputs"]["trafficType"] == "ALL"
    assert group["inputs"]["kmsKeyId"] == key["outputs"]["arn"]
    assert key["inputs"]["enableKeyRotation"] is True
    statements = policy(key, "policy")["Statement"]
    logs = [s for s in statements if s.get("Principal", {}).get("Service", "").startswith("logs.")]
    assert logs and "kms:EncryptionContext:aws:logs:arn" in logs[0]["Condition"]["ArnLike"]


def test_gateway_and_interface_endpoints() -> None:
    resources = network()
    endpoints = of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
    services = {e["inputs"]["serviceName"]: e for e in endpoints}
    assert services["com.amazonaws.us-east-1.s3"]["inputs"]["vpcEndpointType"] == "Gateway"
    for name in ("ecr.api", "ecr.dkr", "sts"):
        endpoint = services[f"com.amazonaws.us-east-1.{name}"]
        assert endpoint["inputs"]["vpcEndpointType"] == "Interface"
        assert endpoint["inputs"]["privateDnsEnabled"] is True
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup")
    (rule,) = sg["inputs"]["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (443, 443, ["10.30.0.0/16"])


def test_subnets_depend_on_the_vpc() -> None:
    resources = network()
    vpc = one(resources, "aws:ec2/vpc:Vpc")
    for subnet in of_type(resources, "aws:ec2/subnet:Subnet"):
        assert vpc["urn"] in subnet["dependencies"]
        assert subnet["parent"].endswith("platform:network:Network::network")


def test_the_vpc_and_subnets_follow_the_layout_derived_from_the_spec() -> None:
    published: dict[str, Any] = {}

    def program() -> None:
        published["layout"] = Network("network", network_args()).layout

    resources = build(program)
    assert published["layout"] == layout_of(SPEC) == subnet_layout("10.30.0.0/16", 3)
    assert one(resources, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"] == "10.30.0.0/16"
    subnets = of_type(resources, "aws:ec2/subnet:Subnet")
    for tier in ("public", "private", "data"):
        blocks = [s["inputs"]["cidrBlock"] for s in subnets if s["inputs"]["tags"]["Tier"] == tier]
        assert sorted(blocks) == sorted(getattr(published["layout"], tier)), tier


def test_explicit_subnet_blocks_in_the_spec_are_used_as_given() -> None:
    spec = NetworkConfig.model_validate(
        {
            "cidr": "10.30.0.0/16",
            "availabilityZones": 2,
            "publicSubnetCidrs": ["10.30.0.0/24", "10.30.1.0/24"],
            "privateSubnetCidrs": ["10.30.64.0/18", "10.30.128.0/18"],
            "dataSubnetCidrs": ["10.30.2.0/24", "10.30.3.0/24"],
        }
    )
    resources = build(lambda: Network("network", network_args(spec, ZONES[:2])))
    subnets = of_type(resources, "aws:ec2/subnet:Subnet")
    by_tier = {
        t: sorted(s["inputs"]["cidrBlock"] for s in subnets if s["inputs"]["tags"]["Tier"] == t)
        for t in ("public", "private", "data")
    }
    assert by_tier == {
        "public": ["10.30.0.0/24", "10.30.1.0/24"],
        "private": ["10.30.128.0/18", "10.30.64.0/18"],
        "data": ["10.30.2.0/24", "10.30.3.0/24"],
    }


def test_the_zones_given_must_match_the_specs_zone_count() -> None:
    with pytest.raises(ValueError, match="2 zones given for 3 availability zones"):
        network_args(SPEC, ZONES[:2])


def test_flow_log_retention_and_traffic_type_come_from_the_spec() -> None:
    spec = SPEC.model_copy(update={"flow_logs": FlowLogsConfig(retention_days=30, traffic_type="REJECT")})
    resources = build(lambda: Network("network", network_args(spec)))
    assert one(resources, "aws:cloudwatch/logGroup:LogGroup")["inputs"]["retentionInDays"] == 30
    assert one(resources, "aws:ec2/flowLog:FlowLog")["inputs"]["trafficType"] == "REJECT"


def test_one_interface_endpoint_per_listed_service_in_the_private_subnets() -> None:
    resources = network()
    interfaces = [
        e
        for e in of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if e["inputs"]["vpcEndpointType"] == "Interface"
    ]
    assert sorted(e["inputs"]["serviceName"] for e in interfaces) == sorted(
        f"com.amazonaws.us-east-1.{s}" for s in DEFAULT_INTERFACE_ENDPOINTS
    )
    private = sorted(
        s["id"] for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "private"
    )
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup")
    for endpoint in interfaces:
        assert sorted(endpoint["inputs"]["subnetIds"]) == private
        assert endpoint["inputs"]["securityGroupIds"] == [sg["id"]]
    fewer = build(lambda: Network("network", network_args(SPEC.model_copy(update={"interface_endpoints": ("sts",)}))))
    assert sorted(e["inputs"]["serviceName"] for e in of_type(fewer, "aws:ec2/vpcEndpoint:VpcEndpoint")) == [
        "com.amazonaws.us-east-1.s3",
        "com.amazonaws.us-east-1.sts",
    ]


@pytest.mark.parametrize("protect", [True, False])
def test_the_flow_logs_key_is_protected_by_the_protection_config(protect: bool) -> None:
    resources = network(protection=ProtectionConfig(protect=protect, deletion_protection=protect))
    assert one(resources, "aws:kms/key:Key").get("protect", False) is protect


def test_interface_endpoints_in_fewer_zones_use_the_first_private_subnets() -> None:
    resources = build(lambda: Network("network", network_args(SPEC.model_copy(update={"endpoint_zones": 1}))))
    private = {
        s["inputs"]["availabilityZone"]: s["id"]
        for s in of_type(resources, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["Tier"] == "private"
    }
    interfaces = [
        e
        for e in of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if e["inputs"]["vpcEndpointType"] == "Interface"
    ]
    assert len(interfaces) == len(DEFAULT_INTERFACE_ENDPOINTS)
    assert all(e["inputs"]["subnetIds"] == [private["us-east-1a"]] for e in interfaces)
    # The gateway endpoint still serves every private route table (one per zone here) and the data tier.
    s3 = next(
        e for e in of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint") if e["inputs"]["serviceName"].endswith(".s3")
    )
    assert len(s3["inputs"]["routeTableIds"]) == 4
