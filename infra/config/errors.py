"""Configuration errors: one line naming the key (``platform:network.cidr``) and what is allowed.

Pydantic's validation errors are turned into that line here. For an unknown key the line lists the
keys the mapping admits, found by walking the models from the root model passed in (``PlatformConfig``;
passed rather than imported, so this module does not depend on the models).
"""

from __future__ import annotations

import difflib
import typing
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from infra.config.base import NAMESPACE, _KeyedError


def escaped(text: str) -> str:
    """``text`` with line breaks, NUL and other unprintable characters written as escapes, so a key or
    value shown in a message can never break it over two lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)``, escaped and cut to ``limit`` characters (a hostile value can be kilobytes long)."""
    text = escaped(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(word: str, known: typing.Iterable[str]) -> str:
    """`` (did you mean 'network'?)`` for the nearest of ``known``, or nothing."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ConfigError(ValueError):
    """A configuration value is invalid. ``str(err)`` is one line naming the key (escaped: a key with a
    newline or NUL in it is shown as ``\\n`` / ``\\x00``)."""

    def __init__(self, message: str) -> None:
        super().__init__(escaped(message))


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


def _format_error(err: ValidationError, root: type[BaseModel]) -> str:  # noqa: PLR0911
    """The one-line message for the first error of validating ``root``."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    key = f"{NAMESPACE}:" + ".".join(escaped(str(p)) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(
        ".[", "["
    )
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc, root)
        hint = did_you_mean(str(loc[-1]), allowed) if loc else ""
        return f"{key}: unknown key{hint} (allowed: {', '.join(allowed)})"
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _KeyedError):
        named = f"{key}.{ctx_error.key}" if loc else f"{NAMESPACE}:{ctx_error.key}"
        return f"{named.replace('.[', '[')}: {ctx_error}"
    if first["type"] in _BOUND_ERRORS:
        return f"{key}: {shown(first['input'])} is out of range ({message.removeprefix('Input should be ')})"
    if first["type"] == "enum" or first["type"] == "literal_error":
        expected = (first.get("ctx") or {}).get("expected", "")
        return f"{key}: {shown(first['input'])} is not allowed (allowed: {expected})"
    if first["type"] == "missing":
        return f"{key}: required key is missing"
    if first["type"] in _STRICT_TYPES:  # strict types: say what was given, never coerce it
        given = _KIND.get(type(first["input"]).__name__, type(first["input"]).__name__)
        value = "" if first["input"] is None else " " + shown(first["input"])
        return f"{key}: {_STRICT_TYPES[first['type']]} is needed, not {given}{value}"
    return f"{key}: {message}"


_STRICT_TYPES = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "string_type": "text",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
}
_KIND = {"NoneType": "null", "bool": "boolean", "int": "number", "float": "number", "str": "text", "dict": "mapping",
         "list": "list"}  # fmt: skip
