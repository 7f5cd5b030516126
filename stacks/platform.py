"""The composition: components created in dependency order, outputs of one wired into the next."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.cluster import Cluster, ClusterArgs, NodeGroupSpec
from components.datastores.common import Placement, SecretSpec
from components.datastores.documentdb import PORT as DOCUMENTDB_PORT
from components.datastores.documentdb import DocumentDb, DocumentDbArgs
from components.datastores.external_secrets import DeliveredSecret, ExternalSecrets, ExternalSecretsArgs
from components.datastores.keys import DataKeys, DataKeysArgs
from components.datastores.postgres import PORT as POSTGRES_PORT
from components.datastores.postgres import Postgres, PostgresArgs
from components.datastores.rabbitmq import PORT as RABBITMQ_PORT
from components.datastores.rabbitmq import RabbitMq, RabbitMqArgs
from components.datastores.redis import PORT as REDIS_PORT
from components.datastores.redis import Redis, RedisArgs
from components.delivery import Delivery, DeliveryArgs
from components.gateway import KONG_NAMESPACE, Gateway, GatewayArgs, GatewayConsumer, GatewayRoute
from components.ingress import Ingress, IngressArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs, SubnetLayout, subnet_layout
from components.service import AnalysisSpec, EgressTarget, PeerPods, SecretEnv, ServiceDeployment, ServiceDeploymentArgs
from components.token_signing import ALGORITHM as TOKEN_ALGORITHM
from components.token_signing import ConsumerCredential, TokenSigning, TokenSigningArgs
from components.workload_namespace import WorkloadNamespace, WorkloadNamespaceArgs
from infra.aws_context import AwsContext
from infra.charts import PROMETHEUS_PORT, PROMETHEUS_SERVICE
from infra.config import (
    DATASTORE_ENDPOINTS,
    GATEWAY_POD_LABELS,
    MONITORING_NAMESPACE,
    PROMETHEUS_POD_LABELS,
    PlatformConfig,
)
from infra.providers import aws_provider
from infra.tags import default_tags


@dataclass
class Platform:
    """Handles on the built components, for tests and for later composition steps."""

    network: Network
    cluster: Cluster
    datastores: Datastores | None = None
    ingress: Ingress | None = None
    gateway: Gateway | None = None
    services: Services | None = None


@dataclass
class Datastores:
    """The datastores, their domain keys and the delivery of their secrets into the cluster."""

    keys: DataKeys
    postgres: Postgres
    redis: Redis
    rabbitmq: RabbitMq
    documentdb: DocumentDb
    secrets: ExternalSecrets


@dataclass
class Services:
    """The services and the add-ons that act on their objects."""

    monitoring: Monitoring
    delivery: Delivery
    namespace: WorkloadNamespace
    deployments: dict[str, ServiceDeployment]


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

    datastores = build_datastores(cfg, network, cluster, context, primary)
    monitoring = _monitoring(cfg, cluster, datastores)
    ingress, gateway = _edge(
        cfg, context, network, cluster, datastores.secrets.namespace, monitoring.prometheus_release, with_primary
    )
    services = build_services(cfg, layout, cluster, context, primary, datastores, gateway, monitoring)

    pulumi.export("environment", cfg.environment.value)
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("clusterEndpoint", cluster.endpoint)
    pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
    pulumi.export("kubeconfig", pulumi.Output.secret(cluster.kubeconfig))
    return Platform(
        network=network, cluster=cluster, datastores=datastores, ingress=ingress, gateway=gateway, services=services
    )


def _edge(
    cfg: PlatformConfig,
    context: AwsContext,
    network: Network,
    cluster: Cluster,
    service_namespace: pulumi.Input[str],
    monitoring: pulumi.Resource,
    opts: pulumi.ResourceOptions,
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
            monitoring=monitoring,
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
            service_namespace=service_namespace,
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
            monitoring=monitoring,
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


# Data domains and the datastores that keep their data under the domain's KMS key.
DATA_DOMAINS = {"users": ("postgres", "redis"), "processing": ("rabbitmq",), "analytics": ("documentdb",)}


def build_datastores(
    cfg: PlatformConfig, network: Network, cluster: Cluster, context: AwsContext, primary: aws.Provider
) -> Datastores:
    """The seed's datastores after the cluster: each in the data subnets, admitting only the cluster's
    security group (nodes and pods), with its secret delivered to ``cfg.datastores.namespace``."""
    ds = cfg.datastores
    prefix = cfg.name_prefix
    protect = cfg.protection.protect
    deletion_protection = cfg.protection.deletion_protection
    opts = pulumi.ResourceOptions(providers={"aws": primary, "random": random.Provider("random")})
    keys = DataKeys(
        "data-keys", DataKeysArgs(prefix=prefix, domains=tuple(DATA_DOMAINS), aws=context, protect=protect), opts=opts
    )
    key_of = {store: keys.key_arns[domain] for domain, stores in DATA_DOMAINS.items() for store in stores}
    placement = Placement(
        vpc_id=network.vpc_id,
        subnet_ids=network.data_subnet_ids,
        allowed_security_group_ids=[cluster.cluster_security_group_id],
    )

    def secret(store: str) -> SecretSpec:
        return SecretSpec(name=f"{prefix}/datastores/{store}", recovery_window_days=ds.secret_recovery_window_days)

    pg = ds.postgres
    postgres = Postgres(
        "postgres",
        PostgresArgs(
            identifier=f"{prefix}-postgres",
            placement=placement,
            kms_key_arn=key_of["postgres"],
            secret=secret("postgres"),
            engine_version=pg.engine_version,
            instance_class=pg.instance_class,
            allocated_storage_gib=pg.allocated_storage_gib,
            max_allocated_storage_gib=pg.max_allocated_storage_gib,
            multi_az=pg.multi_az,
            database_name=pg.database_name,
            username=pg.username,
            backup_retention_days=pg.backup_retention_days,
            backup_window=pg.backup_window,
            maintenance_window=pg.maintenance_window,
            protect=protect,
            deletion_protection=deletion_protection,
        ),
        opts=opts,
    )
    rd = ds.redis
    redis = Redis(
        "redis",
        RedisArgs(
            replication_group_id=f"{prefix}-redis",
            placement=placement,
            kms_key_arn=key_of["redis"],
            secret=secret("redis"),
            engine_version=rd.engine_version,
            node_type=rd.node_type,
            num_cache_clusters=rd.num_cache_clusters,
            automatic_failover=rd.automatic_failover,
            multi_az=rd.multi_az,
            snapshot_retention_days=rd.snapshot_retention_days,
            snapshot_window=rd.snapshot_window,
            maintenance_window=rd.maintenance_window,
            protect=protect,
        ),
        opts=opts,
    )
    mq = ds.rabbitmq
    rabbitmq = RabbitMq(
        "rabbitmq",
        RabbitMqArgs(
            broker_name=f"{prefix}-rabbitmq",
            placement=placement,
            kms_key_arn=key_of["rabbitmq"],
            secret=secret("rabbitmq"),
            engine_version=mq.engine_version,
            instance_type=mq.instance_type,
            deployment_mode=mq.deployment_mode,
            username=mq.username,
            maintenance_day=mq.maintenance_day,
            maintenance_time=mq.maintenance_time,
            protect=protect,
        ),
        opts=opts,
    )
    dd = ds.documentdb
    documentdb = DocumentDb(
        "documentdb",
        DocumentDbArgs(
            cluster_identifier=f"{prefix}-documentdb",
            placement=placement,
            kms_key_arn=key_of["documentdb"],
            secret=secret("documentdb"),
            engine_version=dd.engine_version,
            instance_class=dd.instance_class,
            instances=dd.instances,
            username=dd.username,
            backup_retention_days=dd.backup_retention_days,
            backup_window=dd.backup_window,
            maintenance_window=dd.maintenance_window,
            protect=protect,
            deletion_protection=deletion_protection,
        ),
        opts=opts,
    )
    stores: dict[str, Postgres | Redis | RabbitMq | DocumentDb] = {
        "postgres": postgres,
        "redis": redis,
        "rabbitmq": rabbitmq,
        "documentdb": documentdb,
    }
    secrets = ExternalSecrets(
        "external-secrets",
        ExternalSecretsArgs(
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            kubernetes_provider=cluster.provider,
            aws=context,
            namespace=ds.namespace,
            secrets=[
                DeliveredSecret(f"{store}-credentials", component.secret_name, component.secret_arn)
                for store, component in stores.items()
            ],
            kms_key_arns=[keys.key_arns[domain] for domain in DATA_DOMAINS],
        ),
        opts=pulumi.ResourceOptions(providers={"aws": primary}),
    )
    for store, component in stores.items():
        pulumi.export(f"{store}Host", component.host)
        pulumi.export(f"{store}Port", component.port)
        pulumi.export(f"{store}SecretName", component.secret_name)
    pulumi.export("datastoreNamespace", secrets.namespace)
    return Datastores(
        keys=keys, postgres=postgres, redis=redis, rabbitmq=rabbitmq, documentdb=documentdb, secrets=secrets
    )


# Cluster DNS (CoreDNS, the EKS add-on): the one thing every service may always reach.
CLUSTER_DNS = PeerPods(namespace="kube-system", pod_labels={"k8s-app": "kube-dns"})


def build_services(
    cfg: PlatformConfig,
    layout: SubnetLayout,
    cluster: Cluster,
    context: AwsContext,
    primary: aws.Provider,
    datastores: Datastores,
    gateway: Gateway | None,
    monitoring: Monitoring,
) -> Services:
    """The add-ons the services' objects need (Prometheus Operator and Prometheus, metrics-server, Argo
    Rollouts), the guard rails of the services' namespace (made by the datastores' External Secrets,
    which deliver the credentials there), and one ServiceDeployment per configured service."""
    provider = cluster.provider
    secrets = datastores.secrets
    delivery = Delivery(
        "delivery",
        DeliveryArgs(
            kubernetes_provider=provider,
            controller_replicas=cfg.services.rollouts_controller_replicas,
            after=[monitoring.prometheus_release],
        ),
    )
    namespace_name = cfg.datastores.namespace
    namespace = WorkloadNamespace(
        "apps",
        WorkloadNamespaceArgs(
            kubernetes_provider=provider,
            name=namespace_name,
            defaults=cfg.workloads.resources,
            create=False,  # the External Secrets component makes it (restricted) and fills it with Secrets
            after=[secrets],
        ),
    )
    # The Secret each datastore's credentials land in, from the component that delivers them.
    delivered = secrets.kubernetes_secret_names
    ports = {"postgres": POSTGRES_PORT, "redis": REDIS_PORT, "rabbitmq": RABBITMQ_PORT, "documentdb": DOCUMENTDB_PORT}
    for store, endpoint in DATASTORE_ENDPOINTS.items():
        if delivered.get(endpoint.secret) != endpoint.secret or ports[store] != endpoint.port:
            raise pulumi.RunError(
                f"platform:services: datastore {store} is expected as Secret {endpoint.secret} on port "
                f"{endpoint.port}; the datastores deliver {sorted(delivered)} and listen on {ports[store]}"
            )
    # Only Kong's proxy pods may call the services' ports; Kong balances each by least connections.
    kong = PeerPods(KONG_NAMESPACE, GATEWAY_POD_LABELS) if gateway is not None else None
    balanced = {"konghq.com/upstream-policy": gateway.upstream_policy_name} if gateway is not None else {}
    analysis = cfg.services.analysis
    prometheus = f"http://{PROMETHEUS_SERVICE}.{MONITORING_NAMESPACE}.svc.cluster.local:{PROMETHEUS_PORT}"
    signing = _token_signing(cfg, context, provider, namespace_name, primary) if gateway is not None else None
    deployments: dict[str, ServiceDeployment] = {}
    for svc_name, svc in cfg.services.enabled.items():
        env: dict[str, pulumi.Input[str]] = dict(svc.env)
        permissions: list[pulumi.Input[dict[str, Any]]] = [
            {"Effect": "Allow", "Action": list(p.actions), "Resource": list(p.resources)} for p in svc.aws_permissions
        ]
        if svc.tokens is not None:
            env["ACCESS_TOKEN_TTL"] = svc.tokens.access_token_ttl
            env["REFRESH_TOKEN_TTL"] = svc.tokens.refresh_token_ttl
            if signing is not None:  # it signs the tokens Kong verifies, with the KMS key
                env["JWT_SIGNING_KEY_ARN"] = signing.key_arn
                env["JWT_ALGORITHM"] = TOKEN_ALGORITHM
                permissions.append(signing.signer_statement)
        stores = [(store, DATASTORE_ENDPOINTS[store]) for store in svc.datastores]
        deployments[svc_name] = ServiceDeployment(
            svc_name,
            ServiceDeploymentArgs(
                name=svc_name,
                namespace=namespace_name,
                kubernetes_provider=provider,
                aws=context,
                runtime=svc.runtime,
                image_reference=svc.image.reference,
                image_repository=svc.image.repository,
                ecr_repository_name=f"{cfg.name_prefix}/{svc_name}",
                port=svc.port,
                metrics_port=svc.metrics_port,
                command=svc.command,
                args=svc.container_args,
                env=env,
                secret_env=[SecretEnv(env=e.env, secret=e.secret, key=e.key) for _, e in stores],
                resources=svc.resources or cfg.workloads.resources,
                min_replicas=svc.scaling.min_replicas,
                max_replicas=svc.scaling.max_replicas,
                cpu_utilization=svc.scaling.cpu_utilization,
                memory_utilization=svc.scaling.memory_utilization,
                termination_grace_period_seconds=svc.termination_grace_period_seconds,
                auto_promotion=cfg.services.auto_promotion,
                scale_down_delay_seconds=cfg.services.scale_down_delay_seconds,
                analysis=AnalysisSpec(
                    prometheus_address=prometheus,
                    interval_seconds=analysis.interval_seconds,
                    count=analysis.count,
                    failure_limit=analysis.failure_limit,
                    max_error_rate=analysis.max_error_rate,
                    error_metric=svc.error_metric,
                    error_selector=svc.error_selector,
                ),
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer_url=cluster.oidc_issuer_url,
                scrapers=PeerPods(MONITORING_NAMESPACE, PROMETHEUS_POD_LABELS),
                dns=CLUSTER_DNS,
                gateway=kong if svc.port is not None else None,
                service_annotations=balanced if svc.port is not None else {},
                datastore_egress=[EgressTarget(store, layout.data, e.port) for store, e in stores],
                aws_api_cidrs=[cfg.network.cidr],
                aws_permissions=permissions,
                protect=cfg.protection.protect,
                after=[*namespace.ready, secrets, delivery.release, monitoring.prometheus_release],
            ),
            opts=pulumi.ResourceOptions(providers={"aws": primary}),
        )
    pulumi.export("servicesNamespace", namespace.name)
    pulumi.export("prometheusAddress", monitoring.prometheus_address)
    pulumi.export("serviceRepositories", {n: d.repository_url for n, d in deployments.items()})
    return Services(monitoring=monitoring, delivery=delivery, namespace=namespace, deployments=deployments)


def _token_signing(
    cfg: PlatformConfig,
    context: AwsContext,
    provider: k8s.Provider,
    namespace: pulumi.Input[str],
    primary: aws.Provider,
) -> TokenSigning:
    """The KMS key the token-issuing service signs with, and every Kong consumer's JWT credential."""
    return TokenSigning(
        "token-signing",
        TokenSigningArgs(
            key_alias=f"alias/{cfg.name_prefix}-token-signing",
            namespace=namespace,
            credentials=[ConsumerCredential(c.username, c.credential_secret) for c in cfg.gateway.consumers],
            kubernetes_provider=provider,
            aws=context,
            protect=cfg.protection.protect,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": primary}),
    )


def _monitoring(cfg: PlatformConfig, cluster: Cluster, datastores: Datastores) -> Monitoring:
    """Prometheus Operator, Prometheus, Grafana and metrics-server: before the edge and the services,
    whose ServiceMonitors need the operator's CRDs."""
    mon = cfg.monitoring
    return Monitoring(
        "monitoring",
        MonitoringArgs(
            kubernetes_provider=cluster.provider,
            storage_class=cluster.storage_class_name,
            namespace=MONITORING_NAMESPACE,
            prometheus_replicas=mon.prometheus_replicas,
            retention_days=mon.retention_days,
            storage_gib=mon.storage_gib,
            metrics_server_replicas=mon.metrics_server_replicas,
            secrets_operator=[datastores.secrets],
        ),
    )
