"""The public path (the system's requirements on load balancing, the API gateway and network
security): NGINX balances by least connections and speaks TLS 1.3 only; Kong's admin API stays inside
the cluster; the monitoring UIs are reached only through a login proxy; every internet-facing load
balancer sits behind the WAF."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import Props, get, listify, resource_rule, stack_rule

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


def _values(props: Props) -> Mapping[str, object] | None:
    values = get(props, "values", default={})
    return values if isinstance(values, Mapping) else None


def _nginx(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if get(props, "chart") != "nginx-ingress":
        return
    values = _values(props)
    if values is None:
        yield "the chart's values are hidden (a secret inside them?); pass secrets by reference"
        return
    entries = get(values, "controller", "config", "entries", default={})
    method = get(entries, "lb-method", default="random two least_conn")
    if method != "least_conn":
        yield f"NGINX balances with {method!r}, not least_conn"
    if str(get(entries, "ssl-protocols", default="")).split() != ["TLSv1.3"]:
        yield f"NGINX accepts {get(entries, 'ssl-protocols', default='TLSv1.2 TLSv1.3 (default)')!r}; TLSv1.3 only"
    if str(get(entries, "hsts", default="true")).lower() != "true":
        yield "HSTS is off"


def _kong(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if get(props, "chart") != "kong":
        return
    values = _values(props)
    if values is None:
        yield "the chart's values are hidden (a secret inside them?); pass secrets by reference"
        return
    admin = get(values, "admin", default={})
    if get(admin, "enabled", default=False) is True and (
        get(admin, "type", default="NodePort") != "ClusterIP" or get(admin, "ingress", "enabled") is True
    ):
        yield "Kong's admin API is exposed outside the cluster (admin.type / admin.ingress)"
    for part in ("manager", "portal", "portalapi"):
        section = get(values, part, default={})
        if (
            get(section, "enabled", default=True) is not False
            and get(section, "type", default="NodePort") != "ClusterIP"
        ):
            yield f"Kong's {part} is exposed outside the cluster; disable it or make it ClusterIP"
    if get(values, "proxy", "http", "servicePort", default=80) != 8000:
        yield "Kong's proxy does not listen on port 8000"


MONITORING_UIS = ("grafana", "prometheus", "alertmanager")
PROXY_SECRET_VALUES = ("clientID", "clientSecret", "cookieSecret")


def _consoles(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    chart = get(props, "chart")
    if chart not in ("kube-prometheus-stack", "oauth2-proxy"):
        return
    values = _values(props)
    if values is None:
        yield "the chart's values are hidden (a secret inside them?); pass secrets by reference"
        return
    if chart == "kube-prometheus-stack":
        for ui in MONITORING_UIS:
            if get(values, ui, "ingress", "enabled", default=False) is True:
                yield f"the chart makes an Ingress for {ui}, which would reach it without a login"
            if get(values, ui, "service", "type", default="ClusterIP") != "ClusterIP":
                yield f"{ui}'s Service is {get(values, ui, 'service', 'type')}, reachable without a login"
        return
    config = get(values, "config", default={})
    inline = [key for key in PROXY_SECRET_VALUES if get(config, key) is not None]
    if inline or not get(config, "existingSecret"):
        yield f"the login's credentials are values ({', '.join(inline) or 'no existingSecret'}), not a Secret by name"
    arguments = get(values, "extraArgs", default={})
    if str(get(arguments, "cookie-secure", default="true")).lower() != "true":
        yield "the session cookie is not Secure"
    domains = listify(get(config, "emailDomains", default=["*"]))
    if "*" in domains and not get(arguments, "allowed-group"):
        yield "any account of the identity provider gets in (emailDomains * without allowed-group)"
    if get(values, "service", "type", default="ClusterIP") != "ClusterIP":
        yield "the proxy's Service is not ClusterIP: publish it through an Ingress with TLS"


def _waf(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    associations = [r for r in args.resources if r.resource_type == WAF_ASSOCIATION]
    for lb in args.resources:
        if lb.resource_type not in LOAD_BALANCERS or get(lb.props, "internal") is True:
            continue
        if get(lb.props, "loadBalancerType", default="application") != "application":
            continue
        guarded = [
            a for a in associations if any(d.urn == lb.urn for d in a.property_dependencies.get("resourceArn", []))
        ]
        if not guarded:
            yield "the internet-facing load balancer has no WAF web ACL", lb.urn
            continue
        for association in guarded:
            for acl in association.property_dependencies.get("webAclArn", []):
                rules = listify(get(acl.props, "rules"))
                managed = {get(r, "statement", "managedRuleGroupStatement", "name") for r in rules} - {None}
                if (
                    not {
                        "AWSManagedRulesCommonRuleSet",
                        "AWSManagedRulesKnownBadInputsRuleSet",
                        "AWSManagedRulesAmazonIpReputationList",
                    }
                    <= managed
                ):
                    yield "the web ACL lacks AWS's common, known-bad-inputs or IP-reputation rule groups", acl.urn
                if not any(get(r, "statement", "rateBasedStatement") for r in rules):
                    yield "the web ACL has no rate-based rule", acl.urn


NGINX_EDGE = resource_rule(
    "edge-nginx-least-conn-tls13",
    "The NGINX Ingress Controller balances by least connections and accepts TLS 1.3 only, with HSTS.",
    Severity.HIGH,
    "Set controller.config.entries lb-method=least_conn, ssl-protocols=TLSv1.3, hsts=true in the NGINX chart's values.",
    (HELM_RELEASE,),
    _nginx,
)

KONG_ADMIN_PRIVATE = resource_rule(
    "gateway-admin-private",
    "Kong's admin API, manager and portal are not reachable from outside the cluster; the proxy listens on 8000.",
    Severity.CRITICAL,
    "Keep admin.enabled false (or ClusterIP without ingress), disable manager and portal, proxy.http.servicePort 8000.",
    (HELM_RELEASE,),
    _kong,
)

CONSOLES_BEHIND_LOGIN = resource_rule(
    "monitoring-uis-behind-login",
    "Grafana, Prometheus and Alertmanager get no Ingress and no LoadBalancer or NodePort Service of their "
    "own; the login proxy in front of them reads its credentials from a Secret, sets a Secure cookie and "
    "admits named e-mail domains or groups only.",
    Severity.CRITICAL,
    "Leave the UIs' ingress and service.type at the chart's defaults; publish them with platform:consoles "
    "mode: edge (components/consoles.py), which sets config.existingSecret, cookie-secure and the allow list.",
    (HELM_RELEASE,),
    _consoles,
)

WAF_IN_FRONT = stack_rule(
    "waf-on-public-load-balancer",
    "Every internet-facing application load balancer is associated with a WAF web ACL holding AWS's "
    "managed rule groups and a rate-based rule.",
    Severity.HIGH,
    "Associate an aws.wafv2.WebAcl (components/ingress.py builds one) with the load balancer.",
    _waf,
)

POLICIES = (NGINX_EDGE, KONG_ADMIN_PRIVATE, CONSOLES_BEHIND_LOGIN, WAF_IN_FRONT)
