"""The composition: components created in dependency order, outputs of one wired into the next."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cluster import Cluster, ClusterArgs, NodeGroupSpec
from components.gateway import Gateway, GatewayArgs, GatewayConsumer, GatewayRoute
from components.ingress import Ingress, IngressArgs
from components.network import Network, NetworkArgs, SubnetLayout, subnet_layout
from infra.aws_context import AwsContext
from infra.config import PlatformConfig
from infra.providers import aws_provider
from infra.tags import default_tags


@dataclass
class Platform:
    """Handles on the built components, for tests and for later composition steps."""

    network: Network
    cluster: Cluster
    ingress: Ingress | None = None
    gateway: Gateway | None = None


def build_platform(cfg: PlatformConfig, stack: str) -> Platform:
    tags = default_tags(cfg, stack)
    primary = aws_provider("aws-primary", cfg.region, tags)
    aws_provider("aws-backup", cfg.backup_region, tags)  # backups' second region (multi-region copies)
    on_primary = pulumi.InvokeOutputOptions(provider=primary)
    identity = aws.get_caller_identity_output(opts=on_primary)
    partition = aws.get_partition_output(opts=on_primary)
    context = AwsContext(
        account_id=identity.account_id,
        partition=partition.partition,
        region=cfg.region,
        dns_suffix="amazonaws.com",
    )

    net = cfg.network
    if net.zone_names is not None:
        zones: list[pulumi.Input[str]] = list(net.zone_names)
    else:
        available = aws.get_availability_zones_output(
            state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}], opts=on_primary
        )
        zones = [
            available.names.apply(functools.partial(_zone, index=i, region=cfg.region))
            for i in range(net.availability_zones)
        ]
    if net.public_subnet_cidrs is not None:
        assert net.private_subnet_cidrs is not None and net.data_subnet_cidrs is not None
        layout = SubnetLayout(net.public_subnet_cidrs, net.private_subnet_cidrs, net.data_subnet_cidrs)
    else:
        layout = subnet_layout(net.cidr, net.availability_zones)

    with_primary = pulumi.ResourceOptions(providers={"aws": primary})
    network = Network(
        "network",
        NetworkArgs(
            cidr_block=net.cidr,
            availability_zones=zones,
            nat_gateways=net.nat_gateways,
            layout=layout,
            cluster_name=cfg.name_prefix,
            interface_endpoints=net.interface_endpoints,
            flow_log_retention_days=net.flow_logs.retention_days,
            flow_log_traffic_type=net.flow_logs.traffic_type,
            aws=context,
            protect_keys=cfg.protection.protect,
        ),
        opts=with_primary,
    )

    cl = cfg.cluster
    ng = cl.node_group
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            cluster_name=cfg.name_prefix,
            kubernetes_version=cl.kubernetes_version,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            service_cidr=cl.service_cidr,
            node_group=NodeGroupSpec(
                instance_types=ng.instance_types,
                ami_type=ng.ami_type,
                capacity_type=ng.capacity_type,
                min_size=ng.min_size,
                desired_size=ng.desired_size,
                max_size=ng.max_size,
                disk_size_gib=ng.disk_size_gib,
            ),
            log_retention_days=cl.log_retention_days,
            aws=context,
            endpoint_public_access_cidrs=cl.endpoint_public_access_cidrs,
            admin_role_arns=cl.admin_role_arns,
            protect=cfg.protection.protect,
            deletion_protection=cfg.protection.deletion_protection,
        ),
        opts=with_primary,
    )

    ingress, gateway = _edge(cfg, context, network, cluster, with_primary)

    pulumi.export("environment", cfg.environment.value)
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("clusterEndpoint", cluster.endpoint)
    pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
    pulumi.export("kubeconfig", pulumi.Output.secret(cluster.kubeconfig))
    return Platform(network=network, cluster=cluster, ingress=ingress, gateway=gateway)


def _edge(
    cfg: PlatformConfig, context: AwsContext, network: Network, cluster: Cluster, opts: pulumi.ResourceOptions
) -> tuple[Ingress | None, Gateway | None]:
    """The public entry (ALB + WAF + NGINX + cert-manager) and the Kong gateway behind it, if configured."""
    edge = cfg.ingress
    if edge is None:
        return None, None
    ingress = Ingress(
        "ingress",
        IngressArgs(
            name_prefix=cfg.name_prefix,
            aws=context,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            node_security_group_id=cluster.cluster_security_group_id,
            node_autoscaling_group_name=cluster.node_autoscaling_group_name,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            kubernetes_provider=cluster.provider,
            hostnames=edge.hostnames,
            dns_zone_id=edge.dns_zone_id,
            dns_zone_name=edge.dns_zone_name,
            acme_email=edge.acme_email,
            acme_server=edge.acme_server,
            cluster_issuer_name=f"letsencrypt-{edge.acme_environment}",
            replicas=edge.replicas,
            min_available=edge.min_available,
            waf_rate_limit=edge.waf_rate_limit,
            hsts_max_age_seconds=edge.hsts_max_age_seconds,
            cert_manager_replicas=edge.cert_manager_replicas,
            waf_log_retention_days=edge.waf_log_retention_days,
            deletion_protection=cfg.protection.deletion_protection,
            protect=cfg.protection.protect,
        ),
        opts=opts,
    )
    gw = cfg.gateway
    gateway = Gateway(
        "gateway",
        GatewayArgs(
            kubernetes_provider=cluster.provider,
            hostnames=edge.hostnames,
            public_ingress_class=ingress.ingress_class_name,
            trusted_cidrs=(cfg.network.cidr,),
            service_namespace=gw.service_namespace,
            routes=[
                GatewayRoute(
                    name=r.name,
                    path=r.path,
                    service=r.service,
                    port=r.port,
                    jwt=r.jwt,
                    limit_by=r.limit_by,
                    requests_per_minute=r.requests_per_minute,
                )
                for r in gw.routes
            ],
            consumers=[
                GatewayConsumer(
                    username=c.username,
                    credential_secret=c.credential_secret,
                    requests_per_minute=c.requests_per_minute,
                )
                for c in gw.consumers
            ],
            replicas=gw.replicas,
            min_available=gw.min_available,
            access_token_ttl_seconds=gw.access_token_ttl_seconds,
            refresh_token_ttl_seconds=gw.refresh_token_ttl_seconds,
            global_requests_per_minute=gw.global_requests_per_minute,
        ),
        opts=opts,
    )
    pulumi.export("publicHostnames", list(edge.hostnames))
    pulumi.export("loadBalancerDnsName", ingress.load_balancer_dns_name)
    pulumi.export("webAclArn", ingress.web_acl_arn)
    return ingress, gateway


def _zone(names: list[str], index: int, region: str) -> str:
    if index >= len(names):
        raise pulumi.RunError(
            f"platform:network.availabilityZones: {region} has only {len(names)} zones available, "
            f"{index + 1} or more were asked for"
        )
    return names[index]
