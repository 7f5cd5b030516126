"""The public path (the system's requirements on load balancing, the API gateway and network
security): NGINX balances by least connections and speaks TLS 1.3 only, with no configuration
snippets that could override it; Kong's admin API stays inside the cluster; the monitoring UIs
are reached only through a login proxy; the only way in is the
internet-facing load balancer, behind a WAF whose managed rule groups block rather than count.

Chart values are read as the chart reads them: a key left out is the chart's default (NGINX's and
Kong's Services default to LoadBalancer), and a Helm template takes any non-empty string as true."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import (
    Props,
    get,
    helm_truthy,
    is_false,
    is_true,
    kind_of,
    listify,
    resource_rule,
    stack_rule,
)

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_RELEASES = (HELM_RELEASE, "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
REQUIRED_GROUPS = frozenset(
    {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"}
)
EXPOSED_TYPES = ("loadbalancer", "nodeport")
# ConfigMap keys of NGINX Inc's controller that inject raw configuration or replace its templates.
NGINX_RAW_CONFIG = (
    "main-snippets", "http-snippets", "location-snippets", "server-snippets", "stream-snippets",
    "main-template", "ingress-template", "virtualserver-template", "transportserver-template",
)  # fmt: skip


def _values(props: Props) -> Mapping[str, Any]:
    values = get(props, "values", default={})
    return values if isinstance(values, Mapping) else {}


def _nginx(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if get(props, "chart") != "nginx-ingress":
        return
    controller = get(_values(props), "controller", default={})
    entries = get(controller, "config", "entries", default={})
    method = get(entries, "lb-method", default="random two least_conn")
    if method != "least_conn":
        yield f"NGINX balances with {method!r}, not least_conn"
    if str(get(entries, "ssl-protocols", default="")).split() != ["TLSv1.3"]:
        yield f"NGINX accepts {get(entries, 'ssl-protocols', default='TLSv1.2 TLSv1.3 (default)')!r}; TLSv1.3 only"
    if not is_true(get(entries, "hsts", default="true")):
        yield "HSTS is off"
    if is_false(get(entries, "ssl-redirect", default="true")):
        yield "NGINX serves plain HTTP (ssl-redirect is off)"
    if helm_truthy(get(controller, "hostNetwork")) or helm_truthy(get(controller, "hostPort", "enable")):
        yield "NGINX's pods listen on the host's network or ports, around the load balancer"


def _snippets(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if args.resource_type in HELM_RELEASES:
        if get(props, "chart") != "nginx-ingress":
            return
        controller = get(_values(props), "controller", default={})
        if helm_truthy(get(controller, "enableSnippets")):
            yield "NGINX accepts configuration snippets (controller.enableSnippets) that can override its TLS settings"
        if helm_truthy(get(controller, "enableTLSPassthrough")):
            yield "NGINX passes TLS through (controller.enableTLSPassthrough), so its TLS settings do not apply"
        entries = get(controller, "config", "entries", default={})
        for key in NGINX_RAW_CONFIG:
            if helm_truthy(get(entries, key)):
                yield f"NGINX's configuration carries {key}, raw configuration that can override its TLS settings"
        return
    annotations = get(props, "metadata", "annotations", default={})
    for key, value in annotations.items() if isinstance(annotations, Mapping) else []:
        name = str(key).lower()
        if "snippet" in name or name.endswith("-template"):
            yield f"the annotation {key} injects raw NGINX configuration"
        elif name.endswith(("/ssl-redirect", "/force-ssl-redirect", "/redirect-to-https")) and is_false(value):
            yield f"the annotation {key} turns the redirect to HTTPS off"
    custom = kind_of(args.resource_type) in ("VirtualServer", "VirtualServerRoute", "TransportServer")
    if custom and any("snippets" in path for path in _paths(get(props, "spec", default={}))):
        yield "the resource carries NGINX configuration snippets"


def _paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield f"{path}.{key}"
            yield from _paths(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _paths(item, f"{path}[{index}]")


def _kong(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if get(props, "chart") != "kong":
        return
    values = _values(props)
    admin = get(values, "admin", default={})
    if helm_truthy(get(admin, "enabled", default=False)) and (
        str(get(admin, "type", default="NodePort")) != "ClusterIP" or helm_truthy(get(admin, "ingress", "enabled"))
    ):
        yield "Kong's admin API is exposed outside the cluster (admin.type / admin.ingress)"
    for part in ("manager", "portal", "portalapi"):
        section = get(values, part, default={})
        if helm_truthy(get(section, "enabled", default=True)) and (
            str(get(section, "type", default="NodePort")) != "ClusterIP"
            or helm_truthy(get(section, "ingress", "enabled"))
        ):
            yield f"Kong's {part} is exposed outside the cluster; disable it or make it ClusterIP"
    if get(values, "proxy", "http", "servicePort", default=80) != 8000:
        yield "Kong's proxy does not listen on port 8000"
    if helm_truthy(get(values, "deployment", "hostNetwork")):
        yield "Kong's pods share the host's network, around NGINX and the WAF"


def _exposed_in_values(values: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, type) of Service types LoadBalancer/NodePort set in chart values (of sections not disabled)."""
    if isinstance(values, Mapping):
        if "enabled" in values and not helm_truthy(values.get("enabled")):
            return
        for key, item in values.items():
            if str(key) in ("type", "serviceType") and str(item).strip().lower() in EXPOSED_TYPES:
                yield f"{path}.{key}".lstrip("."), str(item)
            else:
                yield from _exposed_in_values(item, f"{path}.{key}")
    elif isinstance(values, list | tuple):
        for index, item in enumerate(values):
            yield from _exposed_in_values(item, f"{path}[{index}]")


