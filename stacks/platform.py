"""The composition: each component gets its config section and the outputs of the ones before it.

Read top to bottom it is the architecture picture: providers, network, cluster and its add-ons, the
services' namespace, datastores and the delivery of their secrets, monitoring, the edge, the services.
Nothing here decides a value: values come from the config, contracts from the components' outputs.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.addons.argo_rollouts import NAMESPACE as ROLLOUTS_NAMESPACE
from components.addons.argo_rollouts import ArgoRollouts, ArgoRolloutsArgs
from components.addons.cert_manager import NAMESPACE as CERT_MANAGER_NAMESPACE
from components.addons.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.addons.eck_operator import NAMESPACE as ECK_OPERATOR_NAMESPACE
from components.addons.external_secrets import NAMESPACE as EXTERNAL_SECRETS_NAMESPACE
from components.addons.external_secrets import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.addons.istio_base import NAMESPACE as ISTIO_NAMESPACE
from components.addons.kong import NAMESPACE as KONG_NAMESPACE
from components.addons.metrics_server import MetricsServer, MetricsServerArgs
from components.addons.reloader import NAMESPACE as RELOADER_NAMESPACE
from components.alerts.component import Alerts, AlertsArgs
from components.cluster import Cluster, ClusterArgs
from components.consoles import NAMESPACE as CONSOLES_NAMESPACE
from components.contracts import DatastoreEndpoint, PeerPods
from components.datastores.common import Datastore, DatastoreLogs, Placement, SecretSpec
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
from components.datastores.rotation import CredentialRotation
from components.gateway import Gateway
from components.ingress import NGINX_NAMESPACE, Ingress
from components.mesh import AMBIENT_TRAFFIC, HBONE_PORT
from components.monitoring import NAMESPACE as MONITORING_NAMESPACE
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.pod_security_groups import DatastoreClients, DatastoreClientsArgs
from components.service import ServiceDeployment, ServiceDeploymentArgs, TokenSigner
from components.service_objects import NAME_LABEL as SERVICE_NAME_LABEL
from components.token_signing import ALGORITHM as TOKEN_ALGORITHM
from components.token_signing import TokenSigning, TokenSigningArgs
from components.workload_namespace import WorkloadNamespace, WorkloadNamespaceArgs
from infra.aws_context import AwsContext
from infra.config import PlatformConfig
from infra.providers import aws_provider
from infra.tags import default_tags
from stacks import moved
from stacks.backups import backup_tags, build_backups
from stacks.consoles import build_consoles, login_namespaces, login_secret_arns
from stacks.credentials import build_reloader, credential_pickup_seconds, refresh_interval
from stacks.dashboards import build_dashboards
from stacks.delivery import build_delivery
from stacks.edge import build_edge, build_ingress_access
from stacks.isolation import KUBE_SYSTEM, build_isolation
from stacks.logging import build_logging
from stacks.mesh import build_mesh, enrolled_namespaces, mesh_labels
from stacks.observability import build_observability, operator_crds
from stacks.restore import restore_wiring

# Data domains and the datastores that keep their data under the domain's KMS key.
DATA_DOMAINS = {"users": ("postgres", "redis"), "processing": ("rabbitmq",), "analytics": ("documentdb",)}
# The datastores' ports, which their clients' security group may reach in the data subnets.
DATASTORE_PORTS = (POSTGRES_PORT, REDIS_PORT, RABBITMQ_PORT, DOCUMENTDB_PORT)
# Cluster DNS (CoreDNS, the EKS add-on): the one thing every service may always reach.
CLUSTER_DNS = PeerPods(namespace="kube-system", pod_labels={"k8s-app": "kube-dns"})


@dataclass
class Platform:
    """Handles on the built components, for tests."""

    network: Network
    cluster: Cluster
    namespace: WorkloadNamespace
    datastores: Datastores
    monitoring: Monitoring
    ingress: Ingress | None
    gateway: Gateway | None
    services: dict[str, ServiceDeployment]


@dataclass
class Datastores:
    keys: DataKeys
    stores: dict[str, Datastore]
    operator: ExternalSecretsOperator
    secrets: ExternalSecrets

    def endpoint(self, store: str) -> DatastoreEndpoint:
        """Where a service finds ``store``: its port, and the Secret its credentials were delivered to."""
        return DatastoreEndpoint(
            port=self.stores[store].port, secret=self.secrets.kubernetes_secret_names[f"{store}-credentials"]
        )


def build_platform(cfg: PlatformConfig, stack: str) -> Platform:
    tags = default_tags(cfg, stack)
    primary = aws_provider("aws-primary", cfg.region, tags)
    replica = aws_provider("aws-backup", cfg.backup_region, tags)  # the backup region (cross-region copies)
    on_primary = pulumi.InvokeOutputOptions(provider=primary)
    identity = aws.get_caller_identity_output(opts=on_primary)
    context = AwsContext(
        account_id=identity.account_id,
        partition=aws.get_partition_output(opts=on_primary).partition,
        region=cfg.region,
        dns_suffix="amazonaws.com",
        key_administrators=cfg.cluster.admin_role_arns,
    )
    with_primary = pulumi.ResourceOptions(providers={"aws": primary})
    protection = cfg.protection

    network = Network(
        "network",
        NetworkArgs(cfg.network, cfg.name_prefix, _zones(cfg, on_primary), context, protection),
        opts=with_primary,
    )
    cluster = Cluster(
        "cluster",
        ClusterArgs(cfg.cluster, cfg.name_prefix, network.vpc_id, network.private_subnet_ids, context, protection),
        opts=with_primary,
    )
    k8s_provider = cluster.provider
    crds = operator_crds(k8s_provider)  # before anything that renders a ServiceMonitor or a rule
    ClusterAutoscaler(
        "cluster-autoscaler",
        ClusterAutoscalerArgs(
            kubernetes_provider=k8s_provider,
            identity=cluster.identity,
            cluster_name=cfg.name_prefix,
            region=cfg.region,
            kubernetes_version=cfg.cluster.kubernetes_version,
            aws=context,
            moved=moved.cluster_autoscaler(),
        ),
        # Its ServiceMonitor's CRD.
        opts=pulumi.ResourceOptions.merge(with_primary, pulumi.ResourceOptions(depends_on=[crds.release])),
    )
    apps = WorkloadNamespace(
        "apps",
        WorkloadNamespaceArgs(
            k8s_provider,
            cfg.datastores.namespace,
            cfg.workloads.resources,
            moved=moved.services_namespace(),
            labels=mesh_labels(cfg, cfg.datastores.namespace),
        ),
    )
    datastores = build_datastores(cfg, network, cluster, apps, context, primary, crds.release)
    postgres, documentdb = datastores.stores["postgres"], datastores.stores["documentdb"]
    assert isinstance(postgres, Postgres) and isinstance(documentdb, DocumentDb)
    redis = datastores.stores["redis"]
    assert isinstance(redis, Redis)
    buckets, backup_plan = build_backups(cfg, context, replica, network, postgres, documentdb, redis, primary)
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            cfg.monitoring,
            k8s_provider,
            cluster.storage_class_name,
            datastores.secrets.store_name,
            crds.release,
            namespace_labels=mesh_labels(cfg, MONITORING_NAMESPACE),
        ),
        # The password generator's CRD; the store that delivers the receivers' secrets.
        opts=pulumi.ResourceOptions(depends_on=[datastores.operator.release, datastores.secrets.store]),
    )
    MetricsServer(
        "metrics-server",
        MetricsServerArgs(k8s_provider, cfg.monitoring.metrics_server_replicas, moved=moved.metrics_server()),
        opts=pulumi.ResourceOptions(depends_on=[crds.release]),  # its ServiceMonitor's CRD
    )
    logging, eck_operator = build_logging(
        cfg, context, cluster, monitoring, datastores.operator, buckets, primary, CLUSTER_DNS, network.layout.private
    )
    ingress, gateway = build_edge(cfg, context, network, cluster, apps, monitoring, with_primary)
    consoles = build_consoles(
        cfg,
        k8s_provider,
        monitoring,
        ingress,
        datastores.secrets.store,
        datastores.secrets.store_name,
        [logging.console],
    )
    build_ingress_access(cfg, cluster, {KONG_NAMESPACE: gateway, CONSOLES_NAMESPACE: consoles})  # NGINX's Roles
    mesh = build_mesh(  # Istio ambient, and the enrolled namespaces' PeerAuthentications once they exist
        cfg,
        k8s_provider,
        {
            NGINX_NAMESPACE: ingress.namespace if ingress is not None else None,
            KONG_NAMESPACE: gateway.pod_selector.namespace if gateway is not None else None,
            cfg.datastores.namespace: apps.name,
            MONITORING_NAMESPACE: monitoring.namespace,
        },
    )
    delivery = build_delivery(cfg, context, cluster, apps, primary)
    releases = delivery.release_references if delivery is not None else {}
    rollouts = ArgoRollouts(
        "argo-rollouts",
        ArgoRolloutsArgs(cluster.provider, cfg.services.rollouts_controller_replicas, moved=moved.argo_rollouts()),
        opts=pulumi.ResourceOptions(depends_on=[crds.release]),  # its ServiceMonitor's CRD
    )
    services = build_services(
        cfg,
        network,
        cluster,
        apps,
        datastores,
        monitoring,
        gateway,
        context,
        primary,
        rollouts,
        crds.release,
        releases=releases,
    )
    reloader = build_reloader(cluster.provider, apps.name, rollouts.release)  # rotated credentials reach the pods
    build_isolation(  # every platform namespace: default deny, then the allows of its row
        cfg,
        k8s_provider,
        network.layout.public,
        network.layout.private,
        {
            NGINX_NAMESPACE: ingress,
            CERT_MANAGER_NAMESPACE: ingress,  # cert-manager comes with the edge, before the ingress
            KONG_NAMESPACE: gateway,
            MONITORING_NAMESPACE: monitoring,
            EXTERNAL_SECRETS_NAMESPACE: datastores.operator,
            ROLLOUTS_NAMESPACE: rollouts,
            CONSOLES_NAMESPACE: consoles if cfg.consoles.published else None,
            ECK_OPERATOR_NAMESPACE: eck_operator,
            RELOADER_NAMESPACE: reloader,
            ISTIO_NAMESPACE: mesh,
            KUBE_SYSTEM: cluster,  # exists with the cluster; its add-ons' pods run before the policies land
        },
    )
    managed = build_observability(cfg, stack, context, cluster, monitoring, backup_plan, primary)
    Alerts(
        "alerts",
        AlertsArgs(
            spec=cfg.alerts,
            services=cfg.services.enabled,
            service_namespace=apps.name,
            rules_namespace=monitoring.namespace,
            kubernetes_provider=k8s_provider,
            edge=gateway is not None,
            managed=managed,
        ),
        opts=pulumi.ResourceOptions(depends_on=[crds.release]),  # the PrometheusRule CRD
    )
    build_dashboards(cfg, k8s_provider, monitoring, apps.name, edge=gateway is not None)

    pulumi.export("environment", cfg.environment.value)
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("clusterEndpoint", cluster.endpoint)
    pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
    pulumi.export("kubeconfig", pulumi.Output.secret(cluster.kubeconfig))
    if cfg.budget is not None:  # read by infra check's budget rule, from the plan or a stack export
        pulumi.export("budgetMonthlyUsd", cfg.budget.monthly_usd)
    return Platform(network, cluster, apps, datastores, monitoring, ingress, gateway, services)


def _zones(cfg: PlatformConfig, on_primary: pulumi.InvokeOutputOptions) -> list[pulumi.Input[str]]:
    """The configured zone names, or the region's first ``availabilityZones`` zones that need no opt-in."""
    if cfg.network.zone_names is not None:
        return list(cfg.network.zone_names)
    available = aws.get_availability_zones_output(
        state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}], opts=on_primary
    )
    return [
        available.names.apply(functools.partial(_zone, index=i, region=cfg.region))
        for i in range(cfg.network.availability_zones)
    ]


