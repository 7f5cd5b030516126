"""The time of an update: what each resource costs when going from one plan (or export) to another.

Unchanged resources cost nothing; added and replaced ones their create time (``TYPICAL_SECONDS``;
a replacement is created before the old one is deleted, and deletes run after the update's critical
path); ones changed in place their update time below. The longest path of the new plan with these
weights is the estimate of the update (``tools.insights.timing``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.insights.diff import diff
from tools.insights.plans import Resource
from tools.insights.timing import seconds_of
from tools.offline.estimate import DEFAULT_SECONDS

# Seconds of an in-place update, where it differs from a plain API call.
UPDATE_SECONDS: dict[str, float] = {
    # EKS User Guide, "Update existing cluster to new Kubernetes version": about 10 min or longer.
    "aws:eks/cluster:Cluster": 900,
    # A node group update replaces nodes one batch at a time (updateConfig.maxUnavailable): several min.
    "aws:eks/nodeGroup:NodeGroup": 600,
    # RDS User Guide, "Modifying a DB instance": a class change applies in a maintenance-like window of
    # several minutes (Multi-AZ: failover to the modified standby).
    "aws:rds/instance:Instance": 900,
    "aws:elasticache/replicationGroup:ReplicationGroup": 900,
    "aws:mq/broker:Broker": 900,  # changes apply at the reboot; a cluster broker restarts node by node
    "aws:docdb/clusterInstance:ClusterInstance": 600,
    "kubernetes:helm.sh/v3:Release": 90,  # an upgrade waits for the rollout like an install
    "aws:lb/loadBalancer:LoadBalancer": 10,
}


def update_weights(old: Sequence[Resource], new: Sequence[Resource]) -> dict[str, float]:
    result = diff(old, new, with_cost=False)
    added = {r["urn"] for r in result.added}
    replaced = {c.urn for c in result.changed if c.replacement}
    updated = {c.urn for c in result.changed if not c.replacement and c.paths}
    weights: dict[str, float] = {}
    for r in new:
        urn = r["urn"]
        if urn in added or urn in replaced:
            weights[urn] = seconds_of(r)
        elif urn in updated:
            weights[urn] = UPDATE_SECONDS.get(r["type"], DEFAULT_SECONDS)
        else:
            weights[urn] = 0.0
    return weights
