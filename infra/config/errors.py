"""Configuration errors: one line naming the key (``platform:network.cidr``) and what is allowed.

Pydantic's validation errors are turned into that line here. For an unknown key the line lists the
keys the mapping admits, found by walking the models from the root model passed in (``PlatformConfig``;
passed rather than imported, so this module does not depend on the models).
"""

from __future__ import annotations

import typing
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from infra.config.base import NAMESPACE, _KeyedError


class ConfigError(ValueError):
    """A configuration value is invalid. ``str(err)`` is one line naming the key."""


def _allowed_keys(loc: tuple[Any, ...], root: type[BaseModel]) -> list[str]:
    """The keys a mapping at ``loc`` (minus the offending key) admits, by walking the models from ``root``."""
    model: Any = root
    for part in loc[:-1]:
        if typing.get_origin(model) is dict:  # a mapping of free names to models: step into the model
            model = typing.get_args(model)[1]
            continue
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return []
        model = field.annotation
        if typing.get_origin(model) is dict:  # the next part is a free name (a key of the mapping)
            continue
        # Optional sections and lists of models: walk into the model they hold.
        inner = [a for a in get_args(model) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner:
            model = inner[0]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or n for n, f in model.model_fields.items())
    return []


_BOUND_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def _format_error(err: ValidationError, root: type[BaseModel]) -> str:
    """The one-line message for the first error of validating ``root``."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    key = f"{NAMESPACE}:" + ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc, root)
        return f"{key}: unknown key (allowed: {', '.join(allowed)})"
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _KeyedError):
        return f"{key}.{ctx_error.key}: {ctx_error}" if loc else f"{NAMESPACE}:{ctx_error.key}: {ctx_error}"
    if first["type"] in _BOUND_ERRORS:
        return f"{key}: {first['input']!r} is out of range ({message.removeprefix('Input should be ')})"
    if first["type"] == "enum" or first["type"] == "literal_error":
        expected = (first.get("ctx") or {}).get("expected", "")
        return f"{key}: {first['input']!r} is not allowed (allowed: {expected})"
    if first["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {message}"
