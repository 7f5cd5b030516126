"""The namespace the services run in, and the guard rails every pod in it gets.

- the Namespace itself when this component owns it (``create``), labelled to enforce the
  ``restricted`` Pod Security Standard; otherwise the namespace another component made (the datastores'
  External Secrets deliver the services' Secrets into it) is used as it is;
- a namespace-wide default deny (``podSelector: {}``, ingress and egress): a pod that no service's own
  NetworkPolicy allows can reach nothing and be reached by nothing;
- a LimitRange holding every container to the seed's range (CPU 500m-2000m, memory 512Mi-2Gi), with
  the default requests and limits for a container that names none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.config import (
    POD_CPU_MAX_MILLIS,
    POD_CPU_MIN_MILLIS,
    POD_MEMORY_MAX_BYTES,
    POD_MEMORY_MIN_BYTES,
    PodResources,
)

RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}


@dataclass(frozen=True)
class WorkloadNamespaceArgs:
    kubernetes_provider: k8s.Provider
    name: str
    defaults: PodResources  # a container's requests and limits when it names none
    create: bool = True  # False: the namespace exists (made by another component), only guard it
    after: Sequence[pulumi.Resource] = ()  # what makes the namespace when this component does not


class WorkloadNamespace(pulumi.ComponentResource):
    name: pulumi.Output[str]
    ready: list[pulumi.Resource]  # what a workload in the namespace waits for

    def __init__(self, name: str, args: WorkloadNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:workload_namespace:WorkloadNamespace", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=list(args.after))
        namespace_name: pulumi.Output[str]
        created: list[pulumi.Resource] = []
        if args.create:
            namespace = k8s.core.v1.Namespace(
                f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, labels=RESTRICTED), opts=on_cluster
            )
            namespace_name = namespace.metadata.name
            created.append(namespace)
        else:
            namespace_name = pulumi.Output.from_input(args.name)
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
            metadata=k8s.meta.v1.ObjectMetaArgs(name="seed-pod-range", namespace=namespace_name),
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
        self.ready = [*created, deny, limits]
        self.register_outputs({"name": self.name})
