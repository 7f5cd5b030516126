"""Building blocks for rules: one way to declare a rule, and helpers to read resource properties.

A rule reads a resource's inputs as the Pulumi engine hands them to the analyzer (camelCase keys,
after the provider's checks). Offline, ``infra check`` hands it the inputs recorded in plan.json;
a missing optional field is read as the provider's default, so both views agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

Props = Mapping[str, Any]
ResourceCheck = Callable[[ResourceValidationArgs, Props], Iterable[str]]
StackCheck = Callable[[StackValidationArgs], Iterable[tuple[str, str | None]]]


class Hidden(Exception):  # noqa: N818 (a signal, not an error of the rule)
    """A property a rule must read is a secret whose value the plan does not hold."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


# What ``infra check`` hands a rule for a secret it cannot decrypt (a plan or a plain stack export). The
# analyzer inside ``pulumi preview`` hands the plaintext, so a rule never sees this there.
HIDDEN = "[secret]"


def _hidden_message(error: Hidden) -> str:
    return f"{error.path} is a secret in this plan, so the rule cannot verify it; keep it out of secrets"


def resource_rule(
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    types: Iterable[str | Callable[[str], bool]],
    check: ResourceCheck,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A mandatory rule over the resources of the given types (exact type tokens, or predicates over
    the type token); ``check`` yields violation messages."""
    listed = list(types)
    wanted = frozenset(t for t in listed if isinstance(t, str))
    matchers = [t for t in listed if callable(t)]

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in wanted and not any(match(args.resource_type) for match in matchers):
            return
        try:
            for message in check(args, args.props):
                report_violation(message, None)
        except Hidden as error:
            report_violation(_hidden_message(error), None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation,
    )


def stack_rule(
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    check: StackCheck,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    """A mandatory rule over the whole stack; ``check`` yields (message, urn or None)."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        try:
            for message, urn in check(args):
                report_violation(message, urn)
        except Hidden as error:
            report_violation(_hidden_message(error), None)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation,
    )


def get(props: Props | None, *path: str | int, default: Any = None, hidden_ok: bool = False) -> Any:
    """``props[a][b][0]...`` or ``default`` when any step is missing. A secret the plan does not hold,
    met on the way, raises :class:`Hidden` (the rule reports that it cannot verify), unless
    ``hidden_ok``."""
    value: Any = props
    for index, step in enumerate(path):
        if isinstance(step, int):
            if not _is_sequence(value) or len(value) <= step:
                return default
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return default
            value = value[step]
        if value == HIDDEN and not hidden_ok:
            raise Hidden(".".join(str(p) for p in path[: index + 1]))
    return default if value is None else value


# Booleans as the provider reads them (Go's strconv.ParseBool): true, "true", "True", "TRUE", "t", "1".
_TRUE = frozenset({"true", "t", "1"})
_FALSE = frozenset({"false", "f", "0"})


def is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


def is_false(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value == 0
    return isinstance(value, str) and value.strip().lower() in _FALSE


def helm_truthy(value: Any) -> bool:
    """A chart value as a Helm template's ``if`` reads it: any non-empty string is true ("false" too)."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str | Mapping) or _is_sequence(value):
        return len(value) > 0
    return bool(value)


def kind_of(resource_type: str) -> str:
    """``kubernetes:apps/v1:DeploymentPatch`` -> ``Deployment``: the kind, whatever the group, version
    or patch form, so no API version dodges a rule."""
    return resource_type.rsplit(":", 1)[-1].removesuffix("Patch") if resource_type.startswith("kubernetes:") else ""


def policy_statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of an IAM or resource policy (JSON text or an object; one statement or a list)."""
    statements = get(decoded(document), "Statement")
    return [s for s in listify(statements) if isinstance(s, Mapping)]


def field(statement: Mapping[str, Any], name: str) -> Any:
    """A policy element by name, case-insensitively (``Effect``, ``effect``)."""
    for key, value in statement.items():
        if str(key).lower() == name.lower():
            return value
    return None


def allows(statement: Mapping[str, Any]) -> bool:
    return str(field(statement, "Effect") or "").strip().lower() == "allow"


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal of a statement, in any shape: ``"*"``, ``{"AWS": "*"}``, ``{"AWS": [...]}``."""
    principal = field(statement, "Principal")
    if isinstance(principal, Mapping):
        return [str(p) for value in principal.values() for p in listify(value)]
    return [str(p) for p in listify(principal)]


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition keys (lower case) -> their values, across every operator."""
    keys: dict[str, list[str]] = {}
    condition = field(statement, "Condition")
    if isinstance(condition, Mapping):
        for block in condition.values():
            if isinstance(block, Mapping):
                for key, value in block.items():
                    keys.setdefault(str(key).lower(), []).extend(str(v) for v in listify(value))
    return keys


# Environments: a resource's is read from its AWS provider's default tags, its own tags and the stack
# name in its URN, each case-insensitively, so "Prod", "PROD" or a dev tag on a prod stack does not
# dodge a rule meant for prod.
_ENV_ALIASES = {"production": "prod", "prd": "prod", "stage": "staging", "stg": "staging"}


def _names(text: Any) -> set[str]:
    words = {w for w in "".join(c if c.isalnum() else " " for c in str(text).lower()).split() if w}
    return {_ENV_ALIASES.get(w, w) for w in words}


def environments_of(urn: str, provider_props: Props | None, own_tags: Any) -> set[str]:
    names: set[str] = set()
    tags = get(decoded(get(provider_props, "defaultTags", hidden_ok=True)), "tags", default={}, hidden_ok=True)
    for source in (tags, own_tags):
        if isinstance(source, Mapping):
            names |= {n for k, v in source.items() if str(k).strip().lower() == "environment" for n in _names(v)}
    if urn.startswith("urn:pulumi:"):
        names |= _names(urn.removeprefix("urn:pulumi:").split("::", 1)[0])
    return names


def in_environments(names: set[str], configured: Any) -> bool:
    return bool(names & {n for c in listify(configured) for n in _names(c)})


def decoded(value: Any) -> Any:
    """Provider inputs (``defaultTags``) and policy documents arrive as JSON text: decode in one place."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _is_sequence(value: Any) -> bool:
    """Lists, tuples and the policy SDK's list proxies; not strings."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if _is_sequence(value) else [value]


def config(args: ResourceValidationArgs | StackValidationArgs) -> Mapping[str, Any]:
    return args.get_config() or {}