def _zone(names: list[str], index: int, region: str) -> str:
    if index >= len(names):
        raise pulumi.RunError(
            f"platform:network.availabilityZones: {region} has only {len(names)} zones available, "
            f"{index + 1} or more were asked for"
        )
    return names[index]


def build_datastores(
    cfg: PlatformConfig,
    network: Network,
    cluster: Cluster,
    apps: WorkloadNamespace,
    context: AwsContext,
    primary: aws.Provider,
    crds: pulumi.Resource,  # the Prometheus Operator's CRDs (the operator's ServiceMonitors)
) -> Datastores:
    """The datastores in the data subnets, each admitting only the cluster's security group (nodes and
    pods), their domain keys, and the delivery of their credentials into the services' namespace."""
    ds = cfg.datastores
    prefix = cfg.name_prefix
    opts = pulumi.ResourceOptions(providers={"aws": primary, "random": random.Provider("random")})
    keys = DataKeys("data-keys", DataKeysArgs(prefix, tuple(DATA_DOMAINS), context, cfg.protection), opts=opts)
    key_of = {store: keys.key_arns[domain] for domain, stores in DATA_DOMAINS.items() for store in stores}
    placement = Placement(
        network.vpc_id, network.data_subnet_ids, [datastore_clients(cfg, network, cluster, apps, primary)]
    )
    on_region = pulumi.InvokeOutputOptions(provider=primary)
    logs = DatastoreLogs(context, ds.log_retention_days)  # platform:datastores.logRetentionDays
    rotation = CredentialRotation(
        context,
        ds.credential_rotation_days,
        ds.log_retention_days,
        network.private_subnet_ids,
        min_grace_seconds=credential_pickup_seconds(cfg),  # the previous credential stays valid this long
    )

    def wiring(store: str) -> dict:
        return {
            "placement": placement,
            "kms_key_arn": key_of[store],
            "secret": SecretSpec(f"{prefix}/datastores/{store}", ds.secret_recovery_window_days),
            "protection": cfg.protection,
            **restore_wiring(cfg, store, on_region),  # platform:restore: start from a backup
        }

    stores: dict[str, Datastore] = {
        "postgres": Postgres(
            "postgres",
            PostgresArgs(ds.postgres, f"{prefix}-postgres", **wiring("postgres"), logs=logs, tags=backup_tags(cfg)),
            opts=opts,
        ),
        "redis": Redis(
            "redis", RedisArgs(ds.redis, f"{prefix}-redis", **wiring("redis"), logs=logs, rotation=rotation), opts=opts
        ),
        "rabbitmq": RabbitMq(
            "rabbitmq",
            RabbitMqArgs(ds.rabbitmq, f"{prefix}-rabbitmq", **wiring("rabbitmq"), rotation=rotation, logs=logs),
            opts=opts,
        ),
        "documentdb": DocumentDb(
            "documentdb",
            DocumentDbArgs(
                ds.documentdb, f"{prefix}-documentdb", **wiring("documentdb"), logs=logs, tags=backup_tags(cfg)
            ),
            opts=opts,
        ),
    }
    with_primary = pulumi.ResourceOptions(providers={"aws": primary})
    operator = ExternalSecretsOperator(
        "external-secrets-operator",
        ExternalSecretsOperatorArgs(
            kubernetes_provider=cluster.provider,
            identity=cluster.identity,
            region=context.region,
            dns_suffix=context.dns_suffix,
            secret_arns=[arn for s in stores.values() for arn in s.readable_secret_arns],
            # Alertmanager's receivers: secrets the operators make, readable by name.
            operator_secret_arns=[
                context.secret_arn_pattern(r.secret_name) for _, r in sorted(cfg.monitoring.alerting.receivers.items())
            ]
            + login_secret_arns(cfg, context),  # the UIs' login (platform:consoles)
            kms_key_arns=[keys.key_arns[domain] for domain in DATA_DOMAINS],
            moved=moved.external_secrets_operator(),
        ),
        opts=pulumi.ResourceOptions.merge(with_primary, pulumi.ResourceOptions(depends_on=[crds])),
    )
    assert operator.service_account is not None
    secrets = ExternalSecrets(
        "external-secrets",
        ExternalSecretsArgs(
            kubernetes_provider=cluster.provider,
            region=context.region,
            namespace=apps.name,
            operator_namespace=operator.namespace,
            operator_service_account=operator.service_account,
            secrets=[
                DeliveredSecret(f"{store}-credentials", s.secret_name, s.credentials_secret_arn, s.templates)
                for store, s in stores.items()
            ],
            other_namespaces=[MONITORING_NAMESPACE, *login_namespaces(cfg)],  # receivers, UIs' login
            refresh_interval=refresh_interval(cfg),  # platform:datastores.secretRefreshMinutes
        ),
        opts=pulumi.ResourceOptions(depends_on=[operator.release]),  # the store's CRD
    )
    for store, component in stores.items():
        pulumi.export(f"{store}Host", component.host)
        pulumi.export(f"{store}Port", component.port)
        pulumi.export(f"{store}SecretName", component.secret_name)
    pulumi.export("datastoreNamespace", apps.name)
    return Datastores(keys=keys, stores=stores, operator=operator, secrets=secrets)


