"""The Ingress component: ALB + WAF, TLS 1.3 only, NGINX least_conn, cert-manager and the ACME issuer."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.ingress import ALB_TLS_POLICY, AWS_MANAGED_RULE_GROUPS, Ingress, IngressArgs
from infra.charts import CERT_MANAGER, NGINX_INGRESS, unknown_keys
from infra.config import ACME_SERVERS
from tests.support import AWS, build, by_urn, of_type, one, policy

HOSTS = ("api.platform.example.com", "www.platform.example.com")
NODE_SG = "sg-0nodes0000000000"


def args(provider: k8s.Provider, **overrides: Any) -> IngressArgs:
    base = IngressArgs(
        name_prefix="platform-test",
        aws=AWS,
        vpc_id="vpc-0test",
        public_subnet_ids=["subnet-pub0", "subnet-pub1", "subnet-pub2"],
        node_security_group_id=NODE_SG,
        node_autoscaling_group_name="eks-workers-asg",
        oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        oidc_issuer_url="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
        kubernetes_provider=provider,
        hostnames=HOSTS,
        dns_zone_id="Z0TESTZONE",
        dns_zone_name="platform.example.com",
        acme_email="ops@example.com",
        acme_server=ACME_SERVERS["production"],
        cluster_issuer_name="letsencrypt-production",
        replicas=3,
        min_available=2,
        waf_rate_limit=2000,
        hsts_max_age_seconds=31_536_000,
    )
    return dataclasses.replace(base, **overrides)


def ingress(**overrides: Any) -> list[dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        Ingress("ingress", args(provider, **overrides))

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return ingress()


def _release(resources: list[dict[str, Any]], chart: str) -> dict[str, Any]:
    (release,) = [r for r in of_type(resources, "kubernetes:helm.sh/v3:Release") if r["inputs"]["chart"] == chart]
    return release


def test_alb_is_public_in_the_public_subnets_and_drops_invalid_headers(resources: list[dict[str, Any]]) -> None:
    alb = one(resources, "aws:lb/loadBalancer:LoadBalancer")["inputs"]
    assert alb["loadBalancerType"] == "application" and alb["internal"] is False
    assert alb["subnets"] == ["subnet-pub0", "subnet-pub1", "subnet-pub2"]
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["enableDeletionProtection"] is True
    assert alb["enableWafFailOpen"] is False


def test_only_80_and_443_are_open_to_the_internet(resources: list[dict[str, Any]]) -> None:
    sg = one(resources, "aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in sg["inputs"] and "egress" not in sg["inputs"], "rules are separate resources"
    rules = of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    world = [r["inputs"] for r in rules if r["inputs"].get("cidrIpv4") == "0.0.0.0/0"]
    assert sorted((r["fromPort"], r["toPort"]) for r in world) == [(80, 80), (443, 443)]
    assert all(r["securityGroupId"] == sg["id"] for r in world)
    node_rules = [r["inputs"] for r in rules if r["inputs"]["securityGroupId"] == NODE_SG]
    assert sorted(r["fromPort"] for r in node_rules) == [30080, 30443]
    assert all(r["referencedSecurityGroupId"] == sg["id"] and r["fromPort"] == r["toPort"] for r in node_rules)
    egress = [r["inputs"] for r in of_type(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")]
    assert all(r["referencedSecurityGroupId"] == NODE_SG and "cidrIpv4" not in r for r in egress)
    assert sorted(r["fromPort"] for r in egress) == [30080, 30443]


def test_https_listener_is_tls_1_3_only_with_the_validated_certificate_and_hsts(
    resources: list[dict[str, Any]],
) -> None:
    listeners = {r["inputs"]["port"]: r for r in of_type(resources, "aws:lb/listener:Listener")}
    https = listeners[443]["inputs"]
    assert https["protocol"] == "HTTPS"
    assert https["sslPolicy"] == ALB_TLS_POLICY == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    validation = one(resources, "aws:acm/certificateValidation:CertificateValidation")
    assert https["certificateArn"] == validation["outputs"]["certificateArn"]
    assert validation["urn"] in listeners[443]["dependencies"]
    assert https["routingHttpResponseStrictTransportSecurityHeaderValue"] == "max-age=31536000; includeSubDomains"
    (action,) = listeners[80]["inputs"]["defaultActions"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}


def test_acm_certificate_is_dns_validated_for_every_hostname(resources: list[dict[str, Any]]) -> None:
    cert = one(resources, "aws:acm/certificate:Certificate")
    assert cert["inputs"]["domainName"] == HOSTS[0]
    assert cert["inputs"]["subjectAlternativeNames"] == list(HOSTS[1:])
    assert cert["inputs"]["validationMethod"] == "DNS"
    records = [r["inputs"] for r in of_type(resources, "aws:route53/record:Record")]
    cnames = [r for r in records if r["type"] == "CNAME"]
    assert len(cnames) == len(HOSTS) and all(r["name"].startswith("_") for r in cnames)
    aliases = {r["name"]: r for r in records if r["type"] == "A"}
    alb = one(resources, "aws:lb/loadBalancer:LoadBalancer")
    assert set(aliases) == set(HOSTS)
    assert all(a["aliases"][0]["name"] == alb["outputs"]["dnsName"] for a in aliases.values())


def test_target_group_reaches_nginx_over_https_and_health_checks_over_http(resources: list[dict[str, Any]]) -> None:
    tg = one(resources, "aws:lb/targetGroup:TargetGroup")["inputs"]
    assert (tg["protocol"], tg["port"], tg["targetType"]) == ("HTTPS", 30443, "instance")
    assert tg["loadBalancingAlgorithmType"] == "least_outstanding_requests"
    check = tg["healthCheck"]
    assert (check["protocol"], check["port"], check["path"]) == ("HTTP", "30080", "/nginx-health")
    attachment = one(resources, "aws:autoscaling/attachment:Attachment")["inputs"]
    assert attachment["autoscalingGroupName"] == "eks-workers-asg"
    assert attachment["lbTargetGroupArn"] == one(resources, "aws:lb/targetGroup:TargetGroup")["outputs"]["arn"]


def test_waf_has_the_managed_groups_and_a_rate_rule_and_is_on_the_alb(resources: list[dict[str, Any]]) -> None:
    acl = one(resources, "aws:wafv2/webAcl:WebAcl")
    assert acl["inputs"]["scope"] == "REGIONAL"
    rules = acl["inputs"]["rules"]
    managed = [
        r["statement"]["managedRuleGroupStatement"] for r in rules if "managedRuleGroupStatement" in r["statement"]
    ]
    assert [(m["vendorName"], m["name"]) for m in managed] == [("AWS", g) for g in AWS_MANAGED_RULE_GROUPS]
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(AWS_MANAGED_RULE_GROUPS)
    assert "AWSManagedRulesAmazonIpReputationList" in AWS_MANAGED_RULE_GROUPS
    (rate,) = [r for r in rules if "rateBasedStatement" in r["statement"]]
    assert rate["statement"]["rateBasedStatement"] == {
        "aggregateKeyType": "IP",
        "limit": 2000,
        "evaluationWindowSec": 300,
    }
    assert "block" in rate["action"]
    assert len({r["priority"] for r in rules}) == len(rules)
    association = one(resources, "aws:wafv2/webAclAssociation:WebAclAssociation")["inputs"]
    assert association["resourceArn"] == one(resources, "aws:lb/loadBalancer:LoadBalancer")["outputs"]["arn"]
    assert association["webAclArn"] == acl["outputs"]["arn"]


def test_cluster_issuer_uses_the_given_acme_server_with_dns01_in_the_zone(resources: list[dict[str, Any]]) -> None:
    issuer = one(resources, "kubernetes:cert-manager.io/v1:ClusterIssuer")
    acme = issuer["inputs"]["spec"]["acme"]
    assert acme["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert acme["email"] == "ops@example.com"
    (solver,) = acme["solvers"]
    assert solver["dns01"]["route53"]["hostedZoneID"] == "Z0TESTZONE"
    assert "accessKeyID" not in solver["dns01"]["route53"], "IRSA, no static keys"
    assert solver["selector"]["dnsZones"] == ["platform.example.com"]
    release = _release(resources, "cert-manager")
    assert release["urn"] in issuer["dependencies"], "the issuer waits for cert-manager's CRDs"


def test_staging_server_is_passed_through() -> None:
    resources = ingress(acme_server=ACME_SERVERS["staging"], cluster_issuer_name="letsencrypt-staging")
    issuer = one(resources, "kubernetes:cert-manager.io/v1:ClusterIssuer")
    assert issuer["inputs"]["spec"]["acme"]["server"] == "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert issuer["inputs"]["metadata"]["name"] == "letsencrypt-staging"


def test_certificate_covers_the_hostnames_and_nginx_waits_for_it(resources: list[dict[str, Any]]) -> None:
    cert = one(resources, "kubernetes:cert-manager.io/v1:Certificate")
    spec = cert["inputs"]["spec"]
    assert spec["dnsNames"] == list(HOSTS)
    assert spec["issuerRef"] == {"name": "letsencrypt-production", "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert cert["inputs"]["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    nginx = _release(resources, "nginx-ingress")
    assert cert["urn"] in nginx["dependencies"]
    tls = nginx["inputs"]["values"]["controller"]
    assert tls["defaultTLS"]["secret"] == tls["wildcardTLS"]["secret"] == f"nginx-ingress/{spec['secretName']}"


def test_nginx_balances_least_conn_tls13_only_with_hsts_redirect_pdb_and_spread(
    resources: list[dict[str, Any]],
) -> None:
    values = _release(resources, "nginx-ingress")["inputs"]["values"]
    assert unknown_keys(NGINX_INGRESS, values) == []
    entries = values["controller"]["config"]["entries"]
    assert entries["lb-method"] == "least_conn"
    assert entries["ssl-protocols"] == "TLSv1.3"
    assert entries["hsts"] == "true" and entries["hsts-max-age"] == "31536000"
    assert entries["ssl-redirect"] == "true"
    assert all(isinstance(v, str) for v in entries.values()), "ConfigMap data must be strings"
    controller = values["controller"]
    assert controller["replicaCount"] == 3
    assert controller["podDisruptionBudget"] == {"enabled": True, "minAvailable": 2}
    assert {c["topologyKey"] for c in controller["topologySpreadConstraints"]} >= {"topology.kubernetes.io/zone"}
    assert controller["service"]["type"] == "NodePort"
    assert controller["service"]["httpsPort"]["nodePort"] == 30443
    assert values["prometheus"] == {"create": True, "port": 9113, "service": {"create": True}}


def test_cert_manager_runs_with_an_irsa_role_limited_to_acme_txt_records_in_the_zone(
    resources: list[dict[str, Any]],
) -> None:
    release = _release(resources, "cert-manager")
    values = release["inputs"]["values"]
    assert unknown_keys(CERT_MANAGER, values) == []
    assert values["crds"]["enabled"] is True
    role = next(r for r in of_type(resources, "aws:iam/role:Role") if "cert-manager" in r["urn"])
    trust = policy(role, "assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:cert-manager:cert-manager" in trust.values()
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role["outputs"]["arn"]
    statements = policy(one(resources, "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    change = next(s for s in statements if s["Action"] == "route53:ChangeResourceRecordSets")
    assert change["Resource"] == "arn:aws:route53:::hostedzone/Z0TESTZONE"
    condition = change["Condition"]["ForAllValues:StringEquals"]
    assert condition["route53:ChangeResourceRecordSetsRecordTypes"] == ["TXT"]
    assert condition["route53:ChangeResourceRecordSetsNormalizedRecordNames"] == sorted(
        f"_acme-challenge.{h}" for h in HOSTS
    )
    assert all(s["Resource"] != "*" for s in statements)


def test_single_replica_gets_no_pdb() -> None:
    values = _release(ingress(replicas=1, min_available=0), "nginx-ingress")["inputs"]["values"]
    assert values["controller"]["podDisruptionBudget"] == {"enabled": False}


def test_everything_is_a_child_of_the_component(resources: list[dict[str, Any]]) -> None:
    urns = by_urn(resources)
    component = one(resources, "platform:ingress:Ingress")
    children = [r for r in resources if r["custom"] and not r["type"].startswith("pulumi:providers:")]
    assert children and all(r["parent"] == component["urn"] for r in children), [
        r["urn"] for r in children if r["parent"] not in urns
    ]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"hostnames": ()}, "at least one public hostname"),
        ({"min_available": 3}, "min_available must be below replicas"),
        ({"https_node_port": 443}, "outside the Kubernetes NodePort range"),
    ],
)
def test_args_reject_impossible_values(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(None, **override)  # type: ignore[arg-type]


def test_waf_logs_go_to_an_encrypted_group_without_tokens(resources: list[dict[str, Any]]) -> None:
    logging = one(resources, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")["inputs"]
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup")
    key = one(resources, "aws:kms/key:Key")
    assert logging["resourceArn"] == one(resources, "aws:wafv2/webAcl:WebAcl")["outputs"]["arn"]
    assert logging["logDestinationConfigs"] == [group["outputs"]["arn"]]
    assert group["inputs"]["name"].startswith("aws-waf-logs-")
    assert group["inputs"]["kmsKeyId"] == key["outputs"]["arn"] and key["inputs"]["enableKeyRotation"] is True
    assert key["protect"] is True
    redacted = {f["singleHeader"]["name"] for f in logging["redactedFields"]}
    assert redacted == {"authorization", "cookie"}
