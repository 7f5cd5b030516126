"""The namespace the services run in, and the guard rails every pod in it gets. This component owns
the namespace and hands its name to the others (the secrets' delivery, the gateway's routes, the
services).

- the Namespace, labelled to enforce the ``restricted`` Pod Security Standard;
- a namespace-wide default deny (``podSelector: {}``, ingress and egress): a pod that no service's own
  NetworkPolicy allows can reach nothing and be reached by nothing;
- a LimitRange holding every container to the system's per-pod range (CPU 500m-2000m, memory
  512Mi-2Gi), with the default requests and limits for a container that names none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.parts import namespace
from infra.config.workloads import (
    POD_CPU_MAX_MILLIS,
    POD_CPU_MIN_MILLIS,
    POD_MEMORY_MAX_BYTES,
    POD_MEMORY_MIN_BYTES,
    PodResources,
)


@dataclass(frozen=True)
class WorkloadNamespaceArgs:
    kubernetes_provider: k8s.Provider
    name: str
    defaults: PodResources  # a container's requests and limits when it names none
    # Labels of the namespace besides its Pod Security level (the mesh's enrolment).
    labels: Mapping[str, str] = field(default_factory=dict, kw_only=True)
    # child resource name -> where it was registered before this component owned it
    moved: Mapping[str, pulumi.Alias] = field(default_factory=dict, kw_only=True)


class WorkloadNamespace(pulumi.ComponentResource):
    name: pulumi.Output[str]
    ready: list[pulumi.Resource]  # what a workload in the namespace waits for

    def __init__(self, name: str, args: WorkloadNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:workload_namespace:WorkloadNamespace", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        unknown = sorted(set(args.moved) - {f"{name}-ns"})
        if unknown:  # a mistyped name would leave the old namespace to be replaced, not moved
            raise ValueError(f"{name}: moved names no child of this component: {unknown}")
        moved = args.moved.get(f"{name}-ns")
        created = namespace(
            f"{name}-ns",
            args.name,
            pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(aliases=[moved] if moved else None)),
            enforce="restricted",
            warn="restricted",
            audit="restricted",
            labels=args.labels,
        )
        namespace_name = created.metadata.name
        deny = k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-all", namespace=namespace_name),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
            ),
            opts=on_cluster,
        )
        limits = k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="pod-range", namespace=namespace_name),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        min={"cpu": f"{POD_CPU_MIN_MILLIS}m", "memory": f"{POD_MEMORY_MIN_BYTES // 2**20}Mi"},
                        max={"cpu": f"{POD_CPU_MAX_MILLIS}m", "memory": f"{POD_MEMORY_MAX_BYTES // 2**20}Mi"},
                        default_request={"cpu": args.defaults.requests.cpu, "memory": args.defaults.requests.memory},
                        default={"cpu": args.defaults.limits.cpu, "memory": args.defaults.limits.memory},
                    )
                ]
            ),
            opts=on_cluster,
        )
        self.name = namespace_name
        self.ready = [created, deny, limits]
        self.register_outputs({"name": self.name})
