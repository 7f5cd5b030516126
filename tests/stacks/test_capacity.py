"""What dev runs against what its nodes hold: the sum of the CPU and memory requests in dev's plan
(workloads, ECK resources, the Helm releases' values, the EKS add-ons) fits the allocatable of its
desired node group, and would not fit two nodes of 2 vCPU (docs/insights.md: the arithmetic)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.quantities import cpu_millis, memory_bytes

MI = 2**20

# Parts of the Helm releases that do not run all the time (Jobs at install, init containers), or run once
# per node (DaemonSets), by release and values path.
JOBS = {("cert-manager", "startupapicheck"), ("kube-prometheus-stack", "prometheusOperator.admissionWebhooks.patch")}
PER_NODE = {("fluent-bit", ""), ("kube-prometheus-stack", "prometheus-node-exporter"),
            ("istio-cni", ""), ("ztunnel", "")}  # fmt: skip
# Sidecars whose one `resources` block serves several containers: the config reloader runs in the
# Prometheus and the Alertmanager pods; Grafana's sidecar block serves its dashboards and datasources
# sidecars (both enabled in the values).
TIMES = {("kube-prometheus-stack", "prometheusOperator.prometheusConfigReloader"): 2,
         ("kube-prometheus-stack", "grafana.sidecar"): 2}  # fmt: skip
# Containers in the pod of another entry (Kong's ingress controller runs beside its proxy).
SAME_POD = {("kong", "ingressController")}
# Init containers: their requests count only while they run (Kubernetes takes the larger of the init
# containers and the sum of the others).
INIT = {("kube-prometheus-stack", "grafana.initChownData")}

# The EKS add-ons' own requests at their defaults (CoreDNS: 2 replicas of 100m/70Mi; the EBS CSI driver:
# 2 controllers of six containers and one node pod of three, 10m/40Mi each; kube-proxy 100m and the VPC
# CNI's aws-node 25m per node, no memory request).
ADDONS = (2 * 100 + 2 * 60, 2 * 70 * MI + 2 * 240 * MI, 4)
ADDONS_PER_NODE = (100 + 25 + 30, 120 * MI, 3)

# Instance types: (vCPU, GiB, pods the VPC CNI allows without prefix delegation: ENIs x (IPs - 1) + 2).
INSTANCES = {"m5.xlarge": (4, 16, 58), "m6a.xlarge": (4, 16, 58), "m7i-flex.xlarge": (4, 16, 58),
             "t3.large": (2, 8, 35), "m5.large": (2, 8, 29)}  # fmt: skip


def allocatable(instance: str) -> tuple[int, int, int]:
    """(millicores, bytes, pods) the kubelet of the EKS Amazon Linux 2023 image offers: kube-reserved CPU 6 %
    of the first core, 1 % of the second, 0.5 % of the third and fourth; memory 255Mi + 11Mi a pod;
    100Mi held back for eviction."""
    vcpu, gib, pods = INSTANCES[instance]
    reserved = 60 + (10 if vcpu > 1 else 0) + 5 * max(0, min(vcpu, 4) - 2)
    return vcpu * 1000 - reserved, gib * 1024 * MI - (255 + 11 * pods) * MI - 100 * MI, pods


def _requests(node: Any, path: str = "", replicas: int = 1) -> Iterator[tuple[str, int, int, int]]:
    """(path, replicas, millicores, bytes) of each ``resources.requests`` in a chart's values."""
    if not isinstance(node, dict):
        return
    here = node.get("replicas", node.get("replicaCount", replicas))
    here = int(here) if isinstance(here, int | float) else replicas
    requests = (node.get("resources") or {}).get("requests") if isinstance(node.get("resources"), dict) else None
    if isinstance(requests, dict) and "cpu" in requests:
        yield path, here, cpu_millis(requests["cpu"]), memory_bytes(requests.get("memory", "0"))
    for key, child in node.items():
        if key != "resources":
            yield from _requests(child, f"{path}.{key}" if path else key, here)


def dev_requests(resources: list[dict[str, Any]]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """((millicores, bytes, pods) of the cluster's pods, (millicores, bytes, pods) on every node)."""
    cpu, mem, pods = ADDONS
    node_cpu, node_mem, node_pods = ADDONS_PER_NODE
    for r in resources:
        kind, inputs = r["type"], r.get("inputs") or {}
        spec = inputs.get("spec") or {}
        if kind == "kubernetes:helm.sh/v3:Release":
            release = inputs.get("name") or r["urn"].rsplit("::", 1)[-1]
            for path, count, c, m in _requests(inputs.get("values") or {}):
                key = (str(release), path)
                if key in JOBS or key in INIT:
                    continue
                if key in PER_NODE:
                    node_cpu, node_mem, node_pods = node_cpu + c, node_mem + m, node_pods + 1
                    continue
                times = TIMES.get(key, 1)
                cpu, mem = cpu + count * times * c, mem + count * times * m
                pods += count if times == 1 and key not in SAME_POD else 0
        elif kind in ("kubernetes:argoproj.io/v1alpha1:Rollout", "kubernetes:apps/v1:Deployment"):
            count = int(spec.get("replicas") or 1)
            for container in spec["template"]["spec"]["containers"]:
                req = container["resources"]["requests"]
                cpu, mem = cpu + count * cpu_millis(req["cpu"]), mem + count * memory_bytes(req["memory"])
            pods += count
        elif kind.startswith("kubernetes:") and ".k8s.elastic.co/" in kind:
            for group in spec.get("nodeSets") or [spec]:
                count = int(group.get("count") or 1)
                for container in group["podTemplate"]["spec"]["containers"]:
                    req = container["resources"]["requests"]
                    cpu, mem = cpu + count * cpu_millis(req["cpu"]), mem + count * memory_bytes(req["memory"])
                pods += count
    return (cpu, mem, pods), (node_cpu, node_mem, node_pods)


def test_what_dev_requests_fits_its_nodes_and_would_not_fit_two_of_2_vcpu(planned) -> None:  # type: ignore[no-untyped-def]
    resources = planned("dev")[1]
    (cpu, mem, pods), (node_cpu, node_mem, node_pods) = dev_requests(resources)
    group = next(r["inputs"] for r in resources if r["type"] == "aws:eks/nodeGroup:NodeGroup")
    nodes = int(group["scalingConfig"]["desiredSize"])
    # The figures docs/insights.md quotes (pin them: a change that moves them updates the docs).
    assert (cpu, mem // MI, pods) == (6050, 11830, 31)
    assert (node_cpu, node_mem // MI, node_pods) == (575, 636, 7)
    need_cpu, need_mem, need_pods = cpu + nodes * node_cpu, mem + nodes * node_mem, pods + nodes * node_pods
    assert group["capacityType"] == "SPOT" and len(group["instanceTypes"]) == 3
    for instance in group["instanceTypes"]:  # whichever type Spot hands out
        a_cpu, a_mem, a_pods = allocatable(instance)
        assert need_cpu + 500 <= nodes * a_cpu, instance  # room for a blue-green preview pod (500m) without a new node
        assert need_mem <= 0.5 * nodes * a_mem and need_pods <= nodes * a_pods, instance
    assert int(group["scalingConfig"]["maxSize"]) > nodes  # a second preview at once: the autoscaler adds a node
    # Two 2-vCPU nodes (dev's t3.large until now) hold not even two thirds of it.
    assert cpu + 2 * node_cpu > 1.5 * 2 * allocatable("t3.large")[0]
