"""Who may talk to whom in the logging namespace: everything denied, then each flow of the logs allowed.

Helpers of :class:`components.logging.Logging` (children parented to it), not a component of their own.
The pods are selected by the labels ECK and the Fluent Bit chart give them.

- Fluent Bit -> Logstash (its HTTP input); Fluent Bit -> the Kubernetes API (pod metadata);
- Logstash, Kibana, the setup Job, Grafana, ECK's operator -> Elasticsearch's HTTP port;
- Elasticsearch <-> Elasticsearch (the transport port); Elasticsearch -> HTTPS (S3 and STS: the
  snapshots; S3's addresses are AWS's public ranges, reached through the VPC's gateway endpoint);
- the consoles' proxy -> Kibana; Prometheus -> Fluent Bit's metrics; every pod -> cluster DNS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import PeerPods

ES_PODS = {"elasticsearch.k8s.elastic.co/cluster-name": "logs"}
KIBANA_PODS = {"kibana.k8s.elastic.co/name": "logs"}
LOGSTASH_PODS = {"logstash.k8s.elastic.co/name": "logs"}
FLUENT_BIT_PODS = {"app.kubernetes.io/name": "fluent-bit", "app.kubernetes.io/instance": "fluent-bit"}
SETUP_PODS = {"app.kubernetes.io/name": "elasticsearch-setup"}
ES_HTTP, ES_TRANSPORT, KIBANA_HTTP, LOGSTASH_HTTP, FLUENT_BIT_METRICS = 9200, 9300, 5601, 8080, 2020

Peer = k8s.networking.v1.NetworkPolicyPeerArgs
Port = k8s.networking.v1.NetworkPolicyPortArgs
Ingress = k8s.networking.v1.NetworkPolicyIngressRuleArgs
Egress = k8s.networking.v1.NetworkPolicyEgressRuleArgs


@dataclass(frozen=True)
class Neighbours:
    """The pods outside the namespace that take part: cluster DNS, the ECK operator, Grafana, the
    consoles' proxies, Prometheus; and where the Kubernetes API answers (the VPC's ranges)."""

    dns: PeerPods
    operator_namespace: pulumi.Input[str]
    grafana: PeerPods
    consoles_namespace: str
    scrapers: PeerPods
    api_cidrs: Sequence[str]
    vpc_cidr: str  # nothing inside the VPC but the endpoints is reached over HTTPS
    endpoint_cidrs: Sequence[str]  # the private subnets, where the interface endpoints (STS) answer


def _here(labels: Mapping[str, str]) -> Peer:
    return Peer(pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels)))


def _there(namespace: pulumi.Input[str], labels: Mapping[str, str] | None = None) -> Peer:
    return Peer(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": namespace}),
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels)) if labels else None,
    )


def _tcp(port: int) -> Port:
    return Port(protocol="TCP", port=port)


def network_policies(name: str, namespace: pulumi.Input[str], peers: Neighbours, opts: pulumi.ResourceOptions) -> None:
    def policy(suffix: str, pods: Mapping[str, str], ingress: list[Ingress], egress: list[Egress]) -> None:
        types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules]
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{suffix}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=suffix, namespace=namespace),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pods)),
                policy_types=types,
                ingress=ingress or None,
                egress=egress or None,
            ),
            opts=opts,
        )

    k8s.networking.v1.NetworkPolicy(
        f"{name}-default-deny",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny", namespace=namespace),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
        ),
        opts=opts,
    )
    dns = peers.dns
    k8s.networking.v1.NetworkPolicy(
        f"{name}-dns",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-dns", namespace=namespace),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(),
            policy_types=["Egress"],
            egress=[
                Egress(
                    to=[_there(dns.namespace, dns.pod_labels)],
                    ports=[Port(protocol="UDP", port=53), Port(protocol="TCP", port=53)],
                )
            ],
        ),
        opts=opts,
    )
    # S3's public ranges (through the gateway endpoint) and the interface endpoints; not the rest of the
    # VPC, where the broker's management API also listens on 443.
    https_to_aws = Egress(
        to=[
            Peer(ip_block=k8s.networking.v1.IPBlockArgs(cidr="0.0.0.0/0", except_=[peers.vpc_cidr])),
            *(Peer(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)) for cidr in peers.endpoint_cidrs),
        ],
        ports=[_tcp(443)],
    )
    policy(
        "elasticsearch",
        ES_PODS,
        ingress=[
            Ingress(
                from_=[
                    _here(KIBANA_PODS),
                    _here(LOGSTASH_PODS),
                    _here(SETUP_PODS),
                    _there(peers.grafana.namespace, peers.grafana.pod_labels),
                    _there(peers.operator_namespace),
                ],
                ports=[_tcp(ES_HTTP)],
            ),
            Ingress(from_=[_here(ES_PODS)], ports=[_tcp(ES_TRANSPORT)]),
        ],
        egress=[Egress(to=[_here(ES_PODS)], ports=[_tcp(ES_TRANSPORT)])],
    )
    # S3 (the snapshots) and STS (the role's credentials) over HTTPS.
    policy("elasticsearch-to-aws-apis", ES_PODS, ingress=[], egress=[https_to_aws])
    to_elasticsearch = Egress(to=[_here(ES_PODS)], ports=[_tcp(ES_HTTP)])
    policy(
        "kibana",
        KIBANA_PODS,
        ingress=[Ingress(from_=[_there(peers.consoles_namespace)], ports=[_tcp(KIBANA_HTTP)])],
        egress=[to_elasticsearch],
    )
    policy(
        "logstash",
        LOGSTASH_PODS,
        ingress=[Ingress(from_=[_here(FLUENT_BIT_PODS)], ports=[_tcp(LOGSTASH_HTTP)])],
        egress=[to_elasticsearch],
    )
    policy(
        "fluent-bit",
        FLUENT_BIT_PODS,
        ingress=[
            Ingress(
                from_=[_there(peers.scrapers.namespace, peers.scrapers.pod_labels)], ports=[_tcp(FLUENT_BIT_METRICS)]
            )
        ],
        egress=[Egress(to=[_here(LOGSTASH_PODS)], ports=[_tcp(LOGSTASH_HTTP)])],
    )
    # The Kubernetes API (EKS's endpoint, with addresses in the VPC): the pods' metadata.
    policy(
        "fluent-bit-to-aws-apis",
        FLUENT_BIT_PODS,
        ingress=[],
        egress=[
            Egress(
                to=[Peer(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)) for cidr in peers.api_cidrs],
                ports=[_tcp(443)],
            )
        ],
    )
    policy("elasticsearch-setup", SETUP_PODS, ingress=[], egress=[to_elasticsearch])
