"""IAM without administrators by any spelling, resource policies that let no one in, and default tags.

A policy document is read as IAM reads it: element names and actions case-insensitively, one
statement or a list, one value or a list, ``*``/``?`` patterns in actions, ``NotAction`` and
``NotResource`` as the broad grants they are. Administrator access is refused in every form:
``*`` (or ``*:*``) actions; any wildcard action (``iam:*``, ``s3:*``, ``iam:Put*``) or identity write on
every resource (``*``, ``arn:aws:*:*:*:*``, ``arn:aws:s3:::*``); ``iam:PassRole`` without a named role
and the ``iam:PassedToService`` condition; trust policies for service accounts without both ``sub`` and
``aud``; principals ``*`` in any shape without a condition naming the caller; KMS key policies giving
every KMS action to anyone, the account's root included (they name administrators and users)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity

from policies.rules._base import (
    Props,
    allows,
    condition_keys,
    config,
    decoded,
    field,
    get,
    listify,
    policy_statements,
    principals,
    resource_rule,
)
from policies.rules.s3 import RESTRICTING_KEYS

ADMIN_POLICIES = ("/administratoraccess", "/iamfullaccess", "/poweruseraccess")
ROLE = "aws:iam/role:Role"
IDENTITY_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy",
                     "aws:iam/groupPolicy:GroupPolicy")  # fmt: skip
RESOURCE_POLICIES = (
    "aws:s3/bucketPolicy:BucketPolicy", "aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy",
    "aws:secretsmanager/secretPolicy:SecretPolicy", "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy", "aws:ecr/registryPolicy:RegistryPolicy",
    "aws:lambda/permission:Permission",
)  # fmt: skip
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
# Identity writes and role hops that amount to administrator access on every resource.
ESCALATING = (
    "iam:passrole", "iam:createrole", "iam:updateassumerolepolicy", "iam:putrolepolicy", "iam:attachrolepolicy",
    "iam:createpolicy", "iam:createpolicyversion", "iam:setdefaultpolicyversion", "iam:createuser",
    "iam:putuserpolicy", "iam:attachuserpolicy", "iam:createaccesskey", "iam:createloginprofile",
    "iam:updateloginprofile", "iam:addusertogroup", "iam:putgrouppolicy", "iam:attachgrouppolicy",
    "iam:deleterolepermissionsboundary", "iam:putrolepermissionsboundary", "sts:assumerole", "kms:putkeypolicy",
)  # fmt: skip
READ_ONLY_PATTERNS = re.compile(r"^[a-z0-9-]+:(describe|list)\*$")


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text.lower()))


def _matches(pattern: str, action: str) -> bool:
    return _pattern(pattern).fullmatch(action) is not None


def every_resource(resource: Any) -> bool:
    """``*``, or an ARN that names every resource of a kind (wildcard partition, service, account or name)."""
    text = str(resource).strip()
    if text in ("*", "arn:*"):
        return True
    parts = text.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    _, partition, service, _, account, name = parts
    return "*" in partition or "*" in service or "*" in account or set(name) <= {"*", "?", "/", ":"}


def _statement_problems(statement: Mapping[str, Any], identity: bool) -> Iterable[str]:
    if not allows(statement):
        return
    actions = [str(a).strip().lower() for a in listify(field(statement, "Action"))]
    resources = listify(field(statement, "Resource"))
    if field(statement, "NotAction") is not None:
        yield "allows every action but a few (NotAction with Allow)"
    if identity and field(statement, "NotResource") is not None:
        yield "allows on every resource but a few (NotResource with Allow)"
    if any(a in ("*", "*:*") for a in actions):
        yield "grants every action (Action '*')"
    broad = not identity or any(every_resource(r) for r in resources)
    if identity and broad:
        wild = sorted(
            a for a in actions if ("*" in a or "?" in a) and not READ_ONLY_PATTERNS.match(a) and a not in ("*", "*:*")
        )
        if wild:
            yield f"grants {', '.join(wild)} on every resource"
        escalating = sorted({e for a in actions for e in ESCALATING if _matches(a, e)} - {"iam:passrole"})
        if escalating:
            yield f"grants {', '.join(escalating)} on every resource: administrator by another name"
    if identity and any(_matches(a, "iam:passrole") for a in actions):
        roles = [str(r) for r in resources]
        named = roles and all(re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+", r) for r in roles)
        if not named:
            yield "grants iam:PassRole without naming the roles (no wildcard role ARNs)"
        if "iam:passedtoservice" not in condition_keys(statement):
            yield "grants iam:PassRole without the iam:PassedToService condition"


def _trust_problems(statement: Mapping[str, Any]) -> Iterable[str]:
    if not allows(statement):
        return
    if field(statement, "NotPrincipal") is not None:
        yield "trusts everyone but a few (NotPrincipal with Allow)"
    keys = condition_keys(statement)
    if "*" in principals(statement) and not set(keys) & RESTRICTING_KEYS:
        yield "anyone may assume this role (Principal '*' in some form, without a condition naming the caller)"
    actions = [str(a).strip().lower() for a in listify(field(statement, "Action"))]
    federated = get(field(statement, "Principal"), "Federated")
    if federated is not None and any(_matches(a, "sts:assumerolewithwebidentity") for a in actions):
        issuer = str(federated).split(":oidc-provider/", 1)[-1].lower()
        sub = [v for k, v in keys.items() if k == f"{issuer}:sub"]
        aud = [v for k, v in keys.items() if k == f"{issuer}:aud"]
        if not sub or not aud:
            yield "the service-account trust policy does not pin both sub and aud of the OIDC provider"
        elif any("*" in value or "?" in value for values in sub for value in values):
            yield "the service-account trust policy admits any service account (a wildcard in sub)"
        elif any(value != "sts.amazonaws.com" for values in aud for value in values):
            yield "the service-account trust policy's aud is not sts.amazonaws.com"


def _resource_policy_problems(statement: Mapping[str, Any]) -> Iterable[str]:
    if not allows(statement):
        return
    keys = condition_keys(statement)
    if field(statement, "NotPrincipal") is not None:
        yield "allows everyone but a few (NotPrincipal with Allow)"
    elif "*" in principals(statement) and not set(keys) & RESTRICTING_KEYS:
        yield "lets anyone in (Principal '*' in some form, without a condition naming the caller)"


def _key_policy_problems(statements: list[Mapping[str, Any]]) -> Iterable[str]:
    """Nobody holds every KMS action on a key, the account's root included: a key policy names who
    administers the key (management actions) and who uses it (use actions, conditioned for the account)."""
    given: set[str] = set()
    for statement in statements:
        actions = [str(a).strip().lower() for a in listify(field(statement, "Action"))]
        if allows(statement) and (
            any(a in ("*", "kms:*") for a in actions) or field(statement, "NotAction") is not None
        ):
            given |= set(principals(statement)) or {"(no principal)"}
    if given:
        yield (
            f"gives every KMS action to {', '.join(sorted(given))}: name the key's administrators "
            "(management actions) and users (use actions) instead"
        )


def _admin(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    kind = args.resource_type
    if kind in ATTACHMENTS:
        arn = str(get(props, "policyArn", default=""))
        if arn.lower().endswith(ADMIN_POLICIES):
            yield f"attaches {arn}"
        return
    if kind == ROLE:
        for arn in listify(get(props, "managedPolicyArns")):
            if str(arn).lower().endswith(ADMIN_POLICIES):
                yield f"attaches {arn}"
        for statement in policy_statements(get(props, "assumeRolePolicy")):
            yield from _trust_problems(statement)
        for inline in listify(get(props, "inlinePolicies")):
            for statement in policy_statements(get(inline, "policy")):
                yield from _statement_problems(statement, identity=True)
    elif kind in IDENTITY_POLICIES:
        for statement in policy_statements(get(props, "policy")):
            yield from _statement_problems(statement, identity=True)
    elif kind == "aws:lambda/permission:Permission":
        if str(get(props, "principal", default="")).strip() == "*" and not get(props, "sourceArn"):
            yield "anyone may invoke the function (principal '*' without sourceArn)"
    else:
        statements = policy_statements(get(props, "policy"))
        for statement in statements:
            yield from _resource_policy_problems(statement)
        if kind in ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"):
            yield from _key_policy_problems(statements)


def _tags(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    required = config(args).get("tagKeys", ["Project", "Environment", "ManagedBy"])
    tags = get(decoded(get(props, "defaultTags")), "tags", default={})
    missing = [k for k in required if not get(tags, k)]
    if missing:
        yield f"the provider's default tags lack {', '.join(missing)}"


NO_WILDCARD_ADMIN = resource_rule(
    "iam-no-wildcard-admin",
    "No IAM policy grants administrator access in any spelling (every action; a wildcard action or identity "
    "write on every resource; iam:PassRole without named roles and iam:PassedToService; NotAction/NotResource "
    "allows), attaches an administrator policy, or trusts anyone; service-account trust pins sub and aud; no "
    "resource policy lets anyone in; no KMS key policy gives every KMS action to anyone, the account included.",
    Severity.CRITICAL,
    "List the actions and resource ARNs the role needs (least privilege); trust a specific principal; pin "
    "iam:PassRole to roles and services.",
    (ROLE, *IDENTITY_POLICIES, *ATTACHMENTS, *RESOURCE_POLICIES),
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
                "items": {"type": "string", "minLength": 1, "maxLength": 128},
                "default": ["Project", "Environment", "ManagedBy"],
            }
        }
    ),
)

POLICIES = (NO_WILDCARD_ADMIN, REQUIRED_TAGS)
