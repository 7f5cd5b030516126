"""What ``infra check`` reads: a plan or stack export, and a policy config, each bounded and checked
for the shapes the rules read, and Pulumi's signed values (secrets, assets, references) revealed as
the analyzer reveals them. Any problem is a :class:`CheckInputError`: one line, exit 2."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from infra import files
from infra.config.errors import did_you_mean, escaped

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
Resource = dict[str, Any]


class CheckInputError(ValueError):
    """The file given to ``infra check --plan`` is not a plan. ``str(err)`` is one line."""


# Bounds on a plan or policy-config file: a prod plan is about 1 MiB and a dozen levels deep.
MAX_FILE_BYTES = 128 * 2**20
MAX_DEPTH = 64
MAX_NUMBER_DIGITS = 40
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
HIDDEN = "[secret]"  # what a rule sees of a secret whose plaintext the file does not hold


def _number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise CheckInputError(f"a number of {len(text)} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise CheckInputError(f"{text[:20]} is too large for a number")
    return value


def _constant(text: str) -> Any:
    raise CheckInputError(f"{text} is not a JSON number")


def read_json(path: Path, what: str) -> Any:
    """A JSON file, bounded: a regular file of at most MAX_FILE_BYTES, nesting at most MAX_DEPTH, no
    NaN, Infinity or numbers of more than MAX_NUMBER_DIGITS digits. Any problem is one line."""
    try:
        text = files.read_text_bounded(path, MAX_FILE_BYTES)
    except files.UnreadableFileError as problem:
        message = {
            files.Problem.MISSING: "no such file",
            files.Problem.NOT_A_FILE: f"not a regular file ({what} is a JSON file)",
            files.Problem.UNREADABLE: f"cannot read ({problem.detail})",
            files.Problem.TOO_LARGE: f"larger than {MAX_FILE_BYTES // 2**20} MiB",
            files.Problem.NOT_UTF8: f"not a text file ({what} is UTF-8 JSON)",
        }[problem.problem]
        raise CheckInputError(f"{path}: {message}") from None
    try:
        document = json.loads(text, parse_int=_number, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise CheckInputError(f"{path}: not JSON (line {error.lineno}: {error.msg})") from None
    except CheckInputError as error:
        raise CheckInputError(f"{path}: {error}") from None
    except RecursionError:
        raise CheckInputError(f"{path}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise CheckInputError(f"{path}: not JSON ({error})") from None
    _check_depth(document, path)
    return document


def _check_depth(document: Any, path: Path) -> None:
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CheckInputError(f"{path}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def load_resources(path: Path) -> list[Resource]:
    """Resources of a plan.json or a ``pulumi stack export`` file, each checked for the shape the
    rules read (one line naming the resource and the field when not)."""
    document = read_json(path, "a plan")
    deployment = document.get("deployment", document) if isinstance(document, dict) else None
    resources = deployment.get("resources") if isinstance(deployment, dict) else None
    if not isinstance(resources, list):
        raise CheckInputError(f"{path}: not a plan or stack export (no deployment.resources list)")
    seen: set[str] = set()
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str) or "type" not in resource:
            raise CheckInputError(f"{path}: resource {index} has no urn and type")
        urn = escaped(resource["urn"])
        if not resource["urn"].startswith("urn:pulumi:") or not isinstance(resource["type"], str):
            raise CheckInputError(f"{path}: resource {index}: {urn[:200]!r} is not a Pulumi URN with a type")
        if resource["urn"] in seen:
            raise CheckInputError(f"{path}: {urn} appears twice")
        seen.add(resource["urn"])
        for key, kind in _SHAPES.items():
            if key in resource and not isinstance(resource[key], kind):
                raise CheckInputError(f"{path}: {urn}: {key} is not a {kind.__name__}")
        for key in ("dependencies", "ignoreChanges", "additionalSecretOutputs", "aliases"):
            if not all(isinstance(item, str) for item in resource.get(key, [])):
                raise CheckInputError(f"{path}: {urn}: {key} is not a list of text")
        for prop, urns in resource.get("propertyDependencies", {}).items():
            if not isinstance(urns, list) or not all(isinstance(item, str) for item in urns):
                raise CheckInputError(f"{path}: {urn}: propertyDependencies.{escaped(prop)} is not a list of URNs")
    return resources


_SHAPES: dict[str, type] = {
    "inputs": dict,
    "outputs": dict,
    "dependencies": list,
    "propertyDependencies": dict,
    "ignoreChanges": list,
    "additionalSecretOutputs": list,
    "aliases": list,  # URNs; handed to the rules as the analyzer hands them, no rule reads them
    "protect": bool,
    "custom": bool,
    "parent": str,
    "provider": str,
}


def _reveal(value: Any, where: str) -> Any:  # noqa: PLR0911
    """Pulumi's signed values as the analyzer hands them to rules: a secret is its plaintext (from
    ``pulumi stack export --show-secrets``) or, without one, the placeholder HIDDEN; a resource
    reference its URN; an output value its value. Any other signature is an error."""
    if isinstance(value, list):
        return [_reveal(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if SIG_KEY not in value:
        return {k: _reveal(v, f"{where}.{k}") for k, v in value.items()}
    sig = value[SIG_KEY]
    if sig == SECRET_SIG:
        if "value" in value:
            return _reveal(value["value"], where)
        if isinstance(value.get("plaintext"), str):
            try:
                return _reveal(json.loads(value["plaintext"]), where)
            except ValueError:
                raise CheckInputError(f"{where}: a secret whose plaintext is not JSON") from None
        if isinstance(value.get("ciphertext"), str):
            return HIDDEN
        raise CheckInputError(f"{where}: a secret with neither ciphertext nor plaintext")
    if sig in (ASSET_SIG, ARCHIVE_SIG):
        return value
    if sig == RESOURCE_REFERENCE_SIG and isinstance(value.get("urn"), str):
        return value["urn"]
    if sig == OUTPUT_VALUE_SIG:
        return _reveal(value["value"], where) if "value" in value else HIDDEN
    raise CheckInputError(f"{where}: unknown Pulumi value signature {escaped(str(sig))[:40]!r}")


def _props(inputs: Mapping[str, Any] | None, urn: str = "") -> dict[str, Any]:
    """Inputs as the analyzer sees them: signed values revealed, unknowns guarded."""
    revealed = {k: _reveal(v, f"{escaped(urn)}: inputs.{escaped(k)}") for k, v in dict(inputs or {}).items()}
    try:
        return unknown_checking_proxy(deserialize_properties(revealed))
    except Exception as error:  # an asset or archive the SDK cannot read
        raise CheckInputError(f"{escaped(urn)}: inputs cannot be read ({type(error).__name__}: {error})") from None


ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


def load_policy_config(
    path: Path, policies: Sequence[ResourceValidationPolicy | StackValidationPolicy]
) -> dict[str, dict[str, Any]]:
    """``--policy-config``: JSON ``{rule: {setting: value}}`` as ``--policy-pack-config`` takes it, each
    rule's settings validated against its schema (no unknown settings, no string for a list, values
    in range), plus ``enforcementLevel``. Any problem is one line."""
    import jsonschema

    try:
        document = read_json(path, "a policy config")
    except CheckInputError as error:
        raise CheckInputError(f"--policy-config: {error}") from None
    if not isinstance(document, dict):
        raise CheckInputError("--policy-config: expected a JSON object of rule name to an object of settings")
    by_name = {p.name: p for p in policies}
    for rule, settings in document.items():
        if rule not in by_name:
            raise CheckInputError(
                f"--policy-config: unknown rule {escaped(rule)!r}{did_you_mean(rule, by_name)} (see infra rules)"
            )
        schema_properties = dict(getattr(by_name[rule].config_schema, "properties", None) or {})
        properties: dict[str, Any] = {**schema_properties, "enforcementLevel": {"enum": list(ENFORCEMENT_LEVELS)}}
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        problem = next(iter(sorted(jsonschema.Draft7Validator(schema).iter_errors(settings), key=str)), None)
        if problem is None:
            continue
        if problem.validator == "additionalProperties" and isinstance(settings, dict):
            unknown = sorted(str(k) for k in set(settings) - set(properties))
            allowed = ", ".join(sorted(properties))
            raise CheckInputError(
                f"--policy-config: {rule}.{escaped(unknown[0])}: unknown setting (allowed: {allowed})"
            )
        where = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in problem.absolute_path)
        raise CheckInputError(f"--policy-config: {rule}{escaped(where)}: {escaped(problem.message)[:200]}")
    return document
