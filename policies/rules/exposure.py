"""Nothing reachable that should not be: private datastores, least-privilege security groups, isolated
data subnets, a restricted Kubernetes API endpoint, IMDSv2 with one hop (the system's requirements: a
VPC with private subnets, security groups with least privilege).

Exposure is measured, not matched: the public addresses of the union of a security group's CIDR
blocks, IPv4 and IPv6, across its inline rules and every rule resource attached to it
(``0.0.0.0/1`` + ``128.0.0.0/1`` is the internet). The one exception, TCP 80/443 from the world, is
the edge's own load balancer group: a security group that only internet-facing load balancers use,
read from the plan's dependencies, never from a tag anyone can add."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from pulumi_policy import PolicyConfigSchema, PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import Props, config, get, is_false, is_true, listify, resource_rule, stack_rule

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RULE_TYPES = (SG_RULE, VPC_INGRESS_RULE, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
# More public addresses than this (a /16 of IPv4, a /32 of IPv6) is treated as the internet.
WORLD_LIKE_V4 = 2**16
WORLD_LIKE_V6 = 2**96
_NOT_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
              "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
              "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4")
)  # fmt: skip
_GLOBAL_V6 = ipaddress.IPv6Network("2000::/3")


def public_addresses(cidrs: Iterable[Any]) -> tuple[int, int]:
    """(public IPv4, global IPv6) addresses in the union of ``cidrs``; text that is no CIDR counts 0."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(str(cidr).strip(), strict=False)
        except ValueError:
            continue
        (v4 if isinstance(network, ipaddress.IPv4Network) else v6).append(network)  # type: ignore[arg-type]
    total_v4 = 0
    for block in ipaddress.collapse_addresses(v4):
        private = sum((block if block.subnet_of(n) else n).num_addresses for n in _NOT_PUBLIC_V4 if block.overlaps(n))
        total_v4 += block.num_addresses - private
    total_v6 = sum(
        (block if block.subnet_of(_GLOBAL_V6) else _GLOBAL_V6).num_addresses
        for block in ipaddress.collapse_addresses(v6)
        if block.overlaps(_GLOBAL_V6)
    )
    return total_v4, total_v6


def world_like(cidrs: Iterable[Any]) -> bool:
    v4, v6 = public_addresses(cidrs)
    return v4 > WORLD_LIKE_V4 or v6 > WORLD_LIKE_V6