def datastore_clients(
    cfg: PlatformConfig, network: Network, cluster: Cluster, apps: WorkloadNamespace, primary: aws.Provider
) -> pulumi.Input[str]:
    """The security group the datastores admit: their clients' own (security groups for pods), or, with
    ``platform:cluster.podSecurityGroups`` off, the cluster's (every pod's)."""
    clients = {name: svc for name, svc in cfg.services.enabled.items() if svc.datastores}
    if not cfg.cluster.pod_security_groups or not clients:
        return cluster.cluster_security_group_id
    made = DatastoreClients(
        "datastore-clients",
        DatastoreClientsArgs(
            vpc_id=network.vpc_id,
            cluster_security_group_id=cluster.cluster_security_group_id,
            endpoint_security_group_id=network.endpoint_security_group_id,
            datastore_cidrs=network.layout.data,
            datastore_ports=DATASTORE_PORTS,
            # the clients' own ports, and the HBONE port meshed peers' tunnels arrive on
            client_ports=sorted(
                {port for svc in clients.values() for port in svc.ports}
                | ({HBONE_PORT} if cfg.datastores.namespace in enrolled_namespaces(cfg) else set())
            ),
            namespace=apps.name,
            pod_label=SERVICE_NAME_LABEL,
            clients=sorted(clients),
            kubernetes_provider=cluster.provider,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": primary}, depends_on=[*apps.ready, cluster.network_addon]),
    )
    return made.security_group_id


def build_services(
    cfg: PlatformConfig,
    network: Network,
    cluster: Cluster,
    apps: WorkloadNamespace,
    datastores: Datastores,
    monitoring: Monitoring,
    gateway: Gateway | None,
    context: AwsContext,
    primary: aws.Provider,
    rollouts: ArgoRollouts,
    crds: pulumi.Resource,  # the Prometheus Operator's CRDs (the services' ServiceMonitors)
    releases: Mapping[str, pulumi.Output[str]] | None = None,
) -> dict[str, ServiceDeployment]:
    """The token signing key when a gateway verifies tokens, and one ServiceDeployment per configured
    service: its objects after the namespace's guard rails, its Rollout after Argo Rollouts (which acts
    on it) and Prometheus (which its analysis queries), its ServiceMonitor after the CRDs."""
    with_primary = pulumi.ResourceOptions(providers={"aws": primary})
    signer: TokenSigner | None = None
    # The token issuers' roles have fixed names: the signing key's policy names them before they exist.
    issuer_roles = {n: f"{cfg.name_prefix}-{n}" for n, s in cfg.services.enabled.items() if s.tokens is not None}
    if gateway is not None:
        signing = TokenSigning(
            "token-signing",
            TokenSigningArgs(
                key_alias=f"alias/{cfg.name_prefix}-token-signing",
                namespace=apps.name,
                consumers=cfg.gateway.consumers,
                kubernetes_provider=cluster.provider,
                aws=context,
                protection=cfg.protection,
                signer_role_arns=[
                    pulumi.Output.format("arn:{0}:iam::{1}:role/{2}", context.partition, context.account_id, role)
                    for role in issuer_roles.values()
                ],
            ),
            opts=with_primary,
        )
        signer = TokenSigner(signing.key_arn, TOKEN_ALGORITHM, signing.signer_statement)
    # Kong balances each service by least connections (its upstream policy, named on the Service).
    balanced = {"konghq.com/upstream-policy": gateway.upstream_policy_name} if gateway is not None else {}
    deployments: dict[str, ServiceDeployment] = {}
    for name, svc in cfg.services.enabled.items():
        behind_gateway = gateway is not None and svc.port is not None
        deployments[name] = ServiceDeployment(
            name,
            ServiceDeploymentArgs(
                name=name,
                spec=svc,
                rollouts=cfg.services,
                default_resources=cfg.workloads.resources,
                namespace=apps.name,
                kubernetes_provider=cluster.provider,
                aws=context,
                identity=cluster.identity,
                ecr_repository_name=f"{cfg.name_prefix}/{name}",
                prometheus_address=monitoring.prometheus_address,
                scrapers=monitoring.scrapers,
                dns=CLUSTER_DNS,
                protection=cfg.protection,
                gateway=gateway.pod_selector if behind_gateway and gateway is not None else None,
                service_annotations=balanced if behind_gateway else {},
                datastores={store: datastores.endpoint(store) for store in svc.datastores},
                datastore_cidrs=network.layout.data,
                aws_api_cidrs=list(network.layout.private),  # the interface endpoints' subnets, not the VPC
                token_signer=signer,
                role_name=issuer_roles.get(name) if signer is not None else None,
                image_reference=(releases or {}).get(name),  # what its last release rolled out
                # in the mesh: HBONE from the gateway and the scrapers, the probes from ztunnel's address
                mesh=AMBIENT_TRAFFIC if cfg.datastores.namespace in enrolled_namespaces(cfg) else None,
                analysis_after=[monitoring.prometheus_release],
            ),
            opts=pulumi.ResourceOptions.merge(
                with_primary,
                pulumi.ResourceOptions(
                    # Its datastores' Secrets arrive as inputs (datastores=...): no wait for the others'.
                    depends_on=[*apps.ready, rollouts.release, crds]
                ),
            ),
        )
    pulumi.export("servicesNamespace", apps.name)
    pulumi.export("prometheusAddress", monitoring.prometheus_address)
    pulumi.export("serviceRepositories", {n: d.repository_url for n, d in deployments.items()})
    return deployments
