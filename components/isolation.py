"""Every platform namespace isolated: a namespace-wide default deny (ingress and egress), then only the
allows its row names.

A row (:class:`NamespaceRules`) says, for one namespace, who may reach which of its pods on which ports
and where its pods may connect; the composition holds the table (``stacks/isolation.py``), so a new
namespace is one row there. Common needs are flags of the row, each made into its own NetworkPolicy
(``<namespace>-<purpose>``) so a reader of the cluster sees why a hole exists:

- ``dns``: egress to cluster DNS (CoreDNS in ``kube-system``), UDP and TCP 53 (every row);
- ``same_namespace``: pods of the namespace may talk to each other (an add-on's own parts);
- ``api_server``: egress to the Kubernetes API on 443 (controllers, operators, webhooks' owners);
- ``webhook_ports``: ingress from the control plane on the admission webhooks' ports;
- ``metrics_ports``: ingress from the scrapers (Prometheus's pods) on the metrics ports;
- ``deny_after_allows``: the default deny is created after the row's allows (a namespace whose pods already
  run, such as ``kube-system``: a deny alone, even for a moment, would cut cluster DNS).

Namespaces in Istio's ambient mesh (``meshed``, with the mesh's ports in ``mesh``): traffic between two
meshed pods arrives at the destination on the HBONE port (15008) from the source pod, so an allow on
named ports between a meshed row and meshed peers (pods of a meshed namespace, or of any namespace)
opens the HBONE port besides, in both directions; and the kubelet's probes arrive from the link-local
address ztunnel's node rules give them, admitted by ``from-kubelet-probes`` (the VPC CNI's agent admits
only the node's own address by itself). Allows to or from peers outside the mesh stay as they are.

Peers named by role rather than address (``places``): the control plane's and the load balancer's
addresses are the subnets they live in, the internet is everything outside the VPC; the composition
resolves them. Pods are named by namespace and labels, never by address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import MeshTraffic
from components.parts import kubelet_probes_spec

Place = Literal["control-plane", "load-balancer", "aws-endpoints", "internet", "nodes", "vpc-resolver"]


@dataclass(frozen=True)
class Pods:
    """Pods of ``namespace`` with ``labels`` (empty: every pod of it; ``namespace`` None: any namespace)."""

    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)


# Where cluster DNS runs (the EKS CoreDNS add-on).
DNS = Pods("kube-system", {"k8s-app": "kube-dns"})


@dataclass(frozen=True)
class Allow:
    """One allowed flow: to or from ``peer`` (pods or a place) on ``ports`` (empty: every port) of each of
    ``protocols``, for the pods of this namespace with ``pods`` labels (empty: all of them)."""

    purpose: str  # the NetworkPolicy's name suffix: why the hole exists
    peer: Pods | Place
    ports: tuple[int, ...] = ()
    pods: Mapping[str, str] = field(default_factory=dict)
    protocols: tuple[str, ...] = ("TCP",)


@dataclass(frozen=True)
class NamespaceRules:
    ingress: tuple[Allow, ...] = ()
    egress: tuple[Allow, ...] = ()
    same_namespace: bool = True
    api_server: bool = False
    webhook_ports: tuple[int, ...] = ()
    metrics_ports: tuple[int, ...] = ()
    deny_after_allows: bool = False

    def allows(self, scrapers: Pods) -> tuple[list[Allow], list[Allow]]:
        """The row's ingress and egress allows, flags included."""
        ingress = list(self.ingress)
        egress = list(self.egress)
        if self.metrics_ports:
            ingress.append(Allow("from-scrapers", scrapers, self.metrics_ports))
        if self.webhook_ports:
            ingress.append(Allow("from-control-plane", "control-plane", self.webhook_ports))
        if self.api_server:
            egress.append(Allow("to-api-server", "control-plane", (443,)))
        return ingress, egress


@dataclass(frozen=True)
class NamespaceIsolationArgs:
    kubernetes_provider: k8s.Provider
    rows: Mapping[str, NamespaceRules]  # namespace -> its rules (the namespaces must exist: opts.depends_on)
    places: Mapping[str, Sequence[pulumi.Input[str]]]  # each Place -> its CIDRs
    scrapers: Pods  # the pods that scrape metrics
    vpc_cidr: str  # "internet" is everything but this
    # namespace -> what makes it: its policies wait for that alone (the rest wait for opts.depends_on)
    made_by: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    # the namespaces in the ambient mesh (rows or not), and how meshed traffic reaches a pod
    meshed: frozenset[str] = frozenset()
    mesh: MeshTraffic | None = None

    def __post_init__(self) -> None:
        wanted = {a.peer for r in self.rows.values() for a in (*r.ingress, *r.egress) if isinstance(a.peer, str)}
        if any(r.webhook_ports or r.api_server for r in self.rows.values()):
            wanted.add("control-plane")
        missing = sorted(p for p in wanted if p != "internet" and not self.places.get(p))
        if missing:
            raise ValueError(f"no addresses given for {', '.join(missing)}")
        if self.meshed and self.mesh is None:
            raise ValueError("meshed namespaces need the mesh's ports (mesh)")
        for namespace, row in self.rows.items():
            ingress, egress = row.allows(self.scrapers)
            purposes = [a.purpose for a in (*ingress, *egress)]
            clashes = sorted({p for p in purposes if purposes.count(p) > 1 or p in RESERVED_PURPOSES})
            if clashes:
                raise ValueError(f"{namespace}: each allow needs its own purpose, {', '.join(clashes)} is taken")