def _public_datastore(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if is_true(get(props, "publiclyAccessible")):
        yield "publicly accessible; datastores live in the isolated data subnets only"


class _Permission:
    """One ingress permission: who holds it, the group it opens, protocol, ports, CIDR sources."""

    def __init__(self, holder: PolicyResource, group: str, rule: Props, cidrs: list[Any]) -> None:
        self.holder, self.group, self.cidrs = holder, group, cidrs
        protocol = str(get(rule, "protocol", default=get(rule, "ipProtocol", default="-1"))).strip().lower()
        self.protocol = {"6": "tcp", "17": "udp", "all": "-1"}.get(protocol, protocol)
        self.low = int(get(rule, "fromPort", default=0))
        self.high = int(get(rule, "toPort", default=65535))
        if self.protocol == "-1":
            self.low, self.high = 0, 65535


def _ingress(args: StackValidationArgs) -> Iterator[_Permission]:
    for resource in args.resources:
        kind, props = resource.resource_type, resource.props
        if kind in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
            for rule in listify(get(props, "ingress")):
                cidrs = listify(get(rule, "cidrBlocks")) + listify(get(rule, "ipv6CidrBlocks"))
                yield _Permission(resource, resource.urn, rule, cidrs)
        elif kind in (SG_RULE, VPC_INGRESS_RULE):
            if kind == SG_RULE and str(get(props, "type", default="")).strip().lower() != "ingress":
                continue
            owners = resource.property_dependencies.get("securityGroupId", [])
            group = owners[0].urn if owners else f"id:{get(props, 'securityGroupId', default=resource.urn)}"
            cidrs = [*listify(get(props, "cidrBlocks")), *listify(get(props, "ipv6CidrBlocks")),
                     get(props, "cidrIpv4"), get(props, "cidrIpv6")]  # fmt: skip
            yield _Permission(resource, group, props, [c for c in cidrs if c is not None])


def _edge_groups(args: StackValidationArgs) -> set[str]:
    """Security groups that only internet-facing load balancers use (rules of and towards them aside)."""
    users: dict[str, set[str]] = defaultdict(set)
    for resource in args.resources:
        if resource.resource_type in (*RULE_TYPES, SECURITY_GROUP):
            continue
        for dependencies in resource.property_dependencies.values():
            for dependency in dependencies:
                if dependency.resource_type == SECURITY_GROUP:
                    users[dependency.urn].add(resource.urn)
    public_lbs = {
        lb.urn for lb in args.resources
        if lb.resource_type in LOAD_BALANCERS and not is_true(get(lb.props, "internal"))
    }  # fmt: skip
    return {group for group, by in users.items() if by and by <= public_lbs}


def _world_ingress(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    allowed = {int(p) for p in config(args).get("allowedPublicPorts", [80, 443])}
    edge = _edge_groups(args)
    permissions = list(_ingress(args))
    by_group: dict[str, list[_Permission]] = defaultdict(list)
    for permission in permissions:
        by_group[permission.group].append(permission)
    for group, held in by_group.items():
        if not world_like(c for p in held for c in p.cidrs):
            continue
        for permission in held:
            if public_addresses(permission.cidrs) == (0, 0):
                continue  # private sources only, or another group as the source
            exempt = (
                group in edge
                and permission.protocol == "tcp"
                and permission.low == permission.high
                and permission.low in allowed
            )
            if not exempt:
                yield (
                    f"admits the internet ({', '.join(str(c) for c in permission.cidrs)}, together with the group's "
                    f"other sources) on {permission.protocol} {permission.low}-{permission.high}; only TCP "
                    f"{'/'.join(str(p) for p in sorted(allowed))} of a group used only by internet-facing load "
                    "balancers may be",
                    permission.holder.urn,
                )


def _eks_endpoint(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    vpc = get(props, "vpcConfig", default={})
    if is_false(get(vpc, "endpointPublicAccess", default=True)):
        return
    cidrs = listify(get(vpc, "publicAccessCidrs")) or ["0.0.0.0/0"]  # AWS's default when unset
    if world_like(cidrs):
        yield "the Kubernetes API endpoint is open to the internet (its CIDRs together); make it private or list admins"
    allowed = config(args).get("allowedPublicCidrs") or []
    if allowed:
        outside = [c for c in cidrs if c not in allowed]
        if outside:
            yield f"public API access from {', '.join(str(c) for c in outside)} is not in the allowed CIDRs"


def _imds(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if args.resource_type == "aws:eks/nodeGroup:NodeGroup":
        if not get(props, "launchTemplate"):
            yield "the node group uses EKS's default launch template (IMDSv1 allowed, hop limit 2); give it one"
        return
    options = get(props, "metadataOptions", default={})
    if str(get(options, "httpEndpoint", default="enabled")).strip().lower() == "disabled":
        return
    if str(get(options, "httpTokens", default="optional")).strip().lower() != "required":
        yield "instance metadata allows IMDSv1 (metadataOptions.httpTokens must be 'required')"
    hops = float(get(options, "httpPutResponseHopLimit", default=1))
    if hops > 1:
        yield f"the metadata hop limit is {hops:g}; above 1, pods reach the node's credentials"


DATA_SUBNET_HOLDERS = (
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:docdb/subnetGroup:SubnetGroup",
    "aws:mq/broker:Broker",
)
# A route to a network interface leads to an appliance or a NAT instance: the internet, as far as the
# data subnets are concerned.
INTERNET_TARGETS = ("aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway",
                    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
                    "aws:ec2/networkInterface:NetworkInterface")  # fmt: skip


def _isolated(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    data_subnets = {
        d.urn
        for holder in args.resources
        if holder.resource_type in DATA_SUBNET_HOLDERS
        for d in holder.property_dependencies.get("subnetIds", [])
    }
    tables: dict[str, str] = {}
    for association in args.resources:
        if association.resource_type != "aws:ec2/routeTableAssociation:RouteTableAssociation":
            continue
        subnets = {d.urn for d in association.property_dependencies.get("subnetId", [])}
        if subnets & data_subnets:
            for table in association.property_dependencies.get("routeTableId", []):
                tables[table.urn] = next(iter(subnets & data_subnets))
    for subnet in args.resources:
        if subnet.urn in data_subnets and is_true(get(subnet.props, "mapPublicIpOnLaunch")):
            yield "a data subnet gives instances public addresses (mapPublicIpOnLaunch)", subnet.urn
    for resource in args.resources:
        if resource.resource_type == "aws:ec2/route:Route":
            on = [d.urn for d in resource.property_dependencies.get("routeTableId", []) if d.urn in tables]
            routes = [resource.props] if on else []
        elif resource.resource_type == "aws:ec2/routeTable:RouteTable" and resource.urn in tables:
            routes = listify(get(resource.props, "routes"))
        else:
            continue
        targets = {d.resource_type for deps in resource.property_dependencies.values() for d in deps}
        for route in routes:
            gateway = " ".join(
                str(get(route, k, default=""))
                for k in ("gatewayId", "natGatewayId", "egressOnlyGatewayId", "networkInterfaceId")
            )
            if targets & set(INTERNET_TARGETS) or any(p in gateway for p in ("igw-", "nat-", "eigw-", "eni-")):
                yield (
                    "a route table of the data subnets routes to the internet; data subnets are isolated",
                    resource.urn,
                )


DATASTORES_PRIVATE = resource_rule(
    "datastores-not-public",
    "Databases and brokers are never publicly accessible.",
    Severity.CRITICAL,
    "Set publicly_accessible=False and place the resource in the data subnets' subnet group.",
    ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance", "aws:mq/broker:Broker",
     "aws:docdb/clusterInstance:ClusterInstance", "aws:redshift/cluster:Cluster"),
    _public_datastore,
)  # fmt: skip

NO_WORLD_INGRESS = stack_rule(
    "no-world-ingress",
    "No security group admits the internet: the public addresses of the union of a group's CIDR blocks "
    "(IPv4 and IPv6, inline and rule resources) stay under a /16 (IPv4) and a /32 (IPv6), except TCP 80/443 "
    "on a group only internet-facing load balancers use.",
    Severity.CRITICAL,
    "Admit the source security group (or a narrow CIDR) instead of the internet; open only 80/443, on the "
    "load balancer's own group.",
    _world_ingress,
    PolicyConfigSchema(
        properties={
            "allowedPublicPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 65535},
                "maxItems": 16,
                "default": [80, 443],
            },
        }
    ),
)

EKS_ENDPOINT = resource_rule(
    "eks-endpoint-restricted",
    "The Kubernetes API endpoint is private, or public only for listed CIDRs that together are not the internet.",
    Severity.HIGH,
    "Set vpc_config.endpoint_public_access=False, or public_access_cidrs to your admin networks.",
    ("aws:eks/cluster:Cluster",),
    _eks_endpoint,
    PolicyConfigSchema(
        properties={
            "allowedPublicCidrs": {
                "type": "array",
                "items": {"type": "string", "pattern": r"^[0-9a-fA-F.:]+/[0-9]{1,3}$"},
                "default": [],
            }
        }
    ),
)

IMDSV2 = resource_rule(
    "imdsv2-required",
    "Instances use IMDSv2 only (session tokens) with a hop limit of 1, closing the SSRF path to node credentials; "
    "node groups use a launch template that says so.",
    Severity.HIGH,
    "Set metadata_options http_tokens='required' and http_put_response_hop_limit=1 in the launch template.",
    ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance", "aws:eks/nodeGroup:NodeGroup"),
    _imds,
)

DATA_SUBNETS_ISOLATED = stack_rule(
    "data-subnets-isolated",
    "The subnets the datastores live in (their subnet groups') have no route to an internet or NAT gateway "
    "or to a network interface (a NAT instance, an appliance) and give no public addresses.",
    Severity.CRITICAL,
    "Keep the data route table without a default route (components/network.py's data tier).",
    _isolated,
)

POLICIES = (DATASTORES_PRIVATE, NO_WORLD_INGRESS, EKS_ENDPOINT, IMDSV2, DATA_SUBNETS_ISOLATED)
