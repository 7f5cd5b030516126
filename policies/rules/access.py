"""Who administers the cluster, and what is written down in plain text.

- Cluster-admin (or an equal role: every verb on every resource, or escalate/bind/impersonate) is bound
  only to service accounts of the platform's own namespaces; EKS access entries grant cluster
  administration only to roles the plan creates, or to principals a team lists in the rule's
  ``allowedAdminPrincipals``; no access entry maps anyone into ``system:masters``.
- No Kubernetes Secret holds literal data (secrets come from Secrets Manager through External Secrets,
  or are generated in the cluster), and no env value, ConfigMap or chart value holds a credential."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import HIDDEN, Props, config, get, kind_of, listify, resource_rule, stack_rule
from policies.rules._credentials import credential_kind
from policies.rules.kubernetes import containers, is_workload, pod_spec

ADMIN_ACCESS_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")
PRIVILEGED_GROUPS = ("system:masters", "system:authenticated", "system:unauthenticated")
ESCALATING_VERBS = frozenset({"*", "escalate", "bind", "impersonate"})
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|TOKEN(?!_TTL)|WEBHOOK|CREDENTIAL")
_SECRET_VALUE_KEYS = frozenset(
    {"password", "adminpassword", "token", "apikey", "secretkey", "accesskey", "privatekey", "authtoken",
     "clientsecret", "webhookurl", "webhook", "apitoken", "secretaccesskey"}
)  # fmt: skip


def _admin_roles(args: StackValidationArgs) -> set[str]:
    """Names of ClusterRoles/Roles equal to cluster-admin: every verb on every resource, or a verb that
    grants more than it holds (escalate, bind, impersonate)."""
    names = {"cluster-admin"}
    for role in args.resources:
        if kind_of(role.resource_type) not in ("ClusterRole", "Role"):
            continue
        for rule in listify(get(role.props, "rules")):
            verbs = {str(v).lower() for v in listify(get(rule, "verbs"))}
            resources = {str(r) for r in listify(get(rule, "resources"))}
            if verbs & ESCALATING_VERBS and ("*" in resources or verbs - {"*"} & ESCALATING_VERBS):
                names.add(str(get(role.props, "metadata", "name", default="")))
    return names


def _cluster_admins(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    allowed = {str(p) for p in config(args).get("allowedAdminPrincipals", [])}
    namespaces = {"kube-system"} | {
        str(get(n.props, "metadata", "name", default=""))
        for n in args.resources
        if kind_of(n.resource_type) == "Namespace"
    }
    admin_roles = _admin_roles(args)
    for binding in args.resources:
        if kind_of(binding.resource_type) not in ("ClusterRoleBinding", "RoleBinding"):
            continue
        if str(get(binding.props, "roleRef", "name", default="")) not in admin_roles:
            continue
        for subject in listify(get(binding.props, "subjects")):
            kind, name = str(get(subject, "kind", default="")), str(get(subject, "name", default=""))
            inside = kind == "ServiceAccount" and str(get(subject, "namespace", default="")) in namespaces
            if name in PRIVILEGED_GROUPS or not (inside or name in allowed):
                yield (
                    f"binds {get(binding.props, 'roleRef', 'name')} to {kind} {name}, outside the platform",
                    binding.urn,
                )
    roles = {r.urn for r in args.resources if r.resource_type == "aws:iam/role:Role"}
    for association in args.resources:
        if association.resource_type == "aws:eks/accessEntry:AccessEntry":
            groups = {str(g) for g in listify(get(association.props, "kubernetesGroups"))}
            if groups & set(PRIVILEGED_GROUPS):
                yield f"maps {get(association.props, 'principalArn')} into {', '.join(sorted(groups))}", association.urn
        if association.resource_type != "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
            continue
        if not str(get(association.props, "policyArn", default="")).endswith(ADMIN_ACCESS_POLICIES):
            continue
        principal = str(get(association.props, "principalArn", default=""))
        created = {d.urn for d in association.property_dependencies.get("principalArn", [])} & roles
        if not created and principal not in allowed:
            yield f"gives cluster administration to {principal}, which the platform does not create", association.urn


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str) and value != HIDDEN:
        yield path.lstrip("."), value


def _literals(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    kind = kind_of(args.resource_type)
    if kind == "Secret":
        for key in ("data", "stringData"):
            data = get(props, key, hidden_ok=True)
            if isinstance(data, Mapping) and any(v not in (None, "", HIDDEN) for v in data.values()):
                yield f"the Secret holds literal {key}; deliver secrets through External Secrets or generate them"
        return
    if kind == "ConfigMap":
        for path, text in _strings(get(props, "data", default={}, hidden_ok=True)):
            found = credential_kind(text)
            if found:
                yield f"the ConfigMap's {path} looks like {found}"
        return
    if is_workload(args.resource_type):
        for container in containers(pod_spec(args.resource_type, props), init=True):
            for variable in listify(get(container, "env")):
                name, value = str(get(variable, "name", default="")), get(variable, "value", hidden_ok=True)
                if not isinstance(value, str) or value in ("", HIDDEN):
                    continue
                found = credential_kind(value)
                if found or _SECRET_NAME.search(name.upper()):
                    what = f"looks like {found}" if found else "is named like a secret"
                    yield f"env {name} of container {get(container, 'name', default='?')} {what} and is a literal value"
        return
    if args.resource_type == "aws:lambda/function:Function":
        for path, text in _strings(get(props, "environment", "variables", default={}, hidden_ok=True)):
            found = credential_kind(text)
            if found or _SECRET_NAME.search(path.upper()):
                yield f"the function's environment {path} holds a literal credential"
        return
    for path, text in _strings(get(props, "values", default={}, hidden_ok=True)):  # a chart's values
        found = credential_kind(text)
        if found or (path.rsplit(".", 1)[-1].lower() in _SECRET_VALUE_KEYS and text):
            yield f"the chart's {path} {'looks like ' + found if found else 'is a literal secret'}"


CLUSTER_ADMINS = stack_rule(
    "cluster-admin-only-for-the-platform",
    "Cluster-admin (or an equal role) is bound only to the platform's own service accounts; EKS access entries "
    "give cluster administration only to roles the plan creates or to principals listed in allowedAdminPrincipals; "
    "nobody is mapped into system:masters.",
    Severity.CRITICAL,
    "Bind narrower roles; list the administrators' roles in platform:cluster.adminRoleArns and in this rule's "
    "allowedAdminPrincipals (--policy-pack-config).",
    _cluster_admins,
    PolicyConfigSchema(
        properties={
            "allowedAdminPrincipals": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 2048},
                "default": [],
            }
        }
    ),
)

NO_LITERAL_CREDENTIALS = resource_rule(
    "no-literal-credentials",
    "No Kubernetes Secret holds literal data, and no env value, ConfigMap, function environment or chart value "
    "holds a credential (tokens, keys, webhook URLs, passwords in URLs).",
    Severity.CRITICAL,
    "Keep secrets in Secrets Manager and deliver them with an ExternalSecret; reference Secrets by name "
    "(valueFrom.secretKeyRef, existingSecret).",
    (lambda t: kind_of(t) in ("Secret", "ConfigMap") or is_workload(t), "aws:lambda/function:Function",
     "kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"),
    _literals,
)  # fmt: skip

POLICIES = (CLUSTER_ADMINS, NO_LITERAL_CREDENTIALS)
