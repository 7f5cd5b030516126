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


def resource_rule(
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    types: Iterable[str],
    check: ResourceCheck,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A mandatory rule over the resources of the given types; ``check`` yields violation messages."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in wanted:
            return
        for message in check(args, args.props):
            report_violation(message, None)

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
        for message, urn in check(args):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation,
    )


def get(props: Props | None, *path: str | int, default: Any = None) -> Any:
    """``props[a][b][0]...`` or ``default`` when any step is missing."""
    value: Any = props
    for step in path:
        if isinstance(step, int):
            if not _is_sequence(value) or len(value) <= step:
                return default
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return default
            value = value[step]
    return default if value is None else value


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
