"""The Ingress component: ALB + WAF, TLS 1.3 only, NGINX least_conn (its add-on, a child) and the ACME issuer."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.addons.base import unknown_keys
from components.addons.nginx_ingress import PIN as NGINX_INGRESS
from components.ingress import ALB_TLS_POLICY, HTTP_NODE_PORT, HTTPS_NODE_PORT, Ingress, IngressArgs
from components.parts import installs_crds
from components.waf import AWS_MANAGED_RULE_GROUPS
from infra.config import IngressConfig, ProtectionConfig
from tests.support import AWS, build, by_urn, of_type, one

HOSTS = ("api.platform.example.com", "www.platform.example.com")
NODE_SG = "sg-0nodes0000000000"
SPEC = IngressConfig.model_validate(
    {
        "hostnames": list(HOSTS),
        "dnsZoneId": "Z0TESTZONE",
        "dnsZoneName": "platform.example.com",
        "acmeEmail": "ops@example.com",
        "acmeEnvironment": "production",
        "replicas": 3,
        "minAvailable": 2,
        "wafRateLimit": 2000,
        "hstsMaxAgeSeconds": 31_536_000,
    }
)
RELEASE = "kubernetes:helm.sh/v3:Release"
STAND_IN = "kubernetes:core/v1:ConfigMap"


def ingress(spec: IngressConfig = SPEC, **overrides: Any) -> list[dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # What the caller makes it wait for: cert-manager's and the Prometheus Operator's CRDs (stand-ins
        # marked as the releases that install them).
        crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        installs_crds(crds, {"cert-manager.io", "acme.cert-manager.io"})
        monitoring_crds = k8s.core.v1.ConfigMap("monitoring-crds", opts=pulumi.ResourceOptions(provider=provider))
        installs_crds(monitoring_crds, {"monitoring.coreos.com"})
        fields: dict[str, Any] = {
            "spec": spec,
            "name_prefix": "platform-test",
            "aws": AWS,
            "vpc_id": "vpc-0test",
            "public_subnet_ids": ["subnet-pub0", "subnet-pub1", "subnet-pub2"],
            "node_security_group_id": NODE_SG,
            "node_autoscaling_group_name": "eks-workers-asg",
            "kubernetes_provider": provider,
            "protection": ProtectionConfig(),
            **overrides,
        }
        Ingress("ingress", IngressArgs(**fields), opts=pulumi.ResourceOptions(depends_on=[crds, monitoring_crds]))

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return ingress()


def _release(resources: list[dict[str, Any]], chart: str) -> dict[str, Any]:
    (release,) = [r for r in of_type(resources, RELEASE) if r["inputs"]["chart"] == chart]
    return release


def test_alb_is_public_in_the_public_subnets_and_drops_invalid_headers(resources: list[dict[str, Any]]) -> None:
    alb = one(resources, "aws:lb/loadBalancer:LoadBalancer")["inputs"]
    assert alb["loadBalancerType"] == "application" and alb["internal"] is False
    assert alb["subnets"] == ["subnet-pub0", "subnet-pub1", "subnet-pub2"]
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["enableDeletionProtection"] is True
    assert alb["enableWafFailOpen"] is False


def test_unprotected_when_protection_says_so() -> None:
    resources = ingress(protection=ProtectionConfig(protect=False, deletion_protection=False))
    assert one(resources, "aws:lb/loadBalancer:LoadBalancer")["inputs"]["enableDeletionProtection"] is False
    assert one(resources, "aws:kms/key:Key").get("protect", False) is False


def test_node_ports_are_fixed_inside_the_kubernetes_node_port_range() -> None:
    assert (HTTP_NODE_PORT, HTTPS_NODE_PORT) == (30080, 30443)
    assert all(30000 <= port <= 32767 for port in (HTTP_NODE_PORT, HTTPS_NODE_PORT))


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
    assert issuer["inputs"]["metadata"]["name"] == "letsencrypt-production"
    assert acme["privateKeySecretRef"] == {"name": "letsencrypt-production-account"}
    assert solver["dns01"]["route53"]["region"] == AWS.region
    crds = one(resources, STAND_IN, "crds-stand-in")
    assert crds["urn"] in issuer["dependencies"], "the issuer waits for cert-manager's CRDs (opts.depends_on)"
    monitoring_crds = one(resources, STAND_IN, "monitoring-crds")
    assert monitoring_crds["urn"] not in issuer["dependencies"], "not for the Prometheus Operator's"


def test_staging_server_is_passed_through() -> None:
    resources = ingress(SPEC.model_copy(update={"acme_environment": "staging"}))
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
    assert controller["service"]["httpPort"]["nodePort"] == 30080
    assert values["prometheus"] == {
        "create": True,
        "port": 9113,
        "service": {"create": True},
        "serviceMonitor": {"create": True},
    }


def test_nginx_is_its_add_on_a_child_of_the_ingress_waiting_for_the_callers_crds(
    resources: list[dict[str, Any]],
) -> None:
    component = one(resources, "platform:ingress:Ingress")
    addon = one(resources, "platform:addons:NginxIngress")
    assert addon["parent"] == component["urn"]
    release = _release(resources, "nginx-ingress")
    assert release["parent"] == addon["urn"]
    inputs = release["inputs"]
    assert (inputs["version"], inputs["repositoryOpts"]["repo"]) == (NGINX_INGRESS.version, NGINX_INGRESS.repository)
    assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True
    assert inputs["namespace"] == "nginx-ingress"
    assert one(resources, STAND_IN, "monitoring-crds")["urn"] in release["dependencies"], "its ServiceMonitor's CRD"
    # cert-manager's comes with the certificate it waits for, not again.
    assert one(resources, STAND_IN, "crds-stand-in")["urn"] not in release["dependencies"]
    namespace = one(resources, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert namespace["name"] == "nginx-ingress"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"


def test_no_service_monitor_without_the_prometheus_operator() -> None:
    values = _release(ingress(service_monitor=False), "nginx-ingress")["inputs"]["values"]
    assert "serviceMonitor" not in values["prometheus"]
    assert unknown_keys(NGINX_INGRESS, values) == []


def test_outputs_name_the_class_issuer_and_tls_secret(resources: list[dict[str, Any]]) -> None:
    outputs = one(resources, "platform:ingress:Ingress")["outputs"]
    assert outputs["ingress_class_name"] == "nginx"
    assert outputs["cluster_issuer_name"] == "letsencrypt-production"
    assert outputs["tls_secret"] == "nginx-ingress/edge-tls"
    assert outputs["load_balancer_arn"] == one(resources, "aws:lb/loadBalancer:LoadBalancer")["outputs"]["arn"]


def test_single_replica_gets_no_pdb() -> None:
    single = ingress(SPEC.model_copy(update={"replicas": 1, "min_available": 0}))
    values = _release(single, "nginx-ingress")["inputs"]["values"]
    assert values["controller"]["replicaCount"] == 1
    assert values["controller"]["podDisruptionBudget"] == {"enabled": False}


def test_everything_is_inside_the_component(resources: list[dict[str, Any]]) -> None:
    urns = by_urn(resources)
    component = one(resources, "platform:ingress:Ingress")

    def inside(resource: dict[str, Any]) -> bool:
        parent = urns.get(resource["parent"])
        while parent is not None and parent["urn"] != component["urn"]:
            parent = urns.get(parent.get("parent", ""))
        return parent is not None

    children = [
        r for r in resources if r["custom"] and not r["type"].startswith("pulumi:providers:") and r["type"] != STAND_IN
    ]
    assert children and all(inside(r) for r in children), [r["urn"] for r in children if not inside(r)]
    direct = {r["parent"] for r in children}
    assert direct == {component["urn"], one(resources, "platform:addons:NginxIngress")["urn"]}
    assert of_type(resources, "platform:addons:CertManager") == [], "cert-manager is its own add-on now"


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


def test_waf_blocks_with_five_groups_sql_injection_and_anonymous_ips_included(resources: list[dict[str, Any]]) -> None:
    rules = one(resources, "aws:wafv2/webAcl:WebAcl")["inputs"]["rules"]
    managed = {r["name"]: r for r in rules if "managedRuleGroupStatement" in r["statement"]}
    assert len(managed) >= 5
    assert {"AWSManagedRulesSQLiRuleSet", "AWSManagedRulesAnonymousIpList"} <= set(managed)
    assert all("none" in r["overrideAction"] for r in managed.values()), "the groups' own block actions apply"


def test_a_group_named_in_config_only_counts() -> None:
    spec = IngressConfig.model_validate(
        {**SPEC.model_dump(by_alias=True), "wafCountOnly": ["AWSManagedRulesAnonymousIpList"]}
    )
    rules = one(ingress(spec), "aws:wafv2/webAcl:WebAcl")["inputs"]["rules"]
    modes = {r["name"]: set(r["overrideAction"]) for r in rules if "managedRuleGroupStatement" in r["statement"]}
    assert modes["AWSManagedRulesAnonymousIpList"] == {"count"}
    assert all(m == {"none"} for g, m in modes.items() if g != "AWSManagedRulesAnonymousIpList")


def test_the_config_refuses_an_unknown_count_only_group() -> None:
    with pytest.raises(ValueError, match=r"is not one of the WAF.s rule groups"):
        IngressConfig.model_validate({**SPEC.model_dump(by_alias=True), "wafCountOnly": ["AWSManagedRulesNope"]})


def test_alb_access_logs_go_to_a_private_tls_only_bucket_elb_may_write(resources: list[dict[str, Any]]) -> None:
    import json

    from components.alb_logs import ELB_LOG_ACCOUNTS, log_delivery_principal

    alb = one(resources, "aws:lb/loadBalancer:LoadBalancer")
    bucket = one(resources, "aws:s3/bucket:Bucket")
    assert alb["inputs"]["accessLogs"] == {"bucket": bucket["id"], "prefix": "alb", "enabled": True}
    policy_resource = one(resources, "aws:s3/bucketPolicy:BucketPolicy")
    assert policy_resource["urn"] in alb["dependencies"]
    statements = {s["Sid"]: s for s in json.loads(policy_resource["inputs"]["policy"])["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    write = statements["LoadBalancerAccessLogs"]
    assert write["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}  # us-east-1's ELB account
    assert write["Resource"].endswith("/alb/AWSLogs/123456789012/*") and write["Action"] == "s3:PutObject"
    sse = one(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    block = one(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    assert all(
        block[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    versioning = one(resources, "aws:s3/bucketVersioning:BucketVersioning")["inputs"]
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    (rule,) = one(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["inputs"]["rules"]
    assert rule["status"] == "Enabled" and rule["expiration"]["days"] == SPEC.access_log_retention_days == 365
    # A region opened after August 2022 has no ELB account: the log-delivery service writes there.
    assert "ca-west-1" not in ELB_LOG_ACCOUNTS
    assert log_delivery_principal("ca-west-1", "aws") == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
