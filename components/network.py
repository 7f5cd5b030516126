"""The VPC: public, private and isolated data subnets over N availability zones.

- public subnets: load balancers and NAT gateways only (no public IPs on launch);
- private subnets: nodes and pods, out to the internet through NAT (a gateway per AZ, one in all, or
  one NAT instance: :mod:`components.nat_instance`);
- data subnets: datastores, no route to the internet at all (only the VPC and the S3 gateway endpoint);
- VPC flow logs to a KMS-encrypted CloudWatch log group;
- an S3 gateway endpoint and the interface endpoints the configuration lists, in the private subnets of
  its first `endpointZones` zones (all by default);
- the default security group adopted and left with no rules.

The CIDR layout is the pure function :func:`subnet_layout`; the component only turns it into resources.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.nat_instance import NatInstance, NatInstanceArgs
from components.parts import encrypted_log_group
from infra import iam
from infra.aws_context import AwsContext
from infra.config.network import NatStrategy, NetworkConfig
from infra.config.workloads import ProtectionConfig


@dataclass(frozen=True)
class SubnetLayout:
    public: tuple[str, ...]
    private: tuple[str, ...]
    data: tuple[str, ...]


def subnet_layout(vpc_cidr: str, zones: int) -> SubnetLayout:
    """Carve a VPC block into one public, private and data subnet per zone.

    The block is cut into 8 equal parts: parts 0-5 hold the private subnets (one each, the largest:
    the VPC CNI gives every pod a VPC address), part 6 is cut into 8 public subnets, part 7 into 8 data
    subnets. A /16 gives private /19 (8,187 usable), public and data /22 (1,019 usable).
    """
    if not 1 <= zones <= 6:
        raise ValueError(f"zones must be 1 to 6, got {zones}")
    vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    parts = list(vpc.subnets(prefixlen_diff=3))
    public = list(parts[6].subnets(prefixlen_diff=3))
    data = list(parts[7].subnets(prefixlen_diff=3))
    return SubnetLayout(
        public=tuple(str(n) for n in public[:zones]),
        private=tuple(str(n) for n in parts[:zones]),
        data=tuple(str(n) for n in data[:zones]),
    )


def layout_of(spec: NetworkConfig) -> SubnetLayout:
    """The subnets the config gives explicitly, or the ones derived from the VPC block."""
    if spec.public_subnet_cidrs is not None:
        assert spec.private_subnet_cidrs is not None and spec.data_subnet_cidrs is not None
        return SubnetLayout(spec.public_subnet_cidrs, spec.private_subnet_cidrs, spec.data_subnet_cidrs)
    return subnet_layout(spec.cidr, spec.availability_zones)


@dataclass(frozen=True)
class NetworkArgs:
    spec: NetworkConfig
    cluster_name: str  # subnets are tagged for the cluster's load balancer discovery
    availability_zones: Sequence[pulumi.Input[str]]
    aws: AwsContext
    protection: ProtectionConfig

    def __post_init__(self) -> None:
        if len(self.availability_zones) != self.spec.availability_zones:
            raise ValueError(
                f"{len(self.availability_zones)} zones given for {self.spec.availability_zones} availability zones"
            )


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr_block: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    data_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]
    endpoint_security_group_id: pulumi.Output[str]
    nat_gateway_public_ips: pulumi.Output[list[str]]
    layout: SubnetLayout

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec
        zones = list(args.availability_zones)
        layout = layout_of(spec)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=spec.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{args.cluster_name}-vpc"},
            opts=child,
        )
        # Adopting the default security group with no rules removes AWS's allow-all defaults.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[], tags={"Name": "default-unused"}, opts=child
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)

        cluster_tag = f"kubernetes.io/cluster/{args.cluster_name}"
        public = [
            aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zones[i],
                map_public_ip_on_launch=False,
                tags={
                    "Name": f"{args.cluster_name}-public-{i}",
                    "Tier": "public",
                    "kubernetes.io/role/elb": "1",
                    cluster_tag: "shared",
                },
                opts=child,
            )
            for i, cidr in enumerate(layout.public)
        ]
        private = [
            aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zones[i],
                tags={
                    "Name": f"{args.cluster_name}-private-{i}",
                    "Tier": "private",
                    "kubernetes.io/role/internal-elb": "1",
                    cluster_tag: "shared",
                },
                opts=child,
            )
            for i, cidr in enumerate(layout.private)
        ]
        data = [
            aws.ec2.Subnet(
                f"{name}-data-{i}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zones[i],
                tags={"Name": f"{args.cluster_name}-data-{i}", "Tier": "data"},
                opts=child,
            )
            for i, cidr in enumerate(layout.data)
        ]

        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, tags={"Tier": "public"}, opts=child)
        public_default = aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        public_associations = [
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )
            for i, subnet in enumerate(public)
        ]

        # A NAT instance sits in the first public subnet: its way to the internet is the gateway, the public
        # default route and that subnet's association (its boot script installs packages over them).
        internet = [igw, public_default, public_associations[0]]
        targets, public_ips = self._nat(name, args, vpc, igw, public, layout, internet)
        private_rts: list[aws.ec2.RouteTable] = []
        for i, subnet in enumerate(private):
            rt = aws.ec2.RouteTable(f"{name}-private-rt-{i}", vpc_id=vpc.id, tags={"Tier": "private"}, opts=child)
            target = targets[i % len(targets)]
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=target.id if isinstance(target, aws.ec2.NatGateway) else None,
                network_interface_id=target.network_interface_id if isinstance(target, NatInstance) else None,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child)
            private_rts.append(rt)

        # Data subnets: a route table with only the implicit local route; nothing reaches the internet.
        data_rt = aws.ec2.RouteTable(f"{name}-data-rt", vpc_id=vpc.id, tags={"Tier": "data"}, opts=child)
        for i, subnet in enumerate(data):
            aws.ec2.RouteTableAssociation(
                f"{name}-data-{i}", subnet_id=subnet.id, route_table_id=data_rt.id, opts=child
            )

        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.aws.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts] + [data_rt.id],
            opts=child,
        )
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=vpc.id,
            description="HTTPS from inside the VPC to interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[spec.cidr],
                    description="HTTPS from the VPC",
                )
            ],
            egress=[],
            opts=child,
        )
        endpoint_subnets = private[: spec.endpoint_zones or len(private)]
        for service in spec.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.aws.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in endpoint_subnets],
                security_group_ids=[endpoint_sg.id],
                opts=child,
            )

        self._flow_logs(name, args, vpc)

        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.data_subnet_ids = pulumi.Output.all(*[s.id for s in data])
        self.private_route_table_ids = pulumi.Output.all(*[rt.id for rt in private_rts])
        self.endpoint_security_group_id = endpoint_sg.id
        self.nat_gateway_public_ips = pulumi.Output.all(*public_ips)
        self.layout = layout
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr_block": self.vpc_cidr_block,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "data_subnet_ids": self.data_subnet_ids,
                "private_route_table_ids": self.private_route_table_ids,
                "endpoint_security_group_id": self.endpoint_security_group_id,
                "nat_gateway_public_ips": self.nat_gateway_public_ips,
            }
        )

    def _nat(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        public: Sequence[aws.ec2.Subnet],
        layout: SubnetLayout,
        internet: Sequence[pulumi.Resource],
    ) -> tuple[list[aws.ec2.NatGateway | NatInstance], list[pulumi.Output[str]]]:
        """The ways out of the private subnets (NAT gateways, or one NAT instance) and their addresses."""
        spec = args.spec
        if spec.nat_gateways is NatStrategy.INSTANCE:
            instance = NatInstance(
                f"{name}-nat-instance",
                NatInstanceArgs(
                    spec=spec.nat_instance,
                    vpc_id=vpc.id,
                    subnet_id=public[0].id,
                    source_cidrs=layout.private,
                    name_prefix=args.cluster_name,
                    aws=args.aws,
                ),
                # its first public subnet's route to the internet gateway (handed to its children)
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(internet)),
            )
            return [instance], [instance.public_ip]
        nat_count = len(public) if spec.nat_gateways is NatStrategy.ONE_PER_AZ else 1
        nats: list[aws.ec2.NatGateway | NatInstance] = []
        ips: list[pulumi.Output[str]] = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{i}",
                domain="vpc",
                tags={"Name": f"{args.cluster_name}-nat-{i}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            ips.append(eip.public_ip)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    connectivity_type="public",
                    tags={"Name": f"{args.cluster_name}-nat-{i}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        return nats, ips

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group_name = f"/aws/vpc/{args.cluster_name}/flow-logs"
        group = encrypted_log_group(
            f"{name}-flow-logs",
            group_name,
            f"VPC flow logs of {args.cluster_name}",
            args.aws,
            args.spec.flow_logs.retention_days,
            self,
            args.protection.protect,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=iam.service_assume_role(args.aws, "vpc-flow-logs"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=iam.document(
                group.arn.apply(
                    lambda arn: {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "Resource": [arn, f"{arn}:*"],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type=args.spec.flow_logs.traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=child,
        )
