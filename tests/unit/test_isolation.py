"""The isolation component: one row makes a namespace's default deny, its DNS and exactly its allows."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.isolation import Allow, NamespaceIsolation, NamespaceIsolationArgs, NamespaceRules, Pods
from tests.support import build, of_type

SCRAPERS = Pods("monitoring", {"app.kubernetes.io/name": "prometheus"})
PLACES = {"control-plane": ["10.0.0.0/19"], "load-balancer": ["10.0.192.0/22"]}


def isolate(rows: dict[str, NamespaceRules]) -> list[dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        NamespaceIsolation("isolation", NamespaceIsolationArgs(provider, rows, PLACES, SCRAPERS, "10.0.0.0/16"))

    return build(program)


def test_a_row_is_a_default_deny_dns_and_its_allows() -> None:
    row = NamespaceRules(
        ingress=(Allow("from-edge", Pods("edge", {"app": "proxy"}), (8000,), {"app": "gateway"}),),
        egress=(Allow("to-internet", "internet", (443,)),),
        api_server=True,
        webhook_ports=(10250,),
        metrics_ports=(9402,),
    )
    policies = {
        p["inputs"]["metadata"]["name"]: p["inputs"]
        for p in of_type(isolate({"team": row}), "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert set(policies) == {
        "default-deny-all", "to-dns", "within-namespace", "from-edge", "to-internet", "from-scrapers",
        "from-control-plane", "to-api-server",
    }  # fmt: skip
    assert all(p["metadata"]["namespace"] == "team" for p in policies.values())
    assert policies["default-deny-all"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (dns,) = policies["to-dns"]["spec"]["egress"]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    (edge,) = policies["from-edge"]["spec"]["ingress"]
    assert policies["from-edge"]["spec"]["podSelector"] == {"matchLabels": {"app": "gateway"}}
    assert edge["from"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "edge"}}
    (out,) = policies["to-internet"]["spec"]["egress"]
    assert out["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/16"]}}]
    (api,) = policies["to-api-server"]["spec"]["egress"]
    assert api["to"] == [{"ipBlock": {"cidr": "10.0.0.0/19"}}] and api["ports"] == [{"protocol": "TCP", "port": 443}]


def test_a_row_without_same_namespace_traffic_gets_no_such_allow() -> None:
    made = isolate({"solo": NamespaceRules(same_namespace=False)})
    names = {p["inputs"]["metadata"]["name"] for p in of_type(made, "kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert names == {"default-deny-all", "to-dns"}


def test_rows_are_checked() -> None:
    provider = k8s.Provider.__new__(k8s.Provider)  # never used: the arguments fail first
    with pytest.raises(ValueError, match="no addresses given for aws-endpoints"):
        NamespaceIsolationArgs(
            provider, {"a": NamespaceRules(egress=(Allow("x", "aws-endpoints"),))}, PLACES, SCRAPERS, "10.0.0.0/16"
        )
    with pytest.raises(ValueError, match="to-dns is taken"):
        NamespaceIsolationArgs(
            provider, {"a": NamespaceRules(egress=(Allow("to-dns", "internet"),))}, PLACES, SCRAPERS, "10.0.0.0/16"
        )


def test_an_allow_names_its_protocols_and_a_live_namespace_denies_only_after_its_allows() -> None:
    live = NamespaceRules(
        ingress=(Allow("dns-from-pods", Pods(None), (53,), {"k8s-app": "kube-dns"}, ("UDP", "TCP")),),
        egress=(Allow("to-internet", "internet", (443,)),),
        same_namespace=False,
        deny_after_allows=True,
    )
    made = isolate({"live": live, "fresh": NamespaceRules(same_namespace=False)})
    policies = {
        (p["inputs"]["metadata"]["namespace"], p["inputs"]["metadata"]["name"]): p
        for p in of_type(made, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    (dns,) = policies[("live", "dns-from-pods")]["inputs"]["spec"]["ingress"]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    (out,) = policies[("live", "to-internet")]["inputs"]["spec"]["egress"]
    assert out["ports"] == [{"protocol": "TCP", "port": 443}]
    deny = policies[("live", "default-deny-all")]
    allows = {p["urn"] for (ns, name), p in policies.items() if ns == "live" and name != "default-deny-all"}
    assert len(allows) == 3 and allows <= set(deny["dependencies"])
    # A namespace made with its policies needs no such order.
    fresh = {p["urn"] for (ns, _), p in policies.items() if ns == "fresh"}
    assert not fresh & set(policies[("fresh", "default-deny-all")].get("dependencies", []))


def test_a_row_may_name_the_nodes_and_the_vpc_resolver_once_given() -> None:
    provider = k8s.Provider.__new__(k8s.Provider)
    rows = {"a": NamespaceRules(egress=(Allow("to-resolver", "vpc-resolver", (53,), {}, ("UDP",)),))}
    with pytest.raises(ValueError, match="no addresses given for vpc-resolver"):
        NamespaceIsolationArgs(provider, rows, PLACES, SCRAPERS, "10.0.0.0/16")
    NamespaceIsolationArgs(provider, rows, {**PLACES, "vpc-resolver": ["10.0.0.2/32"]}, SCRAPERS, "10.0.0.0/16")


def test_a_meshed_row_opens_hbone_only_towards_meshed_peers_and_admits_the_probes() -> None:
    from components.mesh import AMBIENT_TRAFFIC

    rows = {
        "edge": NamespaceRules(
            ingress=(Allow("from-load-balancer", "load-balancer", (443,)),),
            egress=(Allow("to-gateway", Pods("gateway"), (8000,)), Allow("to-outsider", Pods("outside"), (4180,))),
            metrics_ports=(9113,),
        ),
        "outside": NamespaceRules(ingress=(Allow("from-edge", Pods("edge"), (4180,)),)),
    }

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        args = NamespaceIsolationArgs(
            provider, rows, PLACES, SCRAPERS, "10.0.0.0/16", meshed=frozenset({"edge", "gateway", "monitoring"}),
            mesh=AMBIENT_TRAFFIC,
        )  # fmt: skip
        NamespaceIsolation("isolation", args)

    policies = {r["inputs"]["metadata"]["namespace"] + "/" + r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]
                for r in of_type(build(program), "kubernetes:networking.k8s.io/v1:NetworkPolicy")}  # fmt: skip

    def ports(name: str, direction: str) -> list[int]:
        return [p["port"] for p in policies[name][direction][0]["ports"]]

    assert ports("edge/to-gateway", "egress") == [8000, 15008]  # meshed to meshed: the tunnel too
    assert ports("edge/from-scrapers", "ingress") == [9113, 15008]  # Prometheus is meshed
    assert ports("edge/to-outsider", "egress") == [4180]  # a peer outside the mesh gets plain TCP
    assert ports("edge/from-load-balancer", "ingress") == [443]  # a place is never meshed
    assert ports("outside/from-edge", "ingress") == [4180]  # a row outside the mesh is unchanged
    assert policies["edge/from-kubelet-probes"]["ingress"] == [{"from": [{"ipBlock": {"cidr": "169.254.7.127/32"}}]}]
    assert "outside/from-kubelet-probes" not in policies
    with pytest.raises(ValueError, match="mesh's ports"):
        NamespaceIsolationArgs(k8s.Provider("k8s2", kubeconfig="{}"), rows, PLACES, SCRAPERS, "10.0.0.0/16",
                               meshed=frozenset({"edge"}))  # fmt: skip
