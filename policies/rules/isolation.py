"""Isolation a change could undo: a namespace (kube-system included) without its default deny, a signing
key anyone may sign with, the VPC CNI's permissions back on the nodes' role.

Every rule reads the plan only (no project code): a namespace is a ``Namespace`` object, its deny a
``NetworkPolicy`` in it selecting every pod (``podSelector: {}``) for both directions with no allow; a
signing key is a KMS key with ``keyUsage: SIGN_VERIFY``; the nodes' role is a role EC2 may assume.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import (
    Props,
    allows,
    decoded,
    field,
    get,
    kind_of,
    listify,
    policy_statements,
    principals,
    resource_rule,
    stack_rule,
)

# Namespaces of the cluster itself: EKS's managed add-ons run there (most on the host network).
EXEMPT_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default")
CNI_POLICY = "/AmazonEKS_CNI_Policy"
SIGN_ACTIONS = ("kms:sign", "kms:sign*", "kms:*", "*")


def _selects_every_pod(selector: Any) -> bool:
    return not get(selector, "matchLabels") and not get(selector, "matchExpressions")


def _is_default_deny(props: Props) -> bool:
    spec = get(props, "spec", default={})
    types = {str(t) for t in listify(get(spec, "policyTypes"))}
    return (
        _selects_every_pod(get(spec, "podSelector", default={}))
        and {"Ingress", "Egress"} <= types
        and not listify(get(spec, "ingress"))
        and not listify(get(spec, "egress"))
    )


def _namespaces_denied(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    denied = {
        str(get(r.props, "metadata", "namespace", default=""))
        for r in args.resources
        if kind_of(r.resource_type) == "NetworkPolicy" and _is_default_deny(r.props)
    }
    for namespace in args.resources:
        if kind_of(namespace.resource_type) != "Namespace":
            continue
        name = str(get(namespace.props, "metadata", "name", default=""))
        if name and name not in EXEMPT_NAMESPACES and name not in denied:
            yield (
                f"namespace {name} has no default-deny NetworkPolicy (podSelector {{}}, Ingress and Egress, no allows)",
                namespace.urn,
            )


NAMESPACE_DEFAULT_DENY = stack_rule(
    "platform-namespaces-default-deny",
    "Every namespace the plan creates (but the cluster's own: kube-system, kube-public, kube-node-lease, "
    "default) holds a NetworkPolicy that denies all ingress and egress to every pod; allows are separate "
    "policies.",
    Severity.HIGH,
    "Add the namespace as a row of the isolation table (stacks/isolation.py): it gets the default deny, DNS "
    "and the allows it names.",
    _namespaces_denied,
)


def _dns_allowed_from_everywhere(spec: Any) -> bool:
    """An ingress policy for CoreDNS's pods (``k8s-app: kube-dns``) admitting UDP 53 from every pod."""
    if get(spec, "podSelector", "matchLabels", "k8s-app") != "kube-dns":
        return False
    for rule in listify(get(spec, "ingress")):
        udp = [
            p
            for p in listify(get(rule, "ports"))
            if str(get(p, "protocol", default="TCP")) == "UDP" and str(get(p, "port")) in ("53", "53.0", "dns")
        ]
        everyone = any(
            get(peer, "namespaceSelector") is not None
            and _selects_every_pod(get(peer, "namespaceSelector"))
            and _selects_every_pod(get(peer, "podSelector", default={}))
            for peer in listify(get(rule, "from"))
        )
        if udp and everyone:
            return True
    return False


