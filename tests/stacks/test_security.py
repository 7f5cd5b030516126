"""Defence in depth inside the cluster, read in the planned stacks: every platform namespace isolated, the
gateway's proxy reached from the edge only, the datastores from their clients only, identities with only
what they need."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.isolation import namespace_rules
from tests.conftest import STACKS
from tests.support import of_type, one, policy

Plan = Any
DATASTORE_PORTS = {5432, 6379, 5671, 27017}
PLATFORM_NAMESPACES = {
    "nginx-ingress", "kong", "monitoring", "cert-manager", "external-secrets", "argo-rollouts", "reloader",
    "istio-system",
}  # fmt: skip


def manifests(out_dir: Path, kind: str) -> list[dict[str, Any]]:
    found = [yaml.safe_load(p.read_text()) for p in sorted((out_dir / "manifests").glob("*.yaml"))]
    return [m for m in found if m["kind"] == kind]


def is_default_deny(spec: dict[str, Any]) -> bool:
    return spec == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


@pytest.mark.parametrize("stack", STACKS)
def test_every_namespace_the_platform_creates_denies_by_default(planned: Plan, stack: str) -> None:
    out_dir, _ = planned(stack)
    namespaces = {m["metadata"]["name"] for m in manifests(out_dir, "Namespace")}
    assert PLATFORM_NAMESPACES | {"apps"} <= namespaces
    denied = {p["metadata"]["namespace"] for p in manifests(out_dir, "NetworkPolicy") if is_default_deny(p["spec"])}
    assert namespaces <= denied
    # Each row of the table gets DNS and only the allows it names.
    policies = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in manifests(out_dir, "NetworkPolicy")}
    for namespace in PLATFORM_NAMESPACES:
        assert (namespace, "to-dns") in policies


def test_only_the_edge_reaches_the_gateways_proxy(planned: Plan) -> None:
    out_dir, _ = planned("prod")
    into_kong = [
        rule
        for p in manifests(out_dir, "NetworkPolicy")
        if p["metadata"]["namespace"] == "kong"
        for rule in p["spec"].get("ingress", [])
        if any(port["port"] == 8000 for port in rule.get("ports", []))
    ]
    (rule,) = into_kong
    (peer,) = rule["from"]
    assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "nginx-ingress"}}
    assert peer["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "nginx-ingress"}}


def test_no_pod_outside_apps_may_connect_to_the_data_subnets(planned: Plan) -> None:
    out_dir, resources = planned("prod")
    data = [
        ipaddress.ip_network(s["inputs"]["cidrBlock"])
        for s in of_type(resources, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["Tier"] == "data"
    ]
    for p in manifests(out_dir, "NetworkPolicy"):
        if p["metadata"]["namespace"] == "apps":
            continue
        for rule in p["spec"].get("egress", []):
            ports = {port.get("port") for port in rule.get("ports", [])}
            if ports and not ports & DATASTORE_PORTS:
                continue  # e.g. 443 anywhere: no datastore listens there for clients (security groups)
            for peer in rule.get("to", []):
                block = peer.get("ipBlock")
                if block is None:
                    continue
                carved = [ipaddress.ip_network(c) for c in block.get("except", [])]
                net = ipaddress.ip_network(block["cidr"])
                reaches = [d for d in data if d.overlaps(net) and not any(d.subnet_of(c) for c in carved)]
                assert not reaches, (p["metadata"]["namespace"], p["metadata"]["name"])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_datastores_admit_only_their_clients_pods_security_group(planned: Plan, stack: str) -> None:
    out_dir, resources = planned(stack)
    clients = one(resources, "aws:ec2/securityGroup:SecurityGroup", "datastore-clients")
    (sgp,) = manifests(out_dir, "SecurityGroupPolicy")
    assert sgp["apiVersion"] == "vpcresources.k8s.aws/v1beta1" and sgp["metadata"]["namespace"] == "apps"
    assert sgp["spec"]["securityGroups"]["groupIds"] == [clients["id"]]
    assert sgp["spec"]["podSelector"]["matchExpressions"][0]["values"] == [
        "analytics",
        "data-processing",
        "user-service",
    ]
    for store in ("postgres", "redis", "rabbitmq", "documentdb"):
        admitting = [
            r
            for r in of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r["urn"].rsplit("::", 1)[-1].startswith(f"{store}-sg-from-")
        ]
        assert [r["inputs"]["referencedSecurityGroupId"] for r in admitting] == [clients["id"]], store
    egress = [
        r["inputs"]
        for r in of_type(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r["inputs"]["securityGroupId"] == clients["id"]
    ]
    endpoints = one(resources, "aws:ec2/securityGroup:SecurityGroup", "network-endpoints")["id"]
    https = [e for e in egress if e["fromPort"] == 443]
    assert [e.get("referencedSecurityGroupId") for e in https] == [endpoints]  # AWS APIs: endpoints only
    assert all("cidrIpv4" not in e or e["fromPort"] in (5432, 6379, 5671, 27017) for e in egress)
    cni = json.loads(one(resources, "aws:eks/addon:Addon", "cluster-vpc-cni")["inputs"]["configurationValues"])
    assert cni["env"]["ENABLE_POD_ENI"] == "true"


def test_dev_without_trunk_enis_admits_the_cluster_group(planned: Plan) -> None:
    _, resources = planned("dev")
    assert not [g for g in of_type(resources, "aws:ec2/securityGroup:SecurityGroup") if "datastore-clients" in g["urn"]]


@pytest.mark.parametrize("stack", STACKS)
def test_no_key_policy_gives_every_kms_action_and_only_the_issuer_signs(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    for key in of_type(resources, "aws:kms/key:Key"):
        for statement in policy(key, "policy")["Statement"]:
            actions = statement.get("Action", [])
            assert "kms:*" not in ([actions] if isinstance(actions, str) else actions), key["urn"]
    signing = one(resources, "aws:kms/key:Key", "token-signing-key")
    statements = {s["Sid"]: s for s in policy(signing, "policy")["Statement"]}
    issuer = f"arn:aws:iam::123456789012:role/platform-{stack}-user-service"
    assert statements["OnlyTheTokenIssuerSigns"]["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [issuer]}}
    assert statements["NobodyElseSigns"]["Effect"] == "Deny"
    assert statements["NobodyElseSigns"]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [issuer]}}
    assert not any("Sign" in a for a in statements["KeyAdministrators"]["Action"])
    assert one(resources, "aws:iam/role:Role", "user-service-irsa")["inputs"]["name"] == issuer.rsplit("/", 1)[-1]


def test_prod_keys_are_administered_by_the_configured_roles(planned: Plan) -> None:
    _, resources = planned("prod")
    for key in of_type(resources, "aws:kms/key:Key"):
        (admins,) = [s for s in policy(key, "policy")["Statement"] if s["Sid"] == "KeyAdministrators"]
        assert admins["Principal"] == {"AWS": ["arn:aws:iam::123456789012:role/platform-deployer"]}, key["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_ingress_controllers_watch_only_the_namespaces_they_serve(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    releases = {
        r["inputs"]["chart"]: r["inputs"]["values"] for r in of_type(resources, "kubernetes:helm.sh/v3:Release")
    }
    assert releases["kong"]["ingressController"]["watchNamespaces"] == ["kong", "apps"]
    watched = set(releases["nginx-ingress"]["controller"]["watchNamespace"].split(","))
    assert {"kong", "nginx-ingress"} <= watched <= {"kong", "nginx-ingress", "consoles"}
    assert (
        releases["nginx-ingress"]["controller"]["watchSecretNamespace"]
        == releases["nginx-ingress"]["controller"]["watchNamespace"]
    )


def test_the_table_names_every_platform_namespace() -> None:
    assert PLATFORM_NAMESPACES | {"consoles", "elastic-system", "kube-system"} == set(namespace_rules("apps"))


def test_each_namespaces_policies_wait_for_the_namespace(planned: Plan) -> None:
    _, resources = planned("prod")
    by_urn = {r["urn"]: r for r in resources}

    def waits_for(urn: str) -> set[str]:
        seen: set[str] = set()
        todo = [urn]
        while todo:
            for dependency in by_urn[todo.pop()].get("dependencies", []):
                if dependency not in seen and dependency in by_urn:
                    seen.add(dependency)
                    todo.append(dependency)
        return seen

    namespaces = {r["inputs"]["metadata"]["name"]: r["urn"] for r in of_type(resources, "kubernetes:core/v1:Namespace")}
    for policy_ in of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        namespace = policy_["inputs"]["metadata"]["namespace"]
        if namespace in PLATFORM_NAMESPACES:
            assert namespaces[namespace] in waits_for(policy_["urn"]), policy_["urn"]


def test_a_namespaces_policies_do_not_wait_for_the_other_namespaces(planned: Plan) -> None:
    """Each row waits for what makes its namespace, not for every maker (the logs' setup takes minutes)."""
    _, resources = planned("prod")
    by_urn = {r["urn"]: r for r in resources}
    policies = [
        p
        for p in of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p["inputs"]["metadata"]["namespace"] == "argo-rollouts"
    ]
    assert policies
    for policy_ in policies:
        seen: set[str] = set()
        todo = [policy_["urn"]]
        while todo:
            for dependency in by_urn[todo.pop()].get("dependencies", []):
                if dependency not in seen and dependency in by_urn:
                    seen.add(dependency)
                    todo.append(dependency)
        assert not [u for u in seen if "::logging" in u or "elasticsearch" in u], policy_["urn"]
