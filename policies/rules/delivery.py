"""GitHub Actions' trust: a role that GitHub's OIDC tokens may assume names one repository exactly.

A trust on ``token.actions.githubusercontent.com`` is read from its conditions: the ``aud`` claim must be
``sts.amazonaws.com``; the ``sub`` claim exactly one value, compared with ``StringEquals`` (a
``StringLike`` makes a pattern of it), naming one repository and one branch, GitHub environment or pull
requests (``repo:<owner>/<repo>:ref:refs/heads/<branch>``, ``...:environment:<name>``,
``...:pull_request``), with no wildcard anywhere. Anything looser lets another repository, a fork's
branch or every workflow of an organisation take the role."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.rules._base import Props, allows, field, get, listify, policy_statements, resource_rule

ISSUER = "token.actions.githubusercontent.com"
_SUBJECT = re.compile(
    r"^repo:[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}:(ref:refs/heads/[^*?\[\]]+|environment:[^*?\[\]]+|pull_request)$"
)


def _conditions(statement: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Condition operator (lower case) -> key (lower case) -> values."""
    found: dict[str, dict[str, list[str]]] = {}
    condition = field(statement, "Condition")
    if isinstance(condition, Mapping):
        for operator, block in condition.items():
            if isinstance(block, Mapping):
                for key, value in block.items():
                    found.setdefault(str(operator).lower(), {}).setdefault(str(key).lower(), []).extend(
                        str(v) for v in listify(value)
                    )
    return found


def _github(statement: Mapping[str, Any]) -> bool:
    federated = get(field(statement, "Principal"), "Federated")
    return any(str(p).lower().endswith(f":oidc-provider/{ISSUER}") for p in listify(federated))


def _trust(statement: Mapping[str, Any]) -> Iterable[str]:
    conditions = _conditions(statement)
    sub_key, aud_key = f"{ISSUER}:sub", f"{ISSUER}:aud"
    audiences = [v for block in conditions.values() for v in block.get(aud_key, [])]
    if not audiences or any(v != "sts.amazonaws.com" for v in audiences):
        yield "GitHub's token audience (aud) is not pinned to sts.amazonaws.com"
    loose = sorted(op for op, block in conditions.items() if sub_key in block and op != "stringequals")
    if loose:
        yield f"the token's subject (sub) is compared with {', '.join(loose)}, not StringEquals"
    subjects = conditions.get("stringequals", {}).get(sub_key, [])
    if not subjects and not loose:
        yield "the token's subject (sub) is not pinned: every repository on GitHub may assume the role"
    elif len(subjects) > 1:
        yield f"the token's subject (sub) admits {len(subjects)} subjects; one role, one repository"
    for subject in subjects:
        if not _SUBJECT.match(subject):
            yield f"the subject {subject!r} does not name one repository and one branch, environment or PRs"


def _check(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    for statement in policy_statements(get(props, "assumeRolePolicy")):
        if allows(statement) and _github(statement):
            yield from _trust(statement)


GITHUB_OIDC_TRUST = resource_rule(
    "github-oidc-trust-names-one-repository",
    "A role GitHub Actions' OIDC tokens may assume pins aud to sts.amazonaws.com and sub, with "
    "StringEquals, to exactly one repository and one branch, GitHub environment or pull requests; no "
    "wildcard owner, repository, branch or environment.",
    Severity.CRITICAL,
    "Trust one subject: repo:<owner>/<repo>:environment:<name> (or :ref:refs/heads/<branch>) under "
    "StringEquals, with token.actions.githubusercontent.com:aud = sts.amazonaws.com.",
    ("aws:iam/role:Role",),
    _check,
)

POLICIES = (GITHUB_OIDC_TRUST,)