def _outside_the_edge(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    """Only NGINX's NodePorts, behind the public load balancer and its WAF, reach in from outside."""
    if kind_of(args.resource_type) == "Service":
        kind = str(get(props, "spec", "type", default="ClusterIP"))
        if kind.strip().lower() in EXPOSED_TYPES:
            yield f"a Service of type {kind} opens the cluster around the edge (the load balancer, WAF and NGINX)"
        if listify(get(props, "spec", "externalIPs")):
            yield "a Service with externalIPs opens the cluster around the edge"
        return
    chart, values = get(props, "chart"), _values(props)
    edge = "controller.service.type"
    for path, kind in _exposed_in_values(values):
        if chart == "nginx-ingress" and path == edge and kind == "NodePort":
            continue  # the edge itself: the ALB's targets
        yield f"the chart's {path} is {kind}: a Service around the edge"
    service = get(values, "controller", "service", default={})
    if chart == "nginx-ingress" and helm_truthy(get(service, "create", default=True)) and get(service, "type") is None:
        yield "NGINX's Service type is left to the chart's default, LoadBalancer: a second way in, without the WAF"
    proxy = get(values, "proxy", default={})
    if chart == "kong" and helm_truthy(get(proxy, "enabled", default=True)) and get(proxy, "type") is None:
        yield "Kong's proxy Service type is left to the chart's default, LoadBalancer: a way in around NGINX"


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
        if lb.resource_type not in LOAD_BALANCERS or is_true(get(lb.props, "internal")):
            continue
        if str(get(lb.props, "loadBalancerType", default="application")).lower() != "application":
            continue
        if is_true(get(lb.props, "enableWafFailOpen")):
            yield "the load balancer lets requests through when the WAF fails (enableWafFailOpen)", lb.urn
        guarded = [
            a for a in associations if any(d.urn == lb.urn for d in a.property_dependencies.get("resourceArn", []))
        ]
        if not guarded:
            yield "the internet-facing load balancer has no WAF web ACL", lb.urn
            continue
        for association in guarded:
            for acl in association.property_dependencies.get("webAclArn", []):
                yield from ((message, acl.urn) for message in _acl_problems(acl.props))


def _acl_problems(props: Props) -> Iterator[str]:
    rules = listify(get(props, "rules"))
    enforced: set[str] = set()
    for rule in rules:
        group = get(rule, "statement", "managedRuleGroupStatement", default={})
        name = get(group, "name")
        if name is None:
            continue
        if get(rule, "overrideAction", "count") is not None or get(rule, "overrideAction", "none") is None:
            yield f"the managed rule group {name} only counts (overrideAction count): it blocks nothing"
        elif str(get(group, "vendorName", default="")) == "AWS":
            enforced.add(str(name))
    missing = sorted(REQUIRED_GROUPS - enforced)
    if missing:
        yield f"the web ACL does not enforce AWS's {', '.join(missing)}"
    rate = [r for r in rules if get(r, "statement", "rateBasedStatement")]
    if not rate:
        yield "the web ACL has no rate-based rule"
    elif all(get(r, "action", "block") is None for r in rate):
        yield "the web ACL's rate-based rule does not block"
    if get(props, "defaultAction", "block") is None and get(props, "defaultAction", "allow") is None:
        yield "the web ACL has no default action"


NGINX_EDGE = resource_rule(
    "edge-nginx-least-conn-tls13",
    "The NGINX Ingress Controller balances by least connections and accepts TLS 1.3 only, with HSTS and the "
    "redirect to HTTPS, on its own ports (not the host's).",
    Severity.HIGH,
    "Set controller.config.entries lb-method=least_conn, ssl-protocols=TLSv1.3, hsts=true in the NGINX chart's values.",
    (HELM_RELEASE,),
    _nginx,
)

NO_CONFIG_SNIPPETS = resource_rule(
    "edge-no-config-snippets",
    "Nothing injects raw NGINX configuration that could override its TLS settings: no snippets or template "
    "overrides (controller.enableSnippets, *-snippets entries, snippet annotations), no TLS passthrough, no "
    "annotation turning the HTTPS redirect off.",
    Severity.HIGH,
    "Keep controller.enableSnippets false; express routing with Ingress rules and the controller's settings.",
    (*HELM_RELEASES, lambda t: kind_of(t) in ("Ingress", "VirtualServer", "VirtualServerRoute", "TransportServer")),
    _snippets,
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

ONLY_THE_EDGE = resource_rule(
    "no-load-balancer-outside-the-edge",
    "No Service of type LoadBalancer or NodePort (or with external IPs), in a manifest or a chart's values, "
    "except NGINX's NodePorts behind the public load balancer: every way in passes the WAF.",
    Severity.CRITICAL,
    "Use ClusterIP Services and route through the gateway; set chart Service types to ClusterIP explicitly.",
    (*HELM_RELEASES, lambda t: kind_of(t) == "Service"),
    _outside_the_edge,
)

WAF_IN_FRONT = stack_rule(
    "waf-on-public-load-balancer",
    "Every internet-facing application load balancer is associated with a WAF web ACL enforcing (not counting) "
    "AWS's common, known-bad-inputs and IP-reputation rule groups and a blocking rate-based rule, and does not "
    "fail open.",
    Severity.HIGH,
    "Associate an aws.wafv2.WebAcl (components/ingress.py builds one) with the load balancer.",
    _waf,
)

POLICIES = (NGINX_EDGE, NO_CONFIG_SNIPPETS, KONG_ADMIN_PRIVATE, CONSOLES_BEHIND_LOGIN, ONLY_THE_EDGE, WAF_IN_FRONT)
