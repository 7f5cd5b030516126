"""The workload and stack rules on hand-made resources: a hardened workload passes, each gap is caught;
buckets, autoscaling, disruption budgets and default-deny across resources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies.support import PROVIDER, Resource, resource, violations_of


def pod(**container: Any) -> dict[str, Any]:
    base = {
        "name": "app",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4.2",
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8001}},
        "readinessProbe": {"httpGet": {"path": "/health", "port": 8001}},
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    base.update(container)
    return {"template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [base]}}}


def deployment(**container: Any) -> Resource:
    return resource(
        "kubernetes:apps/v1:Deployment",
        "web",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "apps"},
            "spec": pod(**container),
        },
    )


def test_a_hardened_workload_passes_the_workload_rules() -> None:
    rules = ("container-resources-in-range", "workload-probes", "hardened-security-context", "images-pinned")
    assert [v for v in violations_of([deployment()]) if v.policy in rules] == []


@pytest.mark.parametrize(
    ("rule", "change"),
    [
        ("container-resources-in-range", {"resources": {}}),
        (
            "container-resources-in-range",
            {"resources": {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}}},
        ),
        (
            "container-resources-in-range",
            {"resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "4", "memory": "2Gi"}}},
        ),
        ("workload-probes", {"livenessProbe": None}),
        ("hardened-security-context", {"securityContext": {"runAsNonRoot": True}}),
        (
            "hardened-security-context",
            {
                "securityContext": {
                    "runAsNonRoot": True,
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "privileged": True,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                }
            },
        ),
        ("images-pinned", {"image": "nginx:latest"}),
        ("images-pinned", {"image": "registry.local:5000/app"}),
    ],
)
def test_workload_rules_catch_each_gap(rule: str, change: dict[str, Any]) -> None:
    found = violations_of([deployment(**change)], rule)
    assert found and found[0].urn.endswith("::web")


def test_stack_rules_for_workloads_and_buckets() -> None:
    bucket = resource("aws:s3/bucket:Bucket", "backups", {}, protect=True)
    web = deployment()
    found = {v.policy for v in violations_of([PROVIDER, bucket, web])}
    assert {
        "s3-private-versioned-encrypted",
        "workloads-autoscaled-and-disruption-safe",
        "namespace-default-deny",
    } <= found
    hpa = resource(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "hpa",
        {"metadata": {"namespace": "apps"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}}},
    )
    pdb = resource(
        "kubernetes:policy/v1:PodDisruptionBudget",
        "pdb",
        {"metadata": {"namespace": "apps"}, "spec": {"selector": {"matchLabels": {"app": "x"}}}},
    )
    deny = resource(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "deny",
        {"metadata": {"namespace": "apps"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
    )
    found = {v.policy for v in violations_of([PROVIDER, web, hpa, pdb, deny])}
    assert not {"workloads-autoscaled-and-disruption-safe", "namespace-default-deny"} & found
    bucket_urn = bucket["urn"]
    dep = {"bucket": [bucket_urn]}
    parts = [
        resource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "pab",
            {
                "bucket": "b",
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            propertyDependencies=dep,
        ),
        resource(
            "aws:s3/bucketVersioning:BucketVersioning",
            "ver",
            {"versioningConfiguration": {"status": "Enabled"}},
            propertyDependencies=dep,
        ),
        resource(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "sse",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "k"}}]},
            propertyDependencies=dep,
        ),
        resource(  # requests without TLS are refused
            "aws:s3/bucketPolicy:BucketPolicy",
            "tls-only",
            {
                "bucket": "b",
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ]
                    }
                ),
            },
            propertyDependencies=dep,
        ),
        resource(  # a prod bucket is replicated to another region with Replication Time Control
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "replication",
            {
                "bucket": "b",
                "rules": [
                    {
                        "status": "Enabled",
                        "destination": {"bucket": "arn:aws:s3:::b-copy", "replicationTime": {"status": "Enabled"}},
                    }
                ],
            },
            propertyDependencies=dep,
        ),
    ]
    assert violations_of([PROVIDER, bucket, *parts]) == []
