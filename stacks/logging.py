"""The composition of the logs: Elastic's operator, then the ELK stack on it, with its snapshots in the
backup bucket and its datasource in Grafana."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.addons.eck_operator import EckOperator, EckOperatorArgs
from components.addons.external_secrets import ExternalSecretsOperator
from components.addons.kong import NAMESPACE as KONG_NAMESPACE
from components.backups.buckets import BackupBuckets
from components.cluster import Cluster
from components.consoles import NAMESPACE as CONSOLES_NAMESPACE
from components.contracts import PeerPods
from components.ingress import NGINX_NAMESPACE
from components.logging import NAMESPACE, Logging, LoggingArgs, SnapshotBucket
from components.logging_network import Neighbours
from components.monitoring import Monitoring
from infra.aws_context import AwsContext
from infra.config import PlatformConfig

# Grafana's pods (kube-prometheus-stack's grafana subchart labels them with its name).
GRAFANA_POD_LABELS = {"app.kubernetes.io/name": "grafana"}


def build_logging(
    cfg: PlatformConfig,
    context: AwsContext,
    cluster: Cluster,
    monitoring: Monitoring,
    secrets_operator: ExternalSecretsOperator,
    buckets: BackupBuckets,
    primary: aws.Provider,
    dns: PeerPods,
    private_cidrs: Sequence[str],
) -> tuple[Logging, EckOperator]:
    operator = EckOperator(
        "eck-operator", EckOperatorArgs(kubernetes_provider=cluster.provider, managed_namespaces=[NAMESPACE])
    )
    logging = Logging(
        "logging",
        LoggingArgs(
            spec=cfg.logging,
            kubernetes_provider=cluster.provider,
            storage_class=cluster.storage_class_name,
            identity=cluster.identity,
            region=context.region,
            dns_suffix=context.dns_suffix,
            snapshots=SnapshotBucket(name=buckets.primary_bucket, arn=buckets.primary_arn, key_arn=buckets.key_arn),
            role_name_prefix=cfg.name_prefix,
            protection=cfg.protection,
            access_log_namespaces={"nginx": NGINX_NAMESPACE, "kong": KONG_NAMESPACE},
            grafana_namespace=monitoring.namespace,
            neighbours=Neighbours(
                dns=dns,
                operator_namespace=operator.namespace,
                grafana=PeerPods(namespace=monitoring.namespace, pod_labels=GRAFANA_POD_LABELS),
                consoles_namespace=CONSOLES_NAMESPACE,
                scrapers=monitoring.scrapers,
                # The API endpoint's addresses in the VPC, and the "kubernetes" Service in front of them.
                api_cidrs=[cfg.network.cidr, f"{ipaddress.ip_network(cfg.cluster.service_cidr)[1]}/32"],
                vpc_cidr=cfg.network.cidr,
                endpoint_cidrs=list(private_cidrs),
            ),
            job_resources=cfg.workloads.resources,
        ),
        # The CRDs: Elasticsearch, Kibana, Logstash (ECK); the password generator and the stores (the
        # External Secrets Operator); Fluent Bit's ServiceMonitor (the Prometheus Operator's, their own release).
        opts=pulumi.ResourceOptions(
            providers={"aws": primary},
            depends_on=[operator.release, secrets_operator.release, monitoring.crds_release],
        ),
    )
    pulumi.export("elasticsearchUrl", logging.elasticsearch_url)
    pulumi.export("elasticUserSecret", logging.elastic_user_secret)
    return logging, operator