def _kube_system_isolated(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    clusters = [r for r in args.resources if r.resource_type == "aws:eks/cluster:Cluster"]
    if not clusters:
        return
    policies = [
        r.props
        for r in args.resources
        if kind_of(r.resource_type) == "NetworkPolicy" and get(r.props, "metadata", "namespace") == "kube-system"
    ]
    if not any(_is_default_deny(p) for p in policies):
        yield (
            "kube-system has no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no allows)",
            clusters[0].urn,
        )
    elif not any(_dns_allowed_from_everywhere(get(p, "spec", default={})) for p in policies):
        yield (
            "kube-system denies by default but no policy admits DNS (UDP 53) to CoreDNS from every pod",
            clusters[0].urn,
        )


KUBE_SYSTEM_ISOLATED = stack_rule(
    "kube-system-default-deny",
    "An EKS cluster's kube-system holds a NetworkPolicy denying all ingress and egress to every pod, and "
    "admits cluster DNS (CoreDNS, UDP 53) from every pod, so the deny cannot take DNS from the cluster. Its "
    "host-network pods (the VPC CNI, kube-proxy) are outside any NetworkPolicy.",
    Severity.HIGH,
    "Keep kube-system as a row of the isolation table (stacks/isolation.py) with CoreDNS's allows.",
    _kube_system_isolated,
)


def _operator_values(statement: Mapping[str, Any], operators: tuple[str, ...], key: str) -> list[str]:
    condition = field(statement, "Condition")
    found: list[str] = []
    if isinstance(condition, Mapping):
        for operator, block in condition.items():
            if str(operator).lower() in operators and isinstance(block, Mapping):
                for name, value in block.items():
                    if str(name).lower() == key:
                        found += [str(v) for v in listify(value)]
    return found


def _signs(statement: Mapping[str, Any]) -> bool:
    return any(str(a).strip().lower() in SIGN_ACTIONS for a in listify(field(statement, "Action")))


def _one_signer(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if str(get(props, "keyUsage", default="ENCRYPT_DECRYPT")).upper() != "SIGN_VERIFY":
        return
    statements = policy_statements(decoded(get(props, "policy")))
    if not statements:
        yield "has no key policy: KMS's default lets every principal of the account that IAM allows sign"
        return
    named: set[str] = set()
    for statement in statements:
        if allows(statement) and (_signs(statement) or field(statement, "NotAction") is not None):
            who = _operator_values(statement, ("arnequals", "arnlike", "stringequals"), "aws:principalarn")
            if not who:
                yield f"lets {', '.join(principals(statement)) or 'anyone'} sign without naming the signing role"
            named |= set(who)
    denied = [
        s
        for s in statements
        if not allows(s)
        and _signs(s)
        and set(_operator_values(s, ("arnnotequals", "arnnotlike", "stringnotequals"), "aws:principalarn")) >= named
        and "*" in principals(s)
    ]
    if named and not denied:
        yield "does not deny kms:Sign to every principal but the signing role"


SIGNING_KEY_ONE_SIGNER = resource_rule(
    "kms-signing-key-one-signer",
    "An asymmetric signing key (keyUsage SIGN_VERIFY) lets only named roles sign: every statement allowing "
    "kms:Sign names the role in an aws:PrincipalArn condition, and a Deny refuses kms:Sign to every other "
    "principal; no key policy leaves it to the account's IAM.",
    Severity.CRITICAL,
    "Build the key's policy with the signer-only statements (infra/iam.py): allow the token issuer's role, "
    "deny kms:Sign to every other principal.",
    ("aws:kms/key:Key",),
    _one_signer,
)


def _trusts_ec2(role: Props) -> bool:
    for statement in policy_statements(decoded(get(role, "assumeRolePolicy"))):
        if allows(statement) and any(str(p).startswith("ec2.") for p in principals(statement)):
            return True
    return False


def _cni_role(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    roles = {r.urn: r for r in args.resources if r.resource_type == "aws:iam/role:Role"}
    for attachment in args.resources:
        if attachment.resource_type != "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            continue
        if not str(get(attachment.props, "policyArn", default="")).endswith(CNI_POLICY):
            continue
        for dependency in attachment.property_dependencies.get("role", []):
            role = roles.get(dependency.urn)
            if role is not None and _trusts_ec2(role.props):
                yield (
                    "attaches AmazonEKS_CNI_Policy to the nodes' role: give the VPC CNI its own role (IRSA)",
                    attachment.urn,
                )
    for addon in args.resources:
        if (
            addon.resource_type == "aws:eks/addon:Addon"
            and get(addon.props, "addonName") == "vpc-cni"
            and not get(addon.props, "serviceAccountRoleArn")
        ):
            yield (
                "the VPC CNI add-on has no role of its own (serviceAccountRoleArn): it would use the nodes'",
                addon.urn,
            )


VPC_CNI_OWN_ROLE = stack_rule(
    "vpc-cni-own-role",
    "The VPC CNI add-on runs with its own IAM role for its service account; no role EC2 assumes (the nodes') "
    "holds AmazonEKS_CNI_Policy, so a pod that reaches the node's credentials cannot rewire the network.",
    Severity.HIGH,
    "Set serviceAccountRoleArn on the vpc-cni add-on to an IRSA role trusted by kube-system/aws-node holding "
    "AmazonEKS_CNI_Policy, and detach that policy from the node role.",
    _cni_role,
)

POLICIES = (NAMESPACE_DEFAULT_DENY, SIGNING_KEY_ONE_SIGNER, VPC_CNI_OWN_ROLE, KUBE_SYSTEM_ISOLATED)
