"""Run the policy pack's rules offline over a plan, with ``pulumi_policy``'s own argument classes.

Input: a ``plan.json`` written by ``infra plan`` or the output of ``pulumi stack export`` (the same
shape). Each custom resource becomes a ``ResourceValidationArgs`` (inputs deserialized with
``pulumi_policy.deserialize``, behind the unknown-checking proxy, with its options and its provider),
and the whole plan a ``StackValidationArgs``; every rule object of ``policies.rules`` runs once, as
the analyzer would run it under ``pulumi preview --policy-pack policies``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra.config.errors import escaped
from tools.check_input import (
    HIDDEN,
    SECRET_SIG,
    SIG_KEY,
    CheckInputError,
    Resource,
    _props,
    load_policy_config,
    load_resources,
    read_json,
)

__all__ = ["HIDDEN", "SECRET_SIG", "SIG_KEY", "CheckInputError", "Violation", "check", "format_json", "format_text",
           "load_policy_config", "load_resources", "read_json", "rules_table"]  # fmt: skip


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    urn: str | None
    message: str
    remediation: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement == EnforcementLevel.MANDATORY.value

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _defaults(policy: ResourceValidationPolicy | StackValidationPolicy) -> dict[str, Any]:
    schema = getattr(policy, "config_schema", None)
    properties = getattr(schema, "properties", None) or {}
    return {k: v["default"] for k, v in properties.items() if isinstance(v, dict) and "default" in v}


def check(
    resources: Sequence[Resource],
    policies: Sequence[ResourceValidationPolicy | StackValidationPolicy],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Violation]:
    """Every violation the policies report over ``resources``."""
    config = config or {}
    by_urn = {r["urn"]: r for r in resources}
    subjects = [r for r in resources if r.get("custom", True) and r["type"] != "pulumi:pulumi:Stack"]
    props = {r["urn"]: _props(r.get("inputs"), r["urn"]) for r in subjects}

    def provider_of(resource: Resource) -> PolicyProviderResource | None:
        urn = str(resource.get("provider") or "").rpartition("::")[0]
        provider = by_urn.get(urn)
        if provider is None:
            return None
        return PolicyProviderResource(
            provider["type"], props.get(urn) or _props(provider.get("inputs"), urn), urn, _name(urn)
        )

    def options(resource: Resource) -> PolicyResourceOptions:
        return PolicyResourceOptions(
            protect=bool(resource.get("protect", False)),
            ignore_changes=list(resource.get("ignoreChanges", [])),
            delete_before_replace=resource.get("deleteBeforeReplace"),
            aliases=list(resource.get("aliases", [])),
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=list(resource.get("additionalSecretOutputs", [])),
            parent=resource.get("parent"),
        )

    violations: list[Violation] = []
    for policy in policies:
        settings = dict(config.get(policy.name, {}))
        level = str(settings.pop("enforcementLevel", (policy.enforcement_level or EnforcementLevel.MANDATORY).value))
        if level == EnforcementLevel.DISABLED.value:
            continue
        policy_config = {**_defaults(policy), **settings}
        collect = _Collector(policy, level, violations)
        if isinstance(policy, ResourceValidationPolicy):
            for resource in subjects:
                args = ResourceValidationArgs(
                    resource["type"],
                    props[resource["urn"]],
                    resource["urn"],
                    _name(resource["urn"]),
                    options(resource),
                    provider_of(resource),
                    config=policy_config,
                )
                for validate in _validations(policy):
                    try:
                        validate(args, collect.reporter(resource["urn"]))
                    except Exception as error:  # a shape the rule does not expect: bad input, not a crash
                        raise CheckInputError(
                            f"{escaped(resource['urn'])}: rule {policy.name} cannot read this resource's inputs "
                            f"({type(error).__name__}: {escaped(str(error))[:200]})"
                        ) from None
        else:
            stack_args = StackValidationArgs(_policy_resources(subjects, props, options, provider_of), policy_config)
            if policy.validate is not None:
                try:
                    policy.validate(stack_args, collect.reporter(None))
                except Exception as error:
                    raise CheckInputError(
                        f"rule {policy.name} cannot read this plan "
                        f"({type(error).__name__}: {escaped(str(error))[:200]})"
                    ) from None
    return violations


class _Collector:
    """Turns ``report_violation`` calls of one policy into Violations."""

    def __init__(self, policy: ResourceValidationPolicy | StackValidationPolicy, level: str, into: list[Violation]):
        self.policy = policy
        self.level = level
        self.into = into

    def reporter(self, default_urn: str | None) -> Any:
        def report_violation(message: str, urn: str | None = None) -> None:
            severity = self.policy.severity.value if self.policy.severity is not None else "medium"
            self.into.append(
                Violation(
                    self.policy.name,
                    severity,
                    self.level,
                    urn or default_urn,
                    message,
                    self.policy.remediation_steps or "",
                )
            )

        return report_violation


def _validations(policy: ResourceValidationPolicy) -> list[Any]:
    validate = policy.validate
    if validate is None:
        return []
    return list(validate) if isinstance(validate, list) else [validate]


def _policy_resources(
    subjects: Sequence[Resource], props: Mapping[str, Any], options: Any, provider_of: Any
) -> list[PolicyResource]:
    """PolicyResource objects with parents, dependencies and property dependencies linked."""
    made: dict[str, PolicyResource] = {}
    for r in subjects:
        made[r["urn"]] = PolicyResource(
            r["type"], props[r["urn"]], r["urn"], _name(r["urn"]), options(r), provider_of(r), None, [], {}
        )
    for r in subjects:
        resource = made[r["urn"]]
        resource.parent = made.get(str(r.get("parent")))
        resource.dependencies = [made[d] for d in r.get("dependencies", []) if d in made]
        resource.property_dependencies = {
            k: [made[d] for d in v if d in made] for k, v in (r.get("propertyDependencies") or {}).items()
        }
    return list(made.values())


def format_text(violations: Sequence[Violation]) -> str:
    if not violations:
        return "No policy violations."
    lines = []
    for v in sorted(violations, key=lambda v: (v.policy, v.urn or "")):
        lines.append(f"{v.enforcement.upper()} [{v.severity}] {v.policy}: {v.urn or '(stack)'}")
        lines.append(f"    {v.message}")
        lines.append(f"    fix: {v.remediation}")
    mandatory = sum(1 for v in violations if v.mandatory)
    lines.append(f"{len(violations)} violation(s), {mandatory} mandatory.")
    return "\n".join(lines)


def format_json(violations: Sequence[Violation]) -> str:
    return json.dumps({"violations": [v.as_dict() for v in violations]}, indent=2, sort_keys=True)


def rules_table(policies: Sequence[ResourceValidationPolicy | StackValidationPolicy]) -> str:
    """The list of rules as a Markdown table (docs/policies.md's rules section is generated from this)."""
    lines = ["| rule | kind | severity | what it requires | fix |", "|---|---|---|---|---|"]
    for policy in policies:
        kind = "resource" if isinstance(policy, ResourceValidationPolicy) else "stack"
        severity = policy.severity.value if policy.severity is not None else ""
        lines.append(
            f"| `{policy.name}` | {kind} | {severity} | {policy.description} | {policy.remediation_steps or ''} |"
        )
    return "\n".join(lines)