RESERVED_PURPOSES = frozenset({"default-deny-all", "to-dns", "within-namespace", "from-kubelet-probes"})


def with_hbone(allow: Allow, namespace: str, meshed: frozenset[str], mesh: MeshTraffic | None) -> Allow:
    """``allow`` of a row in ``namespace``, with the HBONE port added to its ports when both ends are in the
    mesh (the row's namespace and its peer's: pods of a meshed namespace, or of any namespace)."""
    if mesh is None or namespace not in meshed or not allow.ports or "TCP" not in allow.protocols:
        return allow
    peer = allow.peer
    if not isinstance(peer, Pods) or (peer.namespace is not None and peer.namespace not in meshed):
        return allow
    if mesh.hbone_port in allow.ports:
        return allow
    return Allow(allow.purpose, allow.peer, (*allow.ports, mesh.hbone_port), allow.pods, allow.protocols)


class NamespaceIsolation(pulumi.ComponentResource):
    """The default deny and the allows of every row; ``policies`` by namespace, for tests."""

    policies: dict[str, list[k8s.networking.v1.NetworkPolicy]]

    def __init__(self, name: str, args: NamespaceIsolationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:isolation:NamespaceIsolation", name, None, opts)
        after = list(opts.depends_on) if opts is not None and isinstance(opts.depends_on, list) else []
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=after or None)
        self.policies = {}

        def peer(allow: Allow) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
            if isinstance(allow.peer, Pods):
                namespaces = (
                    k8s.meta.v1.LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": allow.peer.namespace})
                    if allow.peer.namespace is not None
                    else k8s.meta.v1.LabelSelectorArgs()
                )
                return [
                    k8s.networking.v1.NetworkPolicyPeerArgs(
                        namespace_selector=namespaces,
                        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(allow.peer.labels) or None),
                    )
                ]
            if allow.peer == "internet":
                return [
                    k8s.networking.v1.NetworkPolicyPeerArgs(
                        ip_block=k8s.networking.v1.IPBlockArgs(cidr="0.0.0.0/0", except_=[args.vpc_cidr])
                    )
                ]
            return [
                k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
                for cidr in args.places[allow.peer]
            ]

        def ports(numbers: Sequence[int], protocols: Sequence[str] = ("TCP",)) -> list | None:
            found = [k8s.networking.v1.NetworkPolicyPortArgs(protocol=p, port=n) for n in numbers for p in protocols]
            return found or None

        for namespace, row in sorted(args.rows.items()):
            maker = args.made_by.get(namespace)
            after_maker = (
                on_cluster
                if maker is None
                else pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[maker])
            )
            made: list[k8s.networking.v1.NetworkPolicy] = []

            def policy(
                purpose: str,
                spec: k8s.networking.v1.NetworkPolicySpecArgs,
                namespace: str = namespace,
                made: list[k8s.networking.v1.NetworkPolicy] = made,
                after_maker: pulumi.ResourceOptions = after_maker,
            ) -> None:
                made.append(
                    k8s.networking.v1.NetworkPolicy(
                        f"{namespace}-{purpose}",
                        metadata=k8s.meta.v1.ObjectMetaArgs(name=purpose, namespace=namespace),
                        spec=spec,
                        opts=after_maker,
                    )
                )

            every_pod = k8s.meta.v1.LabelSelectorArgs()
            deny = k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=every_pod, policy_types=["Ingress", "Egress"])
            if not row.deny_after_allows:
                policy("default-deny-all", deny)
            dns = Allow("to-dns", DNS)
            policy(
                "to-dns",
                k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=every_pod,
                    policy_types=["Egress"],
                    egress=[
                        k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=peer(dns), ports=ports((53,), ("UDP", "TCP")))
                    ],
                ),
            )
            if row.same_namespace:
                own = [k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=every_pod)]
                policy(
                    "within-namespace",
                    k8s.networking.v1.NetworkPolicySpecArgs(
                        pod_selector=every_pod,
                        policy_types=["Ingress", "Egress"],
                        ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=own)],
                        egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=own)],
                    ),
                )
            ingress, egress = row.allows(args.scrapers)
            ingress = [with_hbone(a, namespace, args.meshed, args.mesh) for a in ingress]
            egress = [with_hbone(a, namespace, args.meshed, args.mesh) for a in egress]
            if args.mesh is not None and namespace in args.meshed:
                policy("from-kubelet-probes", kubelet_probes_spec(every_pod, args.mesh.probe_source_cidr))
            for allow in ingress:
                policy(
                    allow.purpose,
                    k8s.networking.v1.NetworkPolicySpecArgs(
                        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(allow.pods) or None),
                        policy_types=["Ingress"],
                        ingress=[
                            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                                from_=peer(allow), ports=ports(allow.ports, allow.protocols)
                            )
                        ],
                    ),
                )
            for allow in egress:
                policy(
                    allow.purpose,
                    k8s.networking.v1.NetworkPolicySpecArgs(
                        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(allow.pods) or None),
                        policy_types=["Egress"],
                        egress=[
                            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                                to=peer(allow), ports=ports(allow.ports, allow.protocols)
                            )
                        ],
                    ),
                )
            if row.deny_after_allows:
                allows = list(made)
                policy(
                    "default-deny-all",
                    deny,
                    after_maker=pulumi.ResourceOptions.merge(after_maker, pulumi.ResourceOptions(depends_on=allows)),
                )
            self.policies[namespace] = made
        self.register_outputs({"namespaces": sorted(args.rows)})
