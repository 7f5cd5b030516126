"""The datastores' clients' own security group, given to their pods by EKS security groups for pods.

Without it every pod shares the cluster security group, so a datastore that admits that group admits
every pod of the cluster. With it (``platform:cluster.podSecurityGroups``), the VPC CNI gives the pods a
``SecurityGroupPolicy`` selects a branch network interface carrying only this group, and the datastores
admit only this group:

- ingress: from the cluster security group (the gateway's proxy, Prometheus, the kubelet's probes) on
  the clients' own ports only;
- egress: cluster DNS (CoreDNS, in the cluster security group) on 53; the data subnets on the
  datastores' ports; the AWS APIs on 443 only through the interface endpoints' security group.

NetworkPolicies still apply on top (the CNI's ``standard`` enforcing mode): the group decides what the
VPC lets through, the policies which of the pods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.parts import depends_on_of

SECURITY_GROUP_POLICY_API = "vpcresources.k8s.aws/v1beta1"  # served by EKS's VPC resource controller


@dataclass(frozen=True)
class DatastoreClientsArgs:
    vpc_id: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    endpoint_security_group_id: pulumi.Input[str]
    datastore_cidrs: Sequence[str]  # the data subnets
    datastore_ports: Sequence[int]
    client_ports: Sequence[int]  # what the clients listen on (service and metrics ports)
    namespace: pulumi.Input[str]
    pod_label: str  # the label whose value names a client
    clients: Sequence[str]  # the values of ``pod_label`` of the clients' pods
    kubernetes_provider: k8s.Provider

    def __post_init__(self) -> None:
        if not self.clients:
            raise ValueError("security groups for pods need at least one client to select")


class DatastoreClients(pulumi.ComponentResource):
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: DatastoreClientsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:pod_security_groups:DatastoreClients", name, None, opts)
        after = depends_on_of(opts)
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            name,
            vpc_id=args.vpc_id,
            description="Pods of the datastores' clients (security groups for pods)",
            opts=child,
        )

        def rule(
            suffix: str,
            inbound: bool,
            protocol: str,
            port: int,
            description: str,
            group: pulumi.Input[str] | None = None,
            cidr: str | None = None,
        ) -> None:
            kind = aws.vpc.SecurityGroupIngressRule if inbound else aws.vpc.SecurityGroupEgressRule
            kind(
                f"{name}-{suffix}",
                security_group_id=group_id,
                ip_protocol=protocol,
                from_port=port,
                to_port=port,
                description=description,
                referenced_security_group_id=group,
                cidr_ipv4=cidr,
                opts=child,
            )

        group_id = group.id
        cluster = args.cluster_security_group_id
        for port in sorted(set(args.client_ports)):
            rule(
                f"in-{port}", True, "tcp", port, "from the cluster's pods and nodes (gateway, scrapes, probes)", cluster
            )
        for protocol in ("udp", "tcp"):
            rule(f"dns-{protocol}", False, protocol, 53, "cluster DNS", cluster)
        for port in sorted(set(args.datastore_ports)):
            for i, cidr in enumerate(args.datastore_cidrs):
                rule(f"data-{port}-{i}", False, "tcp", port, "the datastores in the data subnets", cidr=cidr)
        rule(
            "aws-apis",
            False,
            "tcp",
            443,
            "AWS APIs through the interface endpoints only",
            args.endpoint_security_group_id,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-policy",
            api_version=SECURITY_GROUP_POLICY_API,
            kind="SecurityGroupPolicy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="datastore-clients", namespace=args.namespace),
            spec={
                "podSelector": {
                    "matchExpressions": [{"key": args.pod_label, "operator": "In", "values": sorted(args.clients)}]
                },
                "securityGroups": {"groupIds": [group.id]},
            },
            # After what the caller names (the VPC CNI add-on that serves it, the namespace).
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=after or None),
        )
        self.security_group_id = group.id
        self.register_outputs({"security_group_id": self.security_group_id})
