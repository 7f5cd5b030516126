"""The URNs of the stateful resources are pinned: a rename or a new parent without a Pulumi alias would
make a real ``pulumi up`` on an existing stack delete the database, key or log group and create an
empty one. When one of these changes on purpose, add an ``alias`` to the resource (``stacks/moved.py``
records the moves so far) and update the list here in the same commit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import STACKS

# Resource types that hold data (or, for a namespace, everything in it).
STATEFUL_TYPES = (
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:mq/broker:Broker",
    "aws:docdb/cluster:Cluster",
    "aws:docdb/clusterInstance:ClusterInstance",
    "aws:kms/key:Key",
    "aws:secretsmanager/secret:Secret",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ecr/repository:Repository",
    "aws:eks/cluster:Cluster",
    "kubernetes:core/v1:Namespace",
    "aws:s3/bucket:Bucket",
    "aws:backup/vault:Vault",
    "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch",
)
# The qualified type and name of each stateful resource of the prod stack (the URN after the project).
PINNED = (
    "platform:addons:ArgoRollouts$kubernetes:core/v1:Namespace::argo-rollouts-ns",
    "platform:addons:CertManager$kubernetes:core/v1:Namespace::cert-manager-ns",
    "platform:addons:EckOperator$kubernetes:core/v1:Namespace::eck-operator-ns",
    "platform:addons:IstioBase$kubernetes:core/v1:Namespace::istio-base-ns",
    "platform:addons:ExternalSecretsOperator$kubernetes:core/v1:Namespace::external-secrets-operator",
    "platform:backups:BackupBuckets$aws:kms/key:Key::backups-key",
    "platform:backups:BackupBuckets$aws:kms/key:Key::backups-replica-key",
    "platform:backups:BackupBuckets$aws:s3/bucket:Bucket::backups-primary",
    "platform:backups:BackupBuckets$aws:s3/bucket:Bucket::backups-replica",
    "platform:backups:BackupPlan$aws:backup/vault:Vault::backup-plan-replica-vault",
    "platform:backups:BackupPlan$aws:backup/vault:Vault::backup-plan-vault",
    "platform:backups:CacheExport$aws:cloudwatch/logGroup:LogGroup::cache-export-logs",
    "platform:backups:CacheExport$aws:kms/key:Key::cache-export-logs",
    "platform:backups:BackupFreshness$aws:cloudwatch/logGroup:LogGroup::backup-freshness-logs",
    "platform:backups:BackupFreshness$aws:kms/key:Key::backup-freshness-logs",
    "platform:cluster:Cluster$aws:cloudwatch/logGroup:LogGroup::cluster-control-plane",
    "platform:cluster:Cluster$aws:eks/cluster:Cluster::cluster-eks",
    "platform:cluster:Cluster$aws:kms/key:Key::cluster-logs",
    "platform:cluster:Cluster$aws:kms/key:Key::cluster-secrets",
    "platform:cluster:Cluster$aws:kms/key:Key::cluster-volumes",
    "platform:datastores:DataKeys$aws:kms/key:Key::data-keys-analytics",
    "platform:datastores:DataKeys$aws:kms/key:Key::data-keys-processing",
    "platform:datastores:DataKeys$aws:kms/key:Key::data-keys-users",
    "platform:datastores:DocumentDb$aws:docdb/cluster:Cluster::documentdb-cluster",
    "platform:datastores:DocumentDb$aws:docdb/clusterInstance:ClusterInstance::documentdb-0",
    "platform:datastores:DocumentDb$aws:docdb/clusterInstance:ClusterInstance::documentdb-1",
    "platform:datastores:DocumentDb$aws:docdb/clusterInstance:ClusterInstance::documentdb-2",
    "platform:datastores:DocumentDb$aws:secretsmanager/secret:Secret::documentdb-credentials",
    "platform:datastores:Postgres$aws:rds/instance:Instance::postgres-db",
    "platform:datastores:Postgres$aws:secretsmanager/secret:Secret::postgres-credentials",
    "platform:datastores:RabbitMq$aws:mq/broker:Broker::rabbitmq-broker",
    "platform:datastores:RabbitMq$aws:secretsmanager/secret:Secret::rabbitmq-credentials",
    "platform:datastores:Redis$aws:elasticache/replicationGroup:ReplicationGroup::redis-group",
    "platform:datastores:Redis$aws:secretsmanager/secret:Secret::redis-credentials",
    "platform:gateway:Gateway$platform:addons:Kong$kubernetes:core/v1:Namespace::gateway-kong-ns",
    "platform:gateway:TokenSigning$aws:kms/key:Key::token-signing-key",
    "platform:ingress:Ingress$aws:cloudwatch/logGroup:LogGroup::ingress-waf-logs",
    "platform:ingress:Ingress$aws:kms/key:Key::ingress-waf-logs",
    "platform:ingress:Ingress$kubernetes:core/v1:Namespace::ingress-nginx-ns",
    "platform:logging:Logging$kubernetes:core/v1:Namespace::logging-ns",
    "platform:logging:Logging$kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch::logging-elasticsearch",
    "platform:monitoring:Monitoring$kubernetes:core/v1:Namespace::monitoring-ns",
    "platform:network:Network$aws:cloudwatch/logGroup:LogGroup::network-flow-logs",
    "platform:network:Network$aws:kms/key:Key::network-flow-logs",
    "platform:service:ServiceDeployment$aws:ecr/repository:Repository::analytics-ecr",
    "platform:service:ServiceDeployment$aws:ecr/repository:Repository::data-processing-ecr",
    "platform:service:ServiceDeployment$aws:ecr/repository:Repository::user-service-ecr",
    "platform:service:ServiceDeployment$aws:kms/key:Key::analytics-ecr",
    "platform:service:ServiceDeployment$aws:kms/key:Key::data-processing-ecr",
    "platform:service:ServiceDeployment$aws:kms/key:Key::user-service-ecr",
    "platform:workload_namespace:WorkloadNamespace$kubernetes:core/v1:Namespace::apps-ns",
    # Audit, slow and engine logs of the datastores, the rotation functions' logs, the ALB's access logs.
    "platform:datastores:DocumentDb$aws:cloudwatch/logGroup:LogGroup::documentdb-audit-logs",
    "platform:datastores:DocumentDb$aws:cloudwatch/logGroup:LogGroup::documentdb-profiler-logs",
    "platform:datastores:DocumentDb$aws:kms/key:Key::documentdb-logs",
    "platform:datastores:Postgres$aws:cloudwatch/logGroup:LogGroup::postgres-postgresql-logs",
    "platform:datastores:Postgres$aws:cloudwatch/logGroup:LogGroup::postgres-upgrade-logs",
    "platform:datastores:Postgres$aws:kms/key:Key::postgres-logs",
    "platform:datastores:RabbitMq$aws:cloudwatch/logGroup:LogGroup::rabbitmq-rotation-logs",
    "platform:datastores:RabbitMq$aws:kms/key:Key::rabbitmq-rotation-logs",
    "platform:datastores:RabbitMq$aws:kms/key:Key::rabbitmq-broker-logs",  # Amazon MQ's own groups' key
    "platform:datastores:RabbitMq$aws:cloudwatch/logGroup:LogGroup::rabbitmq-broker-logs-logs",
    "platform:datastores:RabbitMq$aws:kms/key:Key::rabbitmq-broker-logs-logs",
    "platform:addons:Reloader$kubernetes:core/v1:Namespace::reloader-ns",
    "platform:datastores:Redis$aws:cloudwatch/logGroup:LogGroup::redis-engine-logs",
    "platform:datastores:Redis$aws:cloudwatch/logGroup:LogGroup::redis-rotation-logs",
    "platform:datastores:Redis$aws:cloudwatch/logGroup:LogGroup::redis-slow-logs",
    "platform:datastores:Redis$aws:kms/key:Key::redis-logs",
    "platform:datastores:Redis$aws:kms/key:Key::redis-rotation-logs",
    "platform:ingress:Ingress$aws:s3/bucket:Bucket::ingress-alb-logs",
)


def _stateful(resources: list[dict[str, Any]]) -> set[str]:
    return {r["urn"].split("::", 2)[2] for r in resources if r["type"] in STATEFUL_TYPES}


def test_prod_stateful_urns_are_exactly_the_pinned_ones(planned: Any) -> None:
    _, resources = planned("prod")
    found = _stateful(resources)
    assert sorted(found - set(PINNED)) == [], "new or renamed stateful resources: pin them (and alias a rename)"
    assert sorted(set(PINNED) - found) == [], "pinned stateful resources are gone: a rename needs an alias"


# Stateful by type, made only where configuration asks for them (never in prod): the NAT instance's root
# volume key (platform:network.natGateways: instance; the volume holds nothing but the image).
SWITCHED_OFF_IN_PROD = (
    "platform:network:Network$platform:network:NatInstance$aws:kms/key:Key::network-nat-instance-volume",
)


@pytest.mark.parametrize("stack", [s for s in STACKS if s != "prod"])
def test_other_stacks_use_the_same_urns(planned: Any, stack: str) -> None:
    """dev and staging have fewer replicas of some resources, never other names."""
    _, resources = planned(stack)
    assert sorted(_stateful(resources) - set(PINNED) - set(SWITCHED_OFF_IN_PROD)) == []


@pytest.mark.parametrize("stack", STACKS)
def test_urns_carry_the_stack_and_project(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    assert all(r["urn"].startswith(f"urn:pulumi:{stack}::platform::") for r in resources if r["type"] in STATEFUL_TYPES)


# Resources the restructure into add-ons moved (new qualified type and name -> where they were): each
# carries the old URN as an alias, so a real `pulumi up` moves it and replaces nothing.
MOVED = {
    "platform:addons:ArgoRollouts$kubernetes:core/v1:Namespace::argo-rollouts-ns": (
        "platform:delivery:Delivery$kubernetes:core/v1:Namespace::delivery-ns"
    ),
    "platform:addons:ArgoRollouts$kubernetes:helm.sh/v3:Release::argo-rollouts": (
        "platform:delivery:Delivery$kubernetes:helm.sh/v3:Release::delivery-argo-rollouts"
    ),
    "platform:addons:CertManager$aws:iam/role:Role::cert-manager-irsa": (
        "platform:ingress:Ingress$aws:iam/role:Role::ingress-cert-manager-irsa"
    ),
    "platform:addons:CertManager$aws:iam/rolePolicy:RolePolicy::cert-manager-dns01": (
        "platform:ingress:Ingress$aws:iam/rolePolicy:RolePolicy::ingress-cert-manager-dns01"
    ),
    "platform:addons:CertManager$kubernetes:core/v1:Namespace::cert-manager-ns": (
        "platform:ingress:Ingress$kubernetes:core/v1:Namespace::ingress-cert-manager-ns"
    ),
    "platform:addons:CertManager$kubernetes:helm.sh/v3:Release::cert-manager": (
        "platform:ingress:Ingress$kubernetes:helm.sh/v3:Release::ingress-cert-manager"
    ),
    "platform:addons:ClusterAutoscaler$aws:iam/role:Role::cluster-autoscaler": (
        "platform:cluster:Cluster$aws:iam/role:Role::cluster-autoscaler"
    ),
    "platform:addons:ClusterAutoscaler$aws:iam/rolePolicy:RolePolicy::cluster-autoscaler": (
        "platform:cluster:Cluster$aws:iam/rolePolicy:RolePolicy::cluster-autoscaler"
    ),
    "platform:addons:ClusterAutoscaler$kubernetes:helm.sh/v3:Release::cluster-autoscaler": (
        "platform:cluster:Cluster$kubernetes:helm.sh/v3:Release::cluster-autoscaler"
    ),
    "platform:addons:ExternalSecretsOperator$aws:iam/role:Role::external-secrets-operator": (
        "platform:datastores:ExternalSecrets$aws:iam/role:Role::external-secrets-operator"
    ),
    "platform:addons:ExternalSecretsOperator$aws:iam/rolePolicy:RolePolicy::external-secrets-operator": (
        "platform:datastores:ExternalSecrets$aws:iam/rolePolicy:RolePolicy::external-secrets-operator"
    ),
    "platform:addons:ExternalSecretsOperator$kubernetes:core/v1:Namespace::external-secrets-operator": (
        "platform:datastores:ExternalSecrets$kubernetes:core/v1:Namespace::external-secrets-operator"
    ),
    "platform:addons:ExternalSecretsOperator$kubernetes:helm.sh/v3:Release::external-secrets-operator": (
        "platform:datastores:ExternalSecrets$kubernetes:helm.sh/v3:Release::external-secrets-operator"
    ),
    "platform:addons:MetricsServer$kubernetes:helm.sh/v3:Release::metrics-server": (
        "platform:monitoring:Monitoring$kubernetes:helm.sh/v3:Release::monitoring-metrics-server"
    ),
    "platform:gateway:Gateway$platform:addons:Kong$kubernetes:core/v1:Namespace::gateway-kong-ns": (
        "platform:gateway:Gateway$kubernetes:core/v1:Namespace::gateway-kong-ns"
    ),
    "platform:gateway:Gateway$platform:addons:Kong$kubernetes:helm.sh/v3:Release::gateway-kong": (
        "platform:gateway:Gateway$kubernetes:helm.sh/v3:Release::gateway-kong"
    ),
    "platform:ingress:Ingress$platform:addons:NginxIngress$kubernetes:helm.sh/v3:Release::ingress-nginx": (
        "platform:ingress:Ingress$kubernetes:helm.sh/v3:Release::ingress-nginx"
    ),
    "platform:monitoring:Monitoring$platform:addons:KubePrometheusStack$kubernetes:helm.sh/v3:Release::"
    "monitoring-kube-prometheus-stack": (
        "platform:monitoring:Monitoring$kubernetes:helm.sh/v3:Release::monitoring-kube-prometheus-stack"
    ),
    "platform:workload_namespace:WorkloadNamespace$kubernetes:core/v1:Namespace::apps-ns": (
        "platform:datastores:ExternalSecrets$kubernetes:core/v1:Namespace::external-secrets-apps"
    ),
}


@pytest.mark.parametrize("stack", STACKS)
def test_every_moved_resource_carries_its_old_urn_as_an_alias(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    prefix = f"urn:pulumi:{stack}::platform::"
    by_urn = {r["urn"]: r for r in resources}
    for new, old in MOVED.items():
        resource = by_urn.get(prefix + new)
        assert resource is not None, new
        assert prefix + old in resource.get("aliases", []), f"{new} lost its alias to {old}"
        assert prefix + old not in by_urn, f"{old} is still registered: the alias would be ambiguous"
