"""kube-system isolated in every planned stack: a default deny that lands after exactly the allows its
workloads need (CoreDNS, metrics-server, the autoscaler, the EBS driver's controller), each for those pods
only and on their ports only."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.addons.cluster_autoscaler import METRICS_PORT
from components.addons.cluster_autoscaler import POD_LABELS as AUTOSCALER
from components.addons.metrics_server import POD_LABELS as METRICS_SERVER
from components.addons.metrics_server import PORT as METRICS_SERVER_PORT
from components.cluster import EBS_CSI_CONTROLLER_PODS as EBS_CSI
from infra.config import DEFAULT_INTERFACE_ENDPOINTS
from stacks.isolation import KUBE_SYSTEM, namespace_rules
from tests.conftest import STACKS
from tests.support import of_type

COREDNS = {"k8s-app": "kube-dns"}
PROMETHEUS = {"kubernetes.io/metadata.name": "monitoring"}
ALLOWS = {
    "dns-from-pods", "dns-from-nodes", "dns-metrics-from-scrapers", "metrics-server-from-control-plane",
    "metrics-server-from-scrapers", "autoscaler-from-scrapers", "dns-to-vpc-resolver", "metrics-server-to-kubelets",
    "autoscaler-to-aws-apis", "autoscaler-to-aws-endpoints", "ebs-csi-to-aws-endpoints", "to-api-server", "to-dns",
}  # fmt: skip


def kube_system(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        p["inputs"]["metadata"]["name"]: p
        for p in of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p["inputs"]["metadata"]["namespace"] == KUBE_SYSTEM
    }


def ports(rule: dict[str, Any]) -> set[tuple[str, int]]:
    return {(p["protocol"], int(p["port"])) for p in rule.get("ports", [])}


def cidrs(rule: dict[str, Any], side: str) -> set[str]:
    return {peer["ipBlock"]["cidr"] for peer in rule[side] if "ipBlock" in peer}


@pytest.mark.parametrize("stack", STACKS)
def test_kube_system_denies_by_default_after_exactly_its_allows(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    policies = kube_system(resources)
    # dev has no EC2 endpoint (platform:network.interfaceEndpoints): the EBS driver reaches EC2 through the NAT.
    through_nat = {"ebs-csi-to-aws-apis"} if stack == "dev" else set()
    assert set(policies) == ALLOWS | through_nat | {"default-deny-all"}
    deny = policies["default-deny-all"]
    assert deny["inputs"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    # Its pods run already: the deny lands only once every allow is in place.
    assert {p["urn"] for name, p in policies.items() if name != "default-deny-all"} <= set(deny["dependencies"])
    # Nothing but DNS and the API is open to every pod of kube-system; each other allow names its pods.
    for name, p in policies.items():
        selector = p["inputs"]["spec"]["podSelector"]
        assert (selector == {}) == (name in {"default-deny-all", "to-dns", "to-api-server"}), name


@pytest.mark.parametrize("stack", STACKS)
def test_coredns_answers_every_pod_and_node_and_asks_only_the_vpc_resolver(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    policies = kube_system(resources)
    vpc = next(r for r in resources if r["type"] == "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"]
    private = {
        s["inputs"]["cidrBlock"]
        for s in of_type(resources, "aws:ec2/subnet:Subnet")
        if s["inputs"].get("tags", {}).get("kubernetes.io/role/internal-elb") == "1"
    }
    into_dns = [p for p in policies.values() if p["inputs"]["spec"]["podSelector"] == {"matchLabels": COREDNS}]
    ingress = {
        p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]["ingress"][0]
        for p in into_dns
        if "ingress" in p["inputs"]["spec"]
    }
    assert set(ingress) == {"dns-from-pods", "dns-from-nodes", "dns-metrics-from-scrapers"}
    assert ingress["dns-from-pods"]["from"] == [{"namespaceSelector": {}, "podSelector": {}}]
    assert ports(ingress["dns-from-pods"]) == ports(ingress["dns-from-nodes"]) == {("UDP", 53), ("TCP", 53)}
    assert private and cidrs(ingress["dns-from-nodes"], "from") == private
    assert ingress["dns-metrics-from-scrapers"]["from"][0]["namespaceSelector"] == {"matchLabels": PROMETHEUS}
    assert ports(ingress["dns-metrics-from-scrapers"]) == {("TCP", 9153)}
    (out,) = policies["dns-to-vpc-resolver"]["inputs"]["spec"]["egress"]
    resolver = f"{ipaddress.IPv4Network(vpc).network_address + 2}/32"
    assert cidrs(out, "to") == {resolver, "169.254.169.253/32"}
    assert ports(out) == {("UDP", 53), ("TCP", 53)}


def test_metrics_server_is_reached_by_the_api_server_and_reaches_the_kubelets(planned: Any) -> None:
    _, resources = planned("prod")
    policies = kube_system(resources)
    for name in ("metrics-server-from-control-plane", "metrics-server-from-scrapers", "metrics-server-to-kubelets"):
        spec = policies[name]["inputs"]["spec"]
        assert spec["podSelector"] == {"matchLabels": METRICS_SERVER}, name
        (rule,) = spec.get("ingress", spec.get("egress"))
        assert ports(rule) == {("TCP", METRICS_SERVER_PORT)} == {("TCP", 10250)}, name
    api_server = policies["metrics-server-from-control-plane"]["inputs"]["spec"]["ingress"][0]
    to_api = policies["to-api-server"]["inputs"]["spec"]["egress"][0]
    assert cidrs(api_server, "from") == cidrs(to_api, "to")  # the control plane's interfaces
    (scrape,) = policies["autoscaler-from-scrapers"]["inputs"]["spec"]["ingress"]
    assert policies["autoscaler-from-scrapers"]["inputs"]["spec"]["podSelector"] == {"matchLabels": AUTOSCALER}
    assert ports(scrape) == {("TCP", METRICS_PORT)} == {("TCP", 8085)}
    for name in ("autoscaler-to-aws-apis", "autoscaler-to-aws-endpoints", "ebs-csi-to-aws-endpoints"):
        (rule,) = policies[name]["inputs"]["spec"]["egress"]
        assert ports(rule) == {("TCP", 443)}, name
    assert policies["ebs-csi-to-aws-endpoints"]["inputs"]["spec"]["podSelector"] == {"matchLabels": EBS_CSI}


def test_the_internet_is_open_to_a_controller_only_for_an_api_without_an_endpoint() -> None:
    def purposes(endpoints: tuple[str, ...]) -> set[str]:
        return {a.purpose for a in namespace_rules("apps", endpoints)[KUBE_SYSTEM].egress}

    default = purposes(DEFAULT_INTERFACE_ENDPOINTS)  # no EKS endpoint: the autoscaler's DescribeNodegroup
    assert {"autoscaler-to-aws-apis", "ebs-csi-to-aws-endpoints"} <= default
    assert "ebs-csi-to-aws-apis" not in default
    assert "autoscaler-to-aws-apis" not in purposes((*DEFAULT_INTERFACE_ENDPOINTS, "eks"))
    without_ec2 = tuple(e for e in DEFAULT_INTERFACE_ENDPOINTS if e != "ec2")
    assert {"autoscaler-to-aws-apis", "ebs-csi-to-aws-apis"} <= purposes(without_ec2)
