"""The committed stacks' edge, as `infra plan` writes it: load balancing, TLS, WAF and the gateway."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from infra.config import config_from_stack_file, read_stack_file
from tests.support import ROOT, of_type, one

Planned = Any


def _release(resources: list[dict[str, Any]], chart: str) -> dict[str, Any]:
    (release,) = [r for r in of_type(resources, "kubernetes:helm.sh/v3:Release") if r["inputs"]["chart"] == chart]
    return release


def _manifests(out: Path, kind: str) -> list[dict[str, Any]]:
    docs = [yaml.safe_load(p.read_text()) for p in sorted((out / "manifests").glob("*.yaml"))]
    return [d for d in docs if d["kind"] == kind]


def _name(resource: dict[str, Any]) -> str:
    return str(resource["urn"].rsplit("::", 1)[-1])


def test_prod_nginx_release_balances_by_least_connections(planned: Planned) -> None:
    out, resources = planned("prod")
    release = _release(resources, "nginx-ingress")
    assert release["inputs"]["repositoryOpts"]["repo"] == "https://helm.nginx.com/stable"
    assert release["inputs"]["values"]["controller"]["config"]["entries"]["lb-method"] == "least_conn"
    helm = yaml.safe_load((out / "helm" / "nginx-ingress.yaml").read_text())
    assert helm["values"]["controller"]["config"]["entries"]["lb-method"] == "least_conn"


def test_prod_has_cert_manager_and_a_lets_encrypt_production_cluster_issuer(planned: Planned) -> None:
    out, resources = planned("prod")
    assert _release(resources, "cert-manager")["inputs"]["values"]["crds"]["enabled"] is True
    (issuer,) = _manifests(out, "ClusterIssuer")
    assert issuer["apiVersion"] == "cert-manager.io/v1"
    assert issuer["spec"]["acme"]["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    (certificate,) = _manifests(out, "Certificate")
    assert certificate["spec"]["issuerRef"]["name"] == issuer["metadata"]["name"]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_non_prod_stacks_use_lets_encrypts_staging_endpoint(planned: Planned, stack: str) -> None:
    out, _ = planned(stack)
    (issuer,) = _manifests(out, "ClusterIssuer")
    assert issuer["spec"]["acme"]["server"] == "https://acme-staging-v02.api.letsencrypt.org/directory"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_acme_endpoint_comes_from_the_stack_file(planned: Planned, stack: str) -> None:
    cfg = config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml"))
    assert cfg.ingress is not None
    out, _ = planned(stack)
    (issuer,) = _manifests(out, "ClusterIssuer")
    assert issuer["spec"]["acme"]["server"] == cfg.ingress.acme_server


def test_prod_clients_get_tls_1_3_only(planned: Planned) -> None:
    _, resources = planned("prod")
    listeners = of_type(resources, "aws:lb/listener:Listener")
    https = [r["inputs"] for r in listeners if r["inputs"]["protocol"] == "HTTPS"]
    assert https and all(r["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06" for r in https)
    plain = [r["inputs"] for r in listeners if r["inputs"]["protocol"] == "HTTP"]
    assert plain and all(r["defaultActions"][0]["type"] == "redirect" for r in plain)
    entries = _release(resources, "nginx-ingress")["inputs"]["values"]["controller"]["config"]["entries"]
    assert entries["ssl-protocols"] == "TLSv1.3"
    assert entries["hsts"] == "true"


def test_prod_waf_has_managed_groups_and_a_rate_rule_and_guards_the_alb(planned: Planned) -> None:
    _, resources = planned("prod")
    acl = one(resources, "aws:wafv2/webAcl:WebAcl")
    statements = [r["statement"] for r in acl["inputs"]["rules"]]
    groups = {s["managedRuleGroupStatement"]["name"] for s in statements if "managedRuleGroupStatement" in s}
    assert groups == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesAnonymousIpList",
        "AWSManagedRulesSQLiRuleSet",
    }
    assert [s["rateBasedStatement"]["limit"] for s in statements if "rateBasedStatement" in s] == [2000]
    association = one(resources, "aws:wafv2/webAclAssociation:WebAclAssociation")
    alb = one(resources, "aws:lb/loadBalancer:LoadBalancer")
    assert association["inputs"]["resourceArn"] == alb["outputs"]["arn"]
    assert association["inputs"]["webAclArn"] == acl["outputs"]["arn"]
    assert {alb["urn"], acl["urn"]} <= set(association["dependencies"])


def test_prod_alb_is_in_the_public_subnets(planned: Planned) -> None:
    _, resources = planned("prod")
    public = sorted(
        r["id"] for r in of_type(resources, "aws:ec2/subnet:Subnet") if r["inputs"]["tags"]["Tier"] == "public"
    )
    alb = one(resources, "aws:lb/loadBalancer:LoadBalancer")["inputs"]
    assert sorted(alb["subnets"]) == public and alb["internal"] is False


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nothing_but_the_albs_80_and_443_is_open_to_the_internet(planned: Planned, stack: str) -> None:
    _, resources = planned(stack)
    world = []
    for rule in of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        cidr = rule["inputs"].get("cidrIpv4")
        if cidr and ipaddress.IPv4Network(cidr).prefixlen == 0:
            world.append((rule["inputs"]["fromPort"], rule["inputs"]["toPort"]))
    for group in of_type(resources, "aws:ec2/securityGroup:SecurityGroup"):
        for rule in group["inputs"].get("ingress") or []:
            assert "0.0.0.0/0" not in (rule.get("cidrBlocks") or []), _name(group)
    assert sorted(world) == [(80, 80), (443, 443)]


def test_prod_kong_release_proxies_on_8000(planned: Planned) -> None:
    out, resources = planned("prod")
    values = _release(resources, "kong")["inputs"]["values"]
    assert values["proxy"]["http"]["containerPort"] == 8000
    assert values["env"]["database"] == "off"
    assert values["admin"]["enabled"] is False
    (public,) = [i for i in _manifests(out, "Ingress") if i["spec"]["ingressClassName"] == "nginx"]
    backends = {p["backend"]["service"]["port"]["number"] for r in public["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {8000}


def test_prod_service_routes_carry_jwt_and_rate_limiting(planned: Planned) -> None:
    out, _ = planned("prod")
    plugins = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in _manifests(out, "KongPlugin")}
    routes = [i for i in _manifests(out, "Ingress") if i["spec"]["ingressClassName"] == "kong"]
    targets: dict[tuple[str, int], set[str]] = {}
    for route in routes:
        attached = route["metadata"].get("annotations", {}).get("konghq.com/plugins", "").split(",")
        kinds = {plugins[(route["metadata"]["namespace"], name)]["plugin"] for name in attached}
        for rule in route["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                service = path["backend"]["service"]
                targets.setdefault((service["name"], service["port"]["number"]), set()).update(kinds)
    assert {"jwt", "rate-limiting"} <= targets[("user-service", 8001)]
    assert {"jwt", "rate-limiting"} <= targets[("analytics", 8002)]
    (jwt,) = [p for p in plugins.values() if p["plugin"] == "jwt"]
    assert jwt["config"]["maximum_expiration"] == 900
    (limit,) = [p for p in _manifests(out, "KongClusterPlugin") if p["plugin"] == "rate-limiting"]
    assert limit["metadata"]["labels"]["global"] == "true"


def test_prod_has_a_health_route_answered_by_kong(planned: Planned) -> None:
    out, _ = planned("prod")
    plugins = {p["metadata"]["name"]: p for p in _manifests(out, "KongPlugin")}
    (health,) = [
        i
        for i in _manifests(out, "Ingress")
        if any(p["path"] == "/health" for r in i["spec"]["rules"] for p in r["http"]["paths"])
    ]
    assert health["spec"]["ingressClassName"] == "kong"
    terminator = plugins[health["metadata"]["annotations"]["konghq.com/plugins"]]
    assert terminator["plugin"] == "request-termination" and terminator["config"]["status_code"] == 200


def test_prod_edge_dependencies_reach_the_plan(planned: Planned) -> None:
    _, resources = planned("prod")
    by_name = {(r["type"], _name(r)): r for r in resources}
    attachment = by_name[("aws:autoscaling/attachment:Attachment", "ingress-nginx-nodes")]
    assert by_name[("aws:eks/nodeGroup:NodeGroup", "cluster-workers")]["urn"] in attachment["dependencies"]
    assert attachment["inputs"]["autoscalingGroupName"].startswith("eks-")
    public = by_name[("kubernetes:networking.k8s.io/v1:Ingress", "gateway-public")]
    nginx = by_name[("kubernetes:helm.sh/v3:Release", "ingress-nginx")]
    assert nginx["urn"] in public["dependencies"], "NGINX's Ingress waits for the controller"
    https = by_name[("aws:lb/listener:Listener", "ingress-https")]
    validation = by_name[("aws:acm/certificateValidation:CertificateValidation", "ingress-alb-cert")]
    assert validation["urn"] in https["dependencies"]
    role = by_name[("aws:iam/role:Role", "cert-manager-irsa")]
    assert (
        by_name[("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "cluster-oidc")]["urn"] in role["dependencies"]
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_edge_manifests_of_built_in_kinds_validate(planned: Planned, stack: str) -> None:
    out, _ = planned(stack)
    cfg = config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml"))
    checked = 0
    for path in sorted((out / "manifests").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        if doc["kind"] in ("Namespace", "Ingress", "Service"):
            kubernetes_validate.validate(doc, cfg.cluster.kubernetes_version, strict=True)
            checked += 1
    assert checked >= 9


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nginx_and_kong_are_scraped_once_the_prometheus_operator_is_in(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    releases = {r["inputs"]["chart"]: r for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    operator = releases["kube-prometheus-stack"]["urn"]
    crds = releases["prometheus-operator-crds"]["urn"]
    nginx, kong = releases["nginx-ingress"], releases["kong"]
    assert nginx["inputs"]["values"]["prometheus"]["serviceMonitor"] == {"create": True}
    assert nginx["inputs"]["values"]["prometheus"]["service"] == {"create": True}
    assert kong["inputs"]["values"]["serviceMonitor"] == {"enabled": True, "trustCRDsExist": True}
    # Their ServiceMonitors need the CRDs only (their own release), not the operator or its Prometheus.
    for release in (nginx, kong):
        assert crds in release["dependencies"] and operator not in release["dependencies"], release["urn"]
