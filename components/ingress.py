"""The public entry: ALB + WAF in front of NGINX Inc's ingress controller, certificates from ACM and Let's Encrypt.

Chain (see docs/edge.md)::

    client --TLS 1.3 only (ACM certificate)--> ALB [WAFv2 web ACL] --HTTPS (Let's Encrypt certificate)-->
    NGINX on fixed NodePorts (TLS 1.3 only, least_conn, HSTS) --> Kong proxy :8000 --> services

- WAFv2 cannot sit on a Network Load Balancer, so the public load balancer is an internet-facing ALB in the
  public subnets. It terminates the client's TLS with an ACM certificate (an ALB cannot present a
  certificate that cert-manager keeps in a Kubernetes Secret) under ``ELBSecurityPolicy-TLS13-1-3-2021-06``
  (TLS 1.3 only), answers port 80 with a 301 to HTTPS, and adds the HSTS header.
- The ALB re-encrypts to NGINX. NGINX presents the Let's Encrypt certificate (issued by cert-manager through
  DNS-01 on Route 53) as its default and wildcard certificate, because the ALB sends no SNI to targets, and
  accepts TLS 1.3 only. The target group balances by least outstanding requests; NGINX by ``least_conn``.
- The ALB health check uses plain HTTP on the HTTP NodePort (``/nginx-health``): an ALB HTTPS health check
  fails against a TLS 1.3-only target.
- Security groups: the ALB admits 80/443 from anywhere and may only reach the nodes' two NodePorts; the
  nodes admit those two ports from the ALB's group only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.addons import cert_manager
from components.addons.nginx_ingress import RELEASE as NGINX_RELEASE
from components.addons.nginx_ingress import NginxIngress, NginxIngressArgs, NginxIngressSettings
from components.alb_logs import PREFIX as ACCESS_LOG_PREFIX
from components.alb_logs import access_log_bucket
from components.parts import certificate as tls_certificate
from components.parts import crds_for, depends_on_of, namespace
from components.waf import web_acl
from infra.aws_context import AwsContext
from infra.config.edge import IngressConfig
from infra.config.workloads import ProtectionConfig

ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"  # TLS 1.3 only, the client side of the ALB
NGINX_NAMESPACE = "nginx-ingress"
HTTP_NODE_PORT = 30080
HTTPS_NODE_PORT = 30443
TLS_SECRET = "edge-tls"
INGRESS_CLASS = "nginx"
HEALTH_PATH = "/nginx-health"
MONITORING_API = "monitoring.coreos.com/v1"  # NGINX's ServiceMonitor


# Marks the public load balancer's group for people reading the account; the policy pack decides the
# exception for 80/443 from which resources use the group, never from this tag.
PUBLIC_EXPOSURE_TAG = {"Exposure": "internet"}


@dataclass(frozen=True)
class IngressArgs:
    spec: IngressConfig
    name_prefix: str
    aws: AwsContext
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    node_security_group_id: pulumi.Input[str]
    node_autoscaling_group_name: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    protection: ProtectionConfig
    # The Prometheus Operator is installed (give its CRDs' release in opts.depends_on): NGINX gets a ServiceMonitor.
    service_monitor: bool = True
    # Hostnames other components route through this edge (the operators' UIs), after spec.hostnames: on
    # the ALB's certificate and in DNS; NGINX's own certificate and the gateway keep to spec.hostnames.
    extra_hostnames: Sequence[str] = ()
    # The namespaces whose Ingresses NGINX serves (the gateway's, the consoles'); its own is added.
    served_namespaces: Sequence[str] = ()
    # Labels of NGINX's namespace besides its Pod Security level (the mesh's enrolment).
    namespace_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def cluster_issuer_name(self) -> str:
        return f"letsencrypt-{self.spec.acme_environment}"


class Ingress(pulumi.ComponentResource):
    load_balancer_arn: pulumi.Output[str]
    load_balancer_dns_name: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    certificate_arn: pulumi.Output[str]
    ingress_class_name: pulumi.Output[str]
    cluster_issuer_name: pulumi.Output[str]
    tls_secret: pulumi.Output[str]
    namespace: pulumi.Output[str]  # NGINX's, from its Namespace

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:ingress:Ingress", name, None, opts)
        # What the ClusterIssuer and NGINX wait for: cert-manager's and the Prometheus Operator's CRDs,
        # each the release of its own kind (crds_for).
        self._after = depends_on_of(opts)
        issuer, certificate = self._issuer(name, args)
        nginx = self._nginx(name, args, certificate)
        alb, acm_arn = self._load_balancer(name, args, nginx)
        acl = web_acl(self, name, args, alb)

        self.load_balancer_arn = alb.arn
        self.load_balancer_dns_name = alb.dns_name
        self.web_acl_arn = acl.arn
        self.certificate_arn = acm_arn
        # Read through the release, so Ingresses of this class wait until the controller is installed.
        self.ingress_class_name = nginx.release.name.apply(lambda _: INGRESS_CLASS)
        self.cluster_issuer_name = issuer.id.apply(lambda _: args.cluster_issuer_name)
        self.tls_secret = certificate.id.apply(lambda _: f"{NGINX_NAMESPACE}/{TLS_SECRET}")
        self.register_outputs(
            {
                "load_balancer_arn": self.load_balancer_arn,
                "load_balancer_dns_name": self.load_balancer_dns_name,
                "web_acl_arn": self.web_acl_arn,
                "certificate_arn": self.certificate_arn,
                "ingress_class_name": self.ingress_class_name,
                "cluster_issuer_name": self.cluster_issuer_name,
                "tls_secret": self.tls_secret,
            }
        )

    # -- the ACME issuer and the certificate NGINX presents (cert-manager acts on them) ----------
    def _issuer(
        self, name: str, args: IngressArgs
    ) -> tuple[k8s.apiextensions.CustomResource, k8s.apiextensions.CustomResource]:
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        spec = args.spec
        after_crds = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=crds_for(self._after, cert_manager.API_VERSION)
        )
        issuer = k8s.apiextensions.CustomResource(
            f"{name}-issuer",
            api_version=cert_manager.API_VERSION,
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.cluster_issuer_name),
            spec={
                "acme": {
                    "server": spec.acme_server,
                    "email": spec.acme_email,
                    "privateKeySecretRef": {"name": f"{args.cluster_issuer_name}-account"},
                    "solvers": [
                        {
                            "selector": {"dnsZones": [spec.dns_zone_name]},
                            # Ambient credentials: the controller's IRSA role (ClusterIssuers may use them).
                            "dns01": {"route53": {"region": args.aws.region, "hostedZoneID": spec.dns_zone_id}},
                        }
                    ],
                }
            },
            opts=after_crds,
        )
        nginx_namespace = namespace(f"{name}-nginx-ns", NGINX_NAMESPACE, on_cluster, labels=args.namespace_labels)
        self.namespace = nginx_namespace.metadata.name
        # NGINX refuses to start without its default certificate: the builder waits until it is issued.
        certificate = tls_certificate(
            f"{name}-certificate",
            TLS_SECRET,
            nginx_namespace.metadata.name,
            spec.hostnames,
            args.cluster_issuer_name,
            pulumi.ResourceOptions(
                parent=self, provider=args.kubernetes_provider, depends_on=[issuer, nginx_namespace]
            ),
        )
        return issuer, certificate

    # -- NGINX ---------------------------------------------------------------------------------
    def _nginx(self, name: str, args: IngressArgs, certificate: k8s.apiextensions.CustomResource) -> NginxIngress:
        spec = args.spec
        settings = NginxIngressSettings(
            release=NGINX_RELEASE,
            replicas=spec.replicas,
            min_available=spec.min_available,
            default_tls_secret=f"{NGINX_NAMESPACE}/{TLS_SECRET}",
            http_node_port=HTTP_NODE_PORT,
            https_node_port=HTTPS_NODE_PORT,
            hsts_max_age_seconds=spec.hsts_max_age_seconds,
            ingress_class=INGRESS_CLASS,
            service_monitor=args.service_monitor,
            watch_namespaces=(NGINX_NAMESPACE, *args.served_namespaces) if args.served_namespaces else (),
        )
        return NginxIngress(
            f"{name}-nginx",
            NginxIngressArgs(
                kubernetes_provider=args.kubernetes_provider,
                namespace=certificate.id.apply(lambda _: NGINX_NAMESPACE),
                settings=settings,
                # The release was this component's own child before the add-on had a component.
                moved={f"{name}-nginx": pulumi.Alias(parent=self)},
            ),
            # Its ServiceMonitor's CRD; cert-manager's comes with the certificate it waits for.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[certificate, *(crds_for(self._after, MONITORING_API) if args.service_monitor else [])],
            ),
        )

    # -- the ALB, its certificate, listeners, security groups and DNS ---------------------------
    def _load_balancer(
        self, name: str, args: IngressArgs, nginx: NginxIngress
    ) -> tuple[aws.lb.LoadBalancer, pulumi.Output[str]]:
        child = pulumi.ResourceOptions(parent=self)
        hosts = [*args.spec.hostnames, *args.extra_hostnames]
        acm = aws.acm.Certificate(
            f"{name}-alb-cert",
            domain_name=hosts[0],
            subject_alternative_names=hosts[1:] or None,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            opts=child,
        )
        validation_records = []
        for i, host in enumerate(hosts):
            option = acm.domain_validation_options.apply(functools.partial(_validation_option, host=host))
            validation_records.append(
                aws.route53.Record(
                    f"{name}-acm-{i}",
                    zone_id=args.spec.dns_zone_id,
                    name=option.apply(lambda o: o.resource_record_name or ""),
                    type=option.apply(lambda o: o.resource_record_type or "CNAME"),
                    records=[option.apply(lambda o: o.resource_record_value or "")],
                    ttl=300,
                    allow_overwrite=True,
                    opts=child,
                )
            )
        validated = aws.acm.CertificateValidation(
            f"{name}-alb-cert",
            certificate_arn=acm.arn,
            validation_record_fqdns=[r.fqdn for r in validation_records],
            opts=child,
        )

        sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            description="Public ALB: HTTP and HTTPS from the internet, NodePorts of NGINX towards the nodes",
            tags={"Name": f"{args.name_prefix}-alb", **PUBLIC_EXPOSURE_TAG},
            opts=child,
        )
        for port in (80, 443):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-in-{port}",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4="0.0.0.0/0",
                description=f"{'HTTPS' if port == 443 else 'HTTP (redirected to HTTPS)'} from the internet",
                tags=PUBLIC_EXPOSURE_TAG,
                opts=child,
            )
        for port in (HTTP_NODE_PORT, HTTPS_NODE_PORT):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-alb-out-{port}",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=args.node_security_group_id,
                description=f"to NGINX's NodePort {port} on the nodes",
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-nodes-in-{port}",
                security_group_id=args.node_security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=sg.id,
                description=f"NGINX's NodePort {port} from the public ALB",
                opts=child,
            )

        logs, logs_policy = access_log_bucket(self, name, args)
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            subnets=args.public_subnet_ids,
            security_groups=[sg.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=args.protection.deletion_protection,
            enable_waf_fail_open=False,
            xff_header_processing_mode="append",
            idle_timeout=60,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.id, prefix=ACCESS_LOG_PREFIX, enabled=True),
            # ELB checks that it may write into the bucket when logging is turned on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-nginx-tg",
            vpc_id=args.vpc_id,
            target_type="instance",
            protocol="HTTPS",
            protocol_version="HTTP1",
            port=HTTPS_NODE_PORT,
            load_balancing_algorithm_type="least_outstanding_requests",
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",  # an HTTPS health check fails on a TLS 1.3-only target
                port=str(HTTP_NODE_PORT),
                path=HEALTH_PATH,
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=2,
            ),
            opts=child,
        )
        aws.autoscaling.Attachment(
            f"{name}-nginx-nodes",
            autoscaling_group_name=args.node_autoscaling_group_name,
            lb_target_group_arn=target_group.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[nginx.release]),
        )
        aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=ALB_TLS_POLICY,
            certificate_arn=validated.certificate_arn,
            routing_http_response_strict_transport_security_header_value=(
                f"max-age={args.spec.hsts_max_age_seconds}; includeSubDomains"
            ),
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)],
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=child,
        )
        for i, host in enumerate(hosts):
            aws.route53.Record(
                f"{name}-host-{i}",
                zone_id=args.spec.dns_zone_id,
                name=host,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(name=alb.dns_name, zone_id=alb.zone_id, evaluate_target_health=True)
                ],
                opts=child,
            )
        return alb, validated.certificate_arn


def _validation_option(
    options: list[aws.acm.outputs.CertificateDomainValidationOption] | None, host: str
) -> aws.acm.outputs.CertificateDomainValidationOption:
    found = [o for o in options or [] if o.domain_name == host]
    if not found:
        raise pulumi.RunError(f"ACM returned no DNS validation record for {host}")
    return found[0]
