"""Nothing reachable that should not be: private datastores, least-privilege security groups,
a restricted Kubernetes API endpoint, IMDSv2, no public buckets (the system's requirements: a VPC
with private subnets, security groups with least privilege)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity

from policies.rules._base import Props, config, get, listify, resource_rule

WORLD = ("0.0.0.0/0", "::/0")
# The public load balancer's security group (and its ingress rules) carry this tag; nothing else may
# admit the internet.
PUBLIC_TAG = "Exposure=internet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _public_datastore(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if get(props, "publiclyAccessible") is True:
        yield "publicly accessible; datastores live in the isolated data subnets only"


def _is_world(cidr: Any) -> bool:
    try:
        return ipaddress.ip_network(str(cidr)).prefixlen == 0
    except ValueError:
        return False


def _world_rules(args: ResourceValidationArgs, props: Props) -> Iterable[tuple[str, int, int, list[str]]]:
    """(protocol, from, to, world cidrs) of each ingress permission of a security-group resource."""
    if args.resource_type == SECURITY_GROUP:
        rules = listify(get(props, "ingress"))
    elif args.resource_type == SG_RULE:
        rules = [props] if get(props, "type") == "ingress" else []
    else:
        rules = [{**props, "cidrBlocks": [get(props, "cidrIpv4")], "ipv6CidrBlocks": [get(props, "cidrIpv6")]}]
    for rule in rules:
        world = [c for c in listify(get(rule, "cidrBlocks")) + listify(get(rule, "ipv6CidrBlocks")) if _is_world(c)]
        if world:
            protocol = str(get(rule, "protocol", default=get(rule, "ipProtocol", default="-1")))
            low = int(get(rule, "fromPort", default=0))
            high = int(get(rule, "toPort", default=65535))
            yield protocol, low, high, world


def _world_ingress(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    settings = config(args)
    key, _, value = str(settings.get("publicTag", PUBLIC_TAG)).partition("=")
    public = get(props, "tags", key) == value and args.resource_type != SG_RULE
    allowed = {int(p) for p in settings.get("allowedPublicPorts", [80, 443])} if public else set()
    for protocol, low, high, world in _world_rules(args, props):
        if protocol in ("-1", "all") or low != high or low not in allowed or protocol not in ("tcp", "6"):
            yield (
                f"ingress from {', '.join(world)} on {protocol} {low}-{high}; only tcp 80/443 of a security "
                f"group tagged {key}={value} (the public load balancer's) may be open to the internet"
            )


def _eks_endpoint(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    vpc = get(props, "vpcConfig", default={})
    if get(vpc, "endpointPublicAccess", default=True) is False:
        return
    cidrs = listify(get(vpc, "publicAccessCidrs")) or ["0.0.0.0/0"]  # AWS's default when unset
    if any(_is_world(c) for c in cidrs):
        yield "the Kubernetes API endpoint is open to the internet; make it private or list admin CIDRs"
    allowed = config(args).get("allowedPublicCidrs") or []
    if allowed:
        outside = [c for c in cidrs if c not in allowed]
        if outside:
            yield f"public API access from {', '.join(outside)} is not in the allowed CIDRs"


def _imdsv2(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if get(props, "metadataOptions", "httpTokens", default="optional") != "required":
        yield "instance metadata allows IMDSv1 (metadataOptions.httpTokens must be 'required')"


def _public_bucket(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if args.resource_type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        off = [f for f in flags if get(props, f) is not True]
        if off:
            yield f"public access is not fully blocked ({', '.join(off)} not true)"
    elif str(get(props, "acl", default="private")).startswith("public"):
        yield f"the bucket ACL is {get(props, 'acl')}"


DATASTORES_PRIVATE = resource_rule(
    "datastores-not-public",
    "Databases and brokers are never publicly accessible.",
    Severity.CRITICAL,
    "Set publicly_accessible=False and place the resource in the data subnets' subnet group.",
    ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance", "aws:mq/broker:Broker",
     "aws:docdb/clusterInstance:ClusterInstance"),
    _public_datastore,
)  # fmt: skip

NO_WORLD_INGRESS = resource_rule(
    "no-world-ingress",
    "No security group admits the internet (0.0.0.0/0, ::/0), except TCP 80/443 on the public load balancer's "
    f"security group (tagged {PUBLIC_TAG}).",
    Severity.CRITICAL,
    "Admit the source security group (or a narrow CIDR) instead of 0.0.0.0/0; open only 80/443, on the load balancer.",
    (SECURITY_GROUP, SG_RULE, VPC_INGRESS_RULE),
    _world_ingress,
    PolicyConfigSchema(
        properties={
            "allowedPublicPorts": {"type": "array", "items": {"type": "integer"}, "default": [80, 443]},
            "publicTag": {"type": "string", "default": PUBLIC_TAG},
        }
    ),
)

EKS_ENDPOINT = resource_rule(
    "eks-endpoint-restricted",
    "The Kubernetes API endpoint is private, or public only for listed CIDRs.",
    Severity.HIGH,
    "Set vpc_config.endpoint_public_access=False, or public_access_cidrs to your admin networks.",
    ("aws:eks/cluster:Cluster",),
    _eks_endpoint,
    PolicyConfigSchema(
        properties={"allowedPublicCidrs": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
)

IMDSV2 = resource_rule(
    "imdsv2-required",
    "Instances use IMDSv2 only (session tokens), closing the SSRF path to node credentials.",
    Severity.HIGH,
    "Set metadata_options.http_tokens='required' in the launch template.",
    ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"),
    _imdsv2,
)

NO_PUBLIC_BUCKETS = resource_rule(
    "s3-no-public-access",
    "S3 buckets block every kind of public access and carry no public ACL.",
    Severity.CRITICAL,
    "Add a BucketPublicAccessBlock with all four flags true; remove public ACLs.",
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketAcl:BucketAcl"),
    _public_bucket,
)

POLICIES = (DATASTORES_PRIVATE, NO_WORLD_INGRESS, EKS_ENDPOINT, IMDSV2, NO_PUBLIC_BUCKETS)
