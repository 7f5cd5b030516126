"""A NAT instance: one small Graviton EC2 instance that masquerades the private subnets' traffic to the
internet, in place of a NAT gateway (``platform:network.natGateways: instance``; dev's choice, never prod's).

- a network interface of its own in a public subnet, with the source/destination check off and an
  Elastic IP: the private route tables point at the interface, so a replaced instance keeps the
  routes and the address;
- a security group admitting only HTTPS from the private subnets (the one port the platform's
  NetworkPolicies open to the internet) and letting only HTTPS out: the data subnets have no route to it;
- Amazon Linux 2023 for arm64, taken from AWS's public SSM parameter when the instance is launched
  (``resolve:ssm:`` in the launch template, so a newer image never replaces a running instance);
  IMDSv2 only, a root volume encrypted with a key of its own, no SSH key and no instance profile
  (nothing on it to administer: a broken instance is replaced, not repaired);
- at boot, IPv4 forwarding on and an nftables ruleset that masquerades the private subnets' traffic on
  the primary interface and forwards nothing else; EC2's simplified automatic recovery (the default for
  these types) restarts it on a failed host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.parts import depends_on_of, kms_key
from infra import iam
from infra.aws_context import AwsContext
from infra.config.network import NatInstanceConfig

# AWS's public parameter with the latest Amazon Linux 2023 image for arm64.
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
# What leaves through the instance: HTTPS (AWS APIs, image registries, ACME, alert receivers), the one port
# the platform's NetworkPolicies open to the internet, and what the nodes and the instance itself use.
PORTS = (443,)


def user_data(source_cidrs: Sequence[str]) -> str:
    """The boot script: forwarding on, and the private subnets' traffic masqueraded on the way out."""
    sources = ", ".join(source_cidrs)
    return f"""#!/bin/bash
# NAT instance: masquerade {sources} on the primary interface; forward only their HTTPS.
set -euo pipefail
cat > /etc/sysctl.d/90-nat.conf <<'EOF'
net.ipv4.ip_forward = 1
net.ipv4.conf.all.send_redirects = 0
EOF
sysctl --system
dnf install -y nftables
iface=$(ip -4 route show default | awk '{{print $5; exit}}')
cat > /etc/sysconfig/nftables.conf <<EOF
table ip nat {{
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$iface" ip saddr {{ {sources} }} masquerade
  }}
}}
table ip filter {{
  chain forward {{
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "$iface" oifname "$iface" ip saddr {{ {sources} }} tcp dport {{ {", ".join(str(p) for p in PORTS)} }} accept
  }}
}}
EOF
systemctl enable nftables
systemctl restart nftables
"""


@dataclass(frozen=True)
class NatInstanceArgs:
    spec: NatInstanceConfig
    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]  # a public subnet
    source_cidrs: Sequence[str]  # the private subnets whose traffic it carries
    name_prefix: str  # for Name tags
    aws: AwsContext

    def __post_init__(self) -> None:
        if not self.source_cidrs:
            raise ValueError("a NAT instance needs the private subnets' CIDR blocks")


class NatInstance(pulumi.ComponentResource):
    network_interface_id: pulumi.Output[str]
    public_ip: pulumi.Output[str]
    instance_id: pulumi.Output[str]

    def __init__(self, name: str, args: NatInstanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:network:NatInstance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tag = f"{args.name_prefix}-nat"
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="NAT instance: HTTPS from the private subnets, out to the internet",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_blocks=list(args.source_cidrs),
                    description=f"TCP {port} from the private subnets, to be masqueraded",
                )
                for port in PORTS
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_blocks=["0.0.0.0/0"],
                    description=f"TCP {port} to the internet",
                )
                for port in PORTS
            ],
            tags={"Name": tag},
            opts=child,
        )
        interface = aws.ec2.NetworkInterface(
            f"{name}-eni",
            subnet_id=args.subnet_id,
            security_groups=[group.id],
            source_dest_check=False,
            description=f"NAT instance of {args.name_prefix}",
            tags={"Name": tag},
            opts=child,
        )
        # What it was told to wait for (the public subnet's route to the internet gateway): the address
        # (an Elastic IP needs the gateway) and the instance (its boot script installs packages over it).
        online = pulumi.ResourceOptions(parent=self, depends_on=depends_on_of(opts))
        address = aws.ec2.Eip(
            f"{name}-eip", domain="vpc", network_interface=interface.id, tags={"Name": tag}, opts=online
        )
        volume_key = kms_key(
            f"{name}-volume",
            f"Root volume of the NAT instance of {args.name_prefix}",
            iam.key_policy(args.aws),
            child,
        )
        # The template carries what only a template can: the image, resolved from SSM at each launch.
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"NAT instance of {args.name_prefix}",
            image_id=f"resolve:ssm:{AMI_PARAMETER}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags={"Name": tag})
                for kind in ("instance", "volume")
            ],
            opts=child,
        )
        instance = aws.ec2.Instance(
            f"{name}-instance",
            instance_type=args.spec.instance_type,
            launch_template=aws.ec2.InstanceLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            # The interface outlives the instance: routes and address stay when the instance is replaced.
            primary_network_interface=aws.ec2.InstancePrimaryNetworkInterfaceArgs(
                network_interface_id=interface.id, delete_on_termination=False
            ),
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                volume_size=args.spec.root_volume_gb,
                volume_type="gp3",
                encrypted=True,
                kms_key_id=volume_key.arn,
                delete_on_termination=True,
            ),
            user_data=user_data(args.source_cidrs),
            user_data_replace_on_change=True,  # the script runs at first boot only: a new one needs a new instance
            ebs_optimized=True,
            tags={"Name": tag},
            opts=pulumi.ResourceOptions.merge(online, pulumi.ResourceOptions(depends_on=[address])),
        )
        self.network_interface_id = interface.id
        self.public_ip = address.public_ip
        self.instance_id = instance.id
        self.register_outputs(
            {
                "network_interface_id": self.network_interface_id,
                "public_ip": self.public_ip,
                "instance_id": self.instance_id,
            }
        )
