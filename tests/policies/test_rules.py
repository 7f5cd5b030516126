"""Each rule passes the clean plans of all three environments and catches its violation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from policies.rules import ALL_POLICIES
from tests.conftest import STACKS
from tests.policies.support import PROVIDER, Resource, mutated, resource, violations_of


@pytest.mark.parametrize("stack", STACKS)
def test_clean_plans_pass_every_rule(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    assert violations_of(resources) == []


def test_every_rule_has_a_description_severity_and_fix() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))
    for policy in ALL_POLICIES:
        assert policy.description and policy.severity is not None and policy.remediation_steps


PLAN_MUTATIONS: list[tuple[str, str, str, Callable[[Resource], None]]] = [
    ("storage-encrypted-with-kms", "aws:eks/cluster:Cluster", "prod", lambda r: r["inputs"].pop("encryptionConfig")),
    ("storage-encrypted-with-kms", "aws:cloudwatch/logGroup:LogGroup", "dev", lambda r: r["inputs"].pop("kmsKeyId")),
    (
        "storage-encrypted-with-kms",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "prod",
        lambda r: r["inputs"]["blockDeviceMappings"][0]["ebs"].update(encrypted="false"),
    ),
    ("kms-key-rotation", "aws:kms/key:Key", "staging", lambda r: r["inputs"].update(enableKeyRotation=False)),
    (
        "no-world-ingress",
        "aws:ec2/securityGroup:SecurityGroup::network-endpoints",
        "prod",
        lambda r: r["inputs"]["ingress"][0].update(cidrBlocks=["0.0.0.0/0"]),
    ),
    (
        "eks-endpoint-restricted",
        "aws:eks/cluster:Cluster",
        "prod",
        lambda r: r["inputs"]["vpcConfig"].update(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"]),
    ),
    (
        "imdsv2-required",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "dev",
        lambda r: r["inputs"]["metadataOptions"].update(httpTokens="optional"),
    ),
    ("protect-stateful-in-prod", "aws:eks/cluster:Cluster", "prod", lambda r: r.pop("protect")),
    ("protect-stateful-in-prod", "aws:kms/key:Key", "prod", lambda r: r.pop("protect")),
    (
        "deletion-protection-and-final-snapshot",
        "aws:eks/cluster:Cluster",
        "prod",
        lambda r: r["inputs"].update(deletionProtection=False),
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/rolePolicy:RolePolicy",
        "prod",
        lambda r: r["inputs"].update(
            policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        ),
    ),
    (
        "iam-no-wildcard-admin",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "dev",
        lambda r: r["inputs"].update(policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
    ),
    (
        "required-default-tags",
        "pulumi:providers:aws",
        "prod",
        lambda r: r["inputs"].update(defaultTags=json.dumps({"tags": {"Project": "platform"}})),
    ),
    ("vpc-flow-logs", "aws:ec2/flowLog:FlowLog", "prod", lambda r: r.update(propertyDependencies={})),
    # Hand-made insecure changes, on the real prod plan.
    (
        "storage-encrypted-with-kms",
        "aws:rds/instance:Instance",
        "prod",
        lambda r: r["inputs"].update(storageEncrypted=False),
    ),
    ("protect-stateful-in-prod", "aws:rds/instance:Instance", "prod", lambda r: r.pop("protect")),
    (
        "datastores-not-public",
        "aws:rds/instance:Instance",
        "prod",
        lambda r: r["inputs"].update(publiclyAccessible=True),
    ),
    (
        "no-world-ingress",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::postgres-sg-from-0",
        "prod",
        lambda r: r["inputs"].update(cidrIpv4="0.0.0.0/0"),
    ),
    (
        "container-resources-in-range",
        "kubernetes:argoproj.io/v1alpha1:Rollout::user-service-rollout",
        "prod",
        lambda r: r["inputs"]["spec"]["template"]["spec"]["containers"][0].pop("resources"),
    ),
    (
        "hardened-security-context",
        "kubernetes:argoproj.io/v1alpha1:Rollout::analytics-rollout",
        "prod",
        lambda r: r["inputs"]["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
            readOnlyRootFilesystem=False
        ),
    ),
    (
        "edge-nginx-least-conn-tls13",
        "kubernetes:helm.sh/v3:Release::ingress-nginx",
        "prod",
        lambda r: r["inputs"]["values"]["controller"]["config"]["entries"].update({"lb-method": "round_robin"}),
    ),
    (
        "edge-nginx-least-conn-tls13",
        "kubernetes:helm.sh/v3:Release::ingress-nginx",
        "dev",
        lambda r: r["inputs"]["values"]["controller"]["config"]["entries"].update({"ssl-protocols": "TLSv1.2 TLSv1.3"}),
    ),
    (
        "gateway-admin-private",
        "kubernetes:helm.sh/v3:Release::gateway-kong",
        "prod",
        lambda r: r["inputs"]["values"]["admin"].update(enabled=True, type="LoadBalancer"),
    ),
    (
        "monitoring-uis-behind-login",
        "kubernetes:helm.sh/v3:Release::monitoring-kube-prometheus-stack",
        "prod",
        lambda r: r["inputs"]["values"]["grafana"].update(ingress={"enabled": True}),
    ),
    (
        "monitoring-uis-behind-login",
        "kubernetes:helm.sh/v3:Release::monitoring-kube-prometheus-stack",
        "dev",
        lambda r: r["inputs"]["values"]["prometheus"].update(service={"type": "LoadBalancer"}),
    ),
    (
        "waf-on-public-load-balancer",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "prod",
        lambda r: r.update(type="test:index:Removed"),
    ),
    (
        "waf-on-public-load-balancer",
        "aws:wafv2/webAcl:WebAcl",
        "staging",
        lambda r: r["inputs"].update(rules=r["inputs"]["rules"][:1]),
    ),
]


@pytest.mark.parametrize(
    ("rule", "kind", "stack", "change"), PLAN_MUTATIONS, ids=lambda x: x if isinstance(x, str) else ""
)
def test_rule_catches_a_broken_resource_in_a_real_plan(
    planned: Any, rule: str, kind: str, stack: str, change: Callable[[Resource], None]
) -> None:
    _, resources = planned(stack)
    broken, urn = mutated(resources, kind, change)
    found = violations_of(broken, rule)
    assert found, f"{rule} missed the change to {urn}"
    if rule not in ("vpc-flow-logs", "waf-on-public-load-balancer"):
        assert {v.urn for v in found} == {urn}
    assert all(v.mandatory for v in found)


def test_dev_may_leave_stateful_resources_unprotected(planned: Any) -> None:
    _, resources = planned("dev")
    assert not any(r.get("protect") for r in resources if r["type"] == "aws:eks/cluster:Cluster")
    assert violations_of(resources, "protect-stateful-in-prod") == []


def _proxy(**change: Any) -> dict[str, Any]:
    """An oauth2-proxy release as the consoles make it, with ``change`` on top of its values."""
    values = {
        "config": {"existingSecret": "consoles-oidc", "emailDomains": ["example.com"]},
        "extraArgs": {"cookie-secure": "true"},
        "service": {"type": "ClusterIP"},
    }
    return {"chart": "oauth2-proxy", "values": {**values, **change}}


def test_a_proxy_as_the_consoles_make_it_passes() -> None:
    good = resource("kubernetes:helm.sh/v3:Release", "proxy", _proxy())
    assert violations_of([PROVIDER, good], "monitoring-uis-behind-login") == []
    groups = _proxy(config={"existingSecret": "s", "emailDomains": ["*"]}, extraArgs={"allowed-group": "ops"})
    assert violations_of([PROVIDER, resource("kubernetes:helm.sh/v3:Release", "p", groups)], None) == []


DATASTORE_CASES: list[tuple[str, Resource]] = [
    ("storage-encrypted-with-kms", resource("aws:rds/instance:Instance", "db", {"storageEncrypted": False})),
    ("storage-encrypted-with-kms", resource("aws:rds/instance:Instance", "db", {"storageEncrypted": True})),
    (
        "storage-encrypted-with-kms",
        resource(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "redis",
            {"atRestEncryptionEnabled": False, "transitEncryptionEnabled": True},
        ),
    ),
    ("storage-encrypted-with-kms", resource("aws:mq/broker:Broker", "mq", {"engineType": "RabbitMQ"})),
    ("storage-encrypted-with-kms", resource("aws:docdb/cluster:Cluster", "docdb", {"storageEncrypted": False})),
    (
        "tls-in-transit",
        resource(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "redis",
            {"atRestEncryptionEnabled": True, "kmsKeyId": "k"},
        ),
    ),
    (
        "tls-in-transit",
        resource("aws:rds/parameterGroup:ParameterGroup", "pg", {"family": "postgres16", "parameters": []}),
    ),
    (
        "tls-in-transit",
        resource(
            "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
            "dpg",
            {"family": "docdb5.0", "parameters": [{"name": "tls", "value": "disabled"}]},
        ),
    ),
    (
        "tls-in-transit",
        resource(
            "aws:lb/listener:Listener",
            "https",
            {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        ),
    ),
    (
        "tls-in-transit",
        resource("aws:lb/listener:Listener", "http", {"protocol": "HTTP", "defaultActions": [{"type": "forward"}]}),
    ),
    *(
        ("monitoring-uis-behind-login", resource("kubernetes:helm.sh/v3:Release", "proxy", _proxy(**change)))
        for change in (
            {"config": {"existingSecret": "oidc", "clientSecret": "inline", "emailDomains": ["example.com"]}},
            {"config": {"emailDomains": ["example.com"]}},
            {"extraArgs": {"cookie-secure": "false"}},
            {"config": {"existingSecret": "oidc", "emailDomains": ["*"]}},
            {"service": {"type": "NodePort"}},
        )
    ),
    ("datastores-not-public", resource("aws:rds/instance:Instance", "db", {"publiclyAccessible": True})),
    ("datastores-not-public", resource("aws:mq/broker:Broker", "mq", {"publiclyAccessible": True})),
    (
        "no-world-ingress",
        resource(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "r",
            {"cidrIpv4": "0.0.0.0/0", "fromPort": 5432, "toPort": 5432, "ipProtocol": "tcp"},
        ),
    ),
    (
        "no-world-ingress",
        resource(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "r",
            {"type": "ingress", "ipv6CidrBlocks": ["::/0"], "fromPort": 0, "toPort": 65535, "protocol": "tcp"},
        ),
    ),
    (
        "s3-no-public-access",
        resource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "pab",
            {"blockPublicAcls": True, "blockPublicPolicy": False},
        ),
    ),
    ("protect-stateful-in-prod", resource("aws:rds/instance:Instance", "db", {"deletionProtection": True})),
    (
        "deletion-protection-and-final-snapshot",
        resource("aws:rds/instance:Instance", "db", {"deletionProtection": True, "skipFinalSnapshot": True}),
    ),
    (
        "deletion-protection-and-final-snapshot",
        resource("aws:docdb/cluster:Cluster", "docdb", {"deletionProtection": False}),
    ),
    ("backup-retention-30-days", resource("aws:rds/instance:Instance", "db", {"backupRetentionPeriod": 7})),
    ("backup-retention-30-days", resource("aws:docdb/cluster:Cluster", "docdb", {"backupRetentionPeriod": 1})),
    ("backup-retention-30-days", resource("aws:elasticache/replicationGroup:ReplicationGroup", "redis", {})),
    (
        "iam-no-wildcard-admin",
        resource(
            "aws:iam/role:Role",
            "role",
            {
                "assumeRolePolicy": json.dumps(
                    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
                )
            },
        ),
    ),
]


@pytest.mark.parametrize(("rule", "bad"), DATASTORE_CASES, ids=lambda x: x if isinstance(x, str) else x["urn"][-30:])
def test_rule_catches_a_broken_resource(rule: str, bad: Resource) -> None:
    found = violations_of([PROVIDER, bad], rule)
    assert found and all(v.urn == bad["urn"] for v in found)
