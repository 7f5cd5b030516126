"""How long ``pulumi up`` of a plan would take, from a table of typical provisioning times.

The graph's edges are the dependencies Pulumi waits on (declared dependencies, providers and the
outputs read from other resources); Pulumi creates everything else in parallel. The estimate is the
longest path through that graph, weighted by the times below (seconds, typical for the AWS API or
the chart, from AWS's documentation and experience; anything unlisted counts 2 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TYPICAL_SECONDS: dict[str, float] = {
    "aws:eks/cluster:Cluster": 600,
    "aws:eks/nodeGroup:NodeGroup": 240,
    "aws:eks/addon:Addon": 60,
    "aws:ec2/natGateway:NatGateway": 120,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 90,
    "aws:rds/instance:Instance": 900,
    "aws:rds/cluster:Cluster": 600,
    "aws:rds/clusterInstance:ClusterInstance": 600,
    "aws:elasticache/replicationGroup:ReplicationGroup": 900,
    "aws:mq/broker:Broker": 1200,
    "aws:docdb/cluster:Cluster": 600,
    "aws:docdb/clusterInstance:ClusterInstance": 600,
    "aws:wafv2/webAcl:WebAcl": 10,
    "aws:iam/role:Role": 3,
    "aws:kms/key:Key": 5,
    "kubernetes:helm.sh/v3:Release": 90,
    "aws:lb/loadBalancer:LoadBalancer": 180,
    "aws:acm/certificateValidation:CertificateValidation": 300,  # DNS propagation + ACM's check
    "kubernetes:cert-manager.io/v1:Certificate": 180,  # awaited (pulumi.com/waitFor): DNS-01 + issuance
}
DEFAULT_SECONDS = 2.0


@dataclass(frozen=True)
class Estimate:
    total_seconds: float
    critical_path: list[str]  # URNs, first to last


def estimate(resources: list[dict[str, Any]]) -> Estimate:
    """Longest weighted path; ``resources`` must be in topological order (as plan.json is)."""
    finish: dict[str, float] = {}
    previous: dict[str, str | None] = {}
    for r in resources:
        if not r.get("custom"):
            finish[r["urn"]] = 0.0
            previous[r["urn"]] = None
            continue
        needs = set(r.get("dependencies", []))
        if r.get("provider"):
            needs.add(r["provider"].rpartition("::")[0])
        start, before = 0.0, None
        for need in needs:
            if finish.get(need, 0.0) > start:
                start, before = finish[need], need
        finish[r["urn"]] = start + TYPICAL_SECONDS.get(r["type"], DEFAULT_SECONDS)
        previous[r["urn"]] = before
    if not finish:
        return Estimate(0.0, [])
    last = max(finish, key=lambda urn: (finish[urn], urn))
    path: list[str] = []
    node: str | None = last
    while node is not None:
        path.append(node)
        node = previous.get(node)
    return Estimate(finish[last], list(reversed(path)))


def dot(resources: list[dict[str, Any]]) -> str:
    """The dependency graph in Graphviz DOT (custom resources; edges point at what is needed)."""
    lines = ["digraph plan {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    custom = {r["urn"] for r in resources if r.get("custom")}
    for r in resources:
        if r["urn"] in custom:
            lines.append(f'  "{_label(r["urn"])}";')
    for r in resources:
        if r["urn"] not in custom:
            continue
        for need in sorted(set(r.get("dependencies", []))):
            if need in custom:
                lines.append(f'  "{_label(r["urn"])}" -> "{_label(need)}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label(urn: str) -> str:
    qualified, name = urn.split("::")[-2:]
    return f"{qualified.rsplit('$', 1)[-1]}::{name}"
