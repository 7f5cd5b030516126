"""How long ``pulumi up`` of a plan would take, from a table of typical provisioning times.

The graph's edges are the dependencies Pulumi waits on (declared dependencies, providers and the
outputs read from other resources); Pulumi creates everything else in parallel. The estimate is the
longest path through that graph, weighted by the times below (seconds, typical for the AWS API or
the chart; each figure with its source; anything unlisted counts 2 s). ``tools.insights.timing``
compares it with the path through the edges that are really needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TYPICAL_SECONDS: dict[str, float] = {
    # Amazon EKS User Guide, "Create a cluster": creation "takes several minutes"; the provider's create
    # timeout is 30 min and published pulumi/terraform runs take 8-12 min. Conservative: 10 min.
    "aws:eks/cluster:Cluster": 600,
    # EKS User Guide, "Create a managed node group": instances launch and join, typically 2-4 min.
    "aws:eks/nodeGroup:NodeGroup": 240,
    # EKS User Guide, "Amazon EKS add-ons": an add-on is ACTIVE once its pods run, about a minute.
    "aws:eks/addon:Addon": 60,
    # Amazon VPC User Guide, "NAT gateways": pending to available in a few minutes; 1-2 min typical.
    "aws:ec2/natGateway:NatGateway": 120,
    # Amazon EC2 User Guide, "Instance lifecycle": pending to running in under a minute for EBS-backed
    # instances; the provider waits for running. The NAT instance's boot script runs after that.
    "aws:ec2/instance:Instance": 60,
    # VPC PrivateLink guide: an interface endpoint is pending for about 1-2 min before available.
    "aws:ec2/vpcEndpoint:VpcEndpoint": 90,
    # Amazon RDS User Guide, "Creating a DB instance": "can take several minutes"; 10-20 min with
    # Multi-AZ and encryption in published runs (the provider's create timeout is 40 min). 15 min.
    "aws:rds/instance:Instance": 900,
    "aws:rds/cluster:Cluster": 600,
    "aws:rds/clusterInstance:ClusterInstance": 600,
    # ElastiCache User Guide, "Creating a replication group": several minutes per node group;
    # 10-15 min for encrypted Multi-AZ groups in published runs (the provider's timeout: 60 min).
    "aws:elasticache/replicationGroup:ReplicationGroup": 900,
    # Amazon MQ Developer Guide, "Creating a RabbitMQ broker": "about 20 minutes" (cluster deployments
    # the same or longer); the provider's create timeout is 30 min.
    "aws:mq/broker:Broker": 1200,
    # Amazon DocumentDB Developer Guide, "Creating a cluster" / "Adding an instance": several minutes
    # each; 8-10 min in published runs.
    "aws:docdb/cluster:Cluster": 600,
    "aws:docdb/clusterInstance:ClusterInstance": 600,
    # AWS WAF: a web ACL is created synchronously (seconds); its association waits for the ALB.
    "aws:wafv2/webAcl:WebAcl": 10,
    # IAM is eventually consistent: the provider retries new roles for a few seconds.
    "aws:iam/role:Role": 3,
    "aws:kms/key:Key": 5,
    # Pulumi's helm.v3.Release waits for every object to be ready (atomic); about 1.5 min per chart.
    "kubernetes:helm.sh/v3:Release": 90,
    # Elastic Load Balancing User Guide: an ALB is "provisioning" for about 2-3 min before active.
    "aws:lb/loadBalancer:LoadBalancer": 180,
    "aws:acm/certificateValidation:CertificateValidation": 300,  # DNS propagation + ACM's check
    "kubernetes:cert-manager.io/v1:Certificate": 180,  # awaited (pulumi.com/waitFor): DNS-01 + issuance
    # Awaited until Ready (pulumi.com/waitFor): images pulled, volumes attached, the nodes form a cluster.
    "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch": 300,
    "kubernetes:batch/v1:Job": 30,  # awaited until complete (the logging setup: a few API calls)
}
# Everything else (IAM policies, security group rules, subnets, routes, Kubernetes objects that are
# not awaited): API calls that return in about a second; 2 s is the conservative default.
DEFAULT_SECONDS = 2.0

# A datastore restored from a snapshot instead of created empty (the disaster-recovery stack, with
# platform:restore). AWS publishes no restore durations; each figure is the create time above plus the
# time to load the data, and `infra dr drill` measures the real one: replace a figure when a drill says so.
RESTORE_SECONDS: dict[str, float] = {
    # RDS User Guide, "Restoring to a DB instance": a restore provisions a new instance (900 s above) and
    # its volume from the snapshot, loading blocks lazily from S3 afterwards; Multi-AZ adds the standby.
    "aws:rds/instance:Instance": 1800,
    # DocumentDB Developer Guide, "Restoring from a cluster snapshot": the cluster is restored first (no
    # instances); its instances are then created as usual (600 s each, in parallel, above).
    "aws:docdb/cluster:Cluster": 1200,
    # ElastiCache User Guide, "Restoring from a backup into a new cache": the group is created (900 s
    # above) and each node is loaded from the backup's RDB file before it is available.
    "aws:elasticache/replicationGroup:ReplicationGroup": 1500,
}
RESTORED_SECONDS: dict[str, float] = {**TYPICAL_SECONDS, **RESTORE_SECONDS}


@dataclass(frozen=True)
class Estimate:
    total_seconds: float
    critical_path: list[str]  # URNs, first to last


def estimate(resources: list[dict[str, Any]], table: Mapping[str, float] = TYPICAL_SECONDS) -> Estimate:
    """Longest weighted path; ``resources`` must be in topological order (as plan.json is)."""
    finish, previous = schedule(resources, table)
    if not finish:
        return Estimate(0.0, [])
    last = max(finish, key=lambda urn: (finish[urn], urn))
    path: list[str] = []
    node: str | None = last
    while node is not None:
        path.append(node)
        node = previous.get(node)
    return Estimate(finish[last], list(reversed(path)))


def schedule(
    resources: list[dict[str, Any]], table: Mapping[str, float] = TYPICAL_SECONDS
) -> tuple[dict[str, float], dict[str, str | None]]:
    """When each resource is done (seconds from the start) and the resource it waited on last."""
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
        finish[r["urn"]] = start + table.get(r["type"], DEFAULT_SECONDS)
        previous[r["urn"]] = before
    return finish, previous


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


# The steps of recovering from the loss of the primary region around `pulumi up` of the DR stack
# (`infra dr plan`); seconds, each with where the figure comes from.
RECOVERY_STEP_SECONDS: dict[str, float] = {
    # The project's allowance for the on-call engineer, not an AWS figure: confirm the region is lost,
    # set the DR stack's platform:region to the backup region and platform:restore, review the preview.
    "switch-config": 900,
    # Route 53 Developer Guide: a change reaches all of Route 53's authoritative servers within 60 s
    # (GetChange INSYNC); resolvers then hold the old alias answer for its TTL, 60 s for an ALB alias.
    "dns-cut-over": 120,
    # The project's allowance: `infra dr verify` of the DR stack and the services' smoke checks.
    "verify": 600,
}
