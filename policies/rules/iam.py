"""IAM without wildcard administrators, and default tags on everything."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity

from policies.rules._base import Props, config, decoded, get, listify, resource_rule

ADMIN_POLICIES = ("/AdministratorAccess", "/IAMFullAccess", "/PowerUserAccess")
POLICY_HOLDERS = (
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)


def _statements(document: Any) -> list[dict[str, Any]]:
    return [s for s in listify(get(decoded(document), "Statement")) if isinstance(s, dict)]


def _is_wildcard_admin(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = listify(statement.get("Action"))
    resources = listify(statement.get("Resource"))
    return any(a in ("*", "*:*", "iam:*") for a in actions) and "*" in resources


def _admin(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    documents: list[Any] = []
    if args.resource_type == "aws:iam/role:Role":
        documents += [get(p, "policy") for p in listify(get(props, "inlinePolicies"))]
        for arn in listify(get(props, "managedPolicyArns")):
            if str(arn).endswith(ADMIN_POLICIES):
                yield f"attaches {arn}"
        for statement in _statements(get(props, "assumeRolePolicy")):
            principal = statement.get("Principal")
            if (
                statement.get("Effect") == "Allow"
                and principal in ("*", {"AWS": "*"})
                and not statement.get("Condition")
            ):
                yield "anyone may assume this role (Principal '*' without a condition)"
    elif args.resource_type in ATTACHMENTS:
        arn = str(get(props, "policyArn", default=""))
        if arn.endswith(ADMIN_POLICIES):
            yield f"attaches {arn}"
        return
    else:
        documents.append(get(props, "policy"))
    for document in documents:
        for statement in _statements(document):
            if _is_wildcard_admin(statement):
                yield "grants Action '*' (or iam:*) on Resource '*'"


def _tags(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    required = config(args).get("tagKeys", ["Project", "Environment", "ManagedBy"])
    tags = get(decoded(get(props, "defaultTags")), "tags", default={})
    missing = [k for k in required if not get(tags, k)]
    if missing:
        yield f"the provider's default tags lack {', '.join(missing)}"


NO_WILDCARD_ADMIN = resource_rule(
    "iam-no-wildcard-admin",
    "No IAM policy grants every action on every resource, attaches an administrator policy, or trusts anyone.",
    Severity.CRITICAL,
    "List the actions and resource ARNs the role needs (least privilege); trust a specific principal.",
    POLICY_HOLDERS + ATTACHMENTS,
    _admin,
)

REQUIRED_TAGS = resource_rule(
    "required-default-tags",
    "Every AWS provider applies the required default tags (Project, Environment, ManagedBy), so every "
    "resource carries them.",
    Severity.LOW,
    "Build providers with infra.providers.aws_provider (default_tags from infra.tags.default_tags).",
    ("pulumi:providers:aws",),
    _tags,
    PolicyConfigSchema(
        properties={
            "tagKeys": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["Project", "Environment", "ManagedBy"],
            }
        }
    ),
)

POLICIES = (NO_WILDCARD_ADMIN, REQUIRED_TAGS)
