"""Internet-facing controllers scoped to the namespaces they serve: a compromised edge pod must not read
every Secret of the cluster.

The pack sees a chart's values, not what it renders (under ``infra check --render`` it sees both): a rule
over the values of each internet-facing controller's release (which namespaces it watches, whether the
chart's cluster-wide role is rendered), and a rule over the RBAC objects that reach the pack (the plan's,
and the charts' rendered ones) that no ClusterRole bound to a service account in such a controller's
namespace grants Secrets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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

HELM_RELEASES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart")
# Charts whose pods the internet reaches (directly or one hop behind the load balancer).
INTERNET_FACING = ("nginx-ingress", "kong", "oauth2-proxy")
READS = frozenset({"get", "list", "watch", "*"})


def _values(props: Props) -> Mapping[str, Any]:
    values = get(props, "values", default={})
    return values if isinstance(values, Mapping) else {}


def _names(value: Any) -> list[str]:
    """A namespaces value: a list, or a comma-separated string."""
    if isinstance(value, str):
        return [n.strip() for n in value.split(",") if n.strip()]
    return [str(n) for n in listify(value) if str(n).strip()]


def _controller_scoped(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    chart = get(props, "chart")
    values = _values(props)
    if chart == "nginx-ingress":
        controller = get(values, "controller", default={})
        watched = _names(get(controller, "watchNamespace", default=""))
        secrets = _names(get(controller, "watchSecretNamespace", default=""))
        if not watched:
            yield "NGINX watches every namespace (controller.watchNamespace is empty)"
        if not secrets:
            yield "NGINX watches Secrets in every namespace (controller.watchSecretNamespace is empty)"
        elif watched and set(secrets) - set(watched):
            yield f"NGINX watches Secrets in {', '.join(sorted(set(secrets) - set(watched)))}, which it does not serve"
        rbac = get(values, "rbac", default={})
        if not is_false(get(rbac, "create", default=True)) and not is_false(
            get(rbac, "clusterrole", "create", default=True)
        ):
            yield "the chart's ClusterRole (every Secret of the cluster) is rendered: set rbac.clusterrole.create false"
    elif chart in ("kube-prometheus-stack", "grafana"):
        grafana = get(values, "grafana", default={}) if chart == "kube-prometheus-stack" else values
        if helm_truthy(get(grafana, "enabled", default=True)) and not is_true(
            get(grafana, "rbac", "namespaced", default=False)
        ):
            yield "Grafana's sidecars read Secrets cluster-wide (its chart's ClusterRole): set rbac.namespaced true"
    elif chart == "kong":
        controller = get(values, "ingressController", default={})
        if helm_truthy(get(controller, "enabled", default=True)) and not _names(
            get(controller, "watchNamespaces", default=[])
        ):
            yield "Kong's ingress controller watches every namespace (ingressController.watchNamespaces is empty)"


CONTROLLERS_SCOPED = resource_rule(
    "internet-facing-controllers-namespaced",
    "The ingress controllers the internet reaches (NGINX, Kong's) watch only the namespaces they serve, "
    "NGINX's chart renders no ClusterRole (its own reads every Secret, ConfigMap and Pod of the cluster), and "
    "Grafana (behind the consoles' login) reads Secrets in its own namespace only.",
    Severity.HIGH,
    "Set controller.watchNamespace and controller.watchSecretNamespace to the namespaces NGINX serves and "
    "rbac.clusterrole.create false (the add-on's own Roles grant the rest); set Kong's "
    "ingressController.watchNamespaces; set Grafana's rbac.namespaced true.",
    HELM_RELEASES,
    _controller_scoped,
)


def _grants_secrets(rules: Any) -> bool:
    for rule in listify(rules):
        groups = {str(g) for g in listify(get(rule, "apiGroups"))}
        resources = {str(r) for r in listify(get(rule, "resources"))}
        verbs = {str(v).lower() for v in listify(get(rule, "verbs"))}
        if groups & {"", "*"} and resources & {"secrets", "*"} and verbs & READS:
            return True
    return False


def _internet_facing_cluster_secrets(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    facing = {
        str(get(r.props, "namespace", default=""))
        for r in args.resources
        if r.resource_type in HELM_RELEASES and get(r.props, "chart") in INTERNET_FACING
    } - {""}
    roles = {
        str(get(r.props, "metadata", "name", default="")): r
        for r in args.resources
        if kind_of(r.resource_type) == "ClusterRole"
    }
    for binding in args.resources:
        if kind_of(binding.resource_type) != "ClusterRoleBinding":
            continue
        if get(binding.props, "roleRef", "kind") != "ClusterRole":
            continue
        role = roles.get(str(get(binding.props, "roleRef", "name", default="")))
        if role is None or not _grants_secrets(get(role.props, "rules")):
            continue
        for subject in listify(get(binding.props, "subjects")):
            namespace = str(get(subject, "namespace", default=""))
            if get(subject, "kind") == "ServiceAccount" and namespace in facing:
                yield (
                    f"ClusterRole {get(role.props, 'metadata', 'name')} reads Secrets cluster-wide and is bound "
                    f"to {namespace}/{get(subject, 'name')}, in the namespace of an internet-facing controller",
                    binding.urn,
                )


NO_CLUSTER_SECRETS = stack_rule(
    "internet-facing-no-cluster-secrets",
    "No ClusterRole that reads Secrets (get, list or watch on secrets, or on every resource) is bound to a "
    "service account in the namespace of an internet-facing controller (NGINX, Kong, oauth2-proxy); checked "
    "over the plan's RBAC objects and, under infra check --render, the charts' rendered ones.",
    Severity.HIGH,
    "Grant Secrets through Roles in the namespaces the controller serves; keep its ClusterRole to "
    "cluster-scoped objects (IngressClasses, namespaces).",
    _internet_facing_cluster_secrets,
)

POLICIES = (CONTROLLERS_SCOPED, NO_CLUSTER_SECRETS)
