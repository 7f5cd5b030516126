"""A stack file's YAML, read strictly and within bounds.

YAML as PyYAML reads it by default is too lenient for a file that decides how production is built:
the last of two equal keys wins, ``yes``/``on`` become booleans (YAML 1.1) where the Pulumi CLI (YAML
1.2) reads text, ``2026-01-01`` becomes a date, ``!!binary`` bytes, and a file of nested aliases
(the "billion laughs") expands to gigabytes. Here:

- the file is at most :data:`MAX_FILE_BYTES`, a regular file, UTF-8;
- a first pass over the parser's events bounds nesting (:data:`MAX_DEPTH`), the size of the document
  once every alias is expanded (:data:`MAX_NODES`) and every scalar (:data:`MAX_SCALAR_CHARS`), and
  refuses recursive aliases, before a single node is built;
- values resolve by YAML 1.2's core schema (what the Pulumi CLI reads); a plain scalar that YAML 1.1
  reads otherwise (``yes``, ``off``, ``0755``, ``1:30``, a date) is refused with "quote it";
- keys are strings (at most :data:`MAX_KEY_CHARS`), unique in their mapping; merge keys (``<<``) and
  tags other than the core ones (``!!str``, ``!!int`` ...) are refused. (A ``null`` is read as None;
  the loader refuses it for a whole setting, the models wherever a value is required.)

Every refusal is a :class:`ConfigError` naming the key (``platform:cluster.nodeGroup.minSize``) and the
line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from infra import files
from infra.config.errors import ConfigError, escaped, shown

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 16
MAX_NODES = 20_000
MAX_SCALAR_CHARS = 4096
MAX_KEY_CHARS = 256

_CORE = "tag:yaml.org,2002:"
_PLAIN = "!plain"  # an untagged plain scalar: resolved below by the core schema
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_NOT_FINITE = re.compile(r"^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$")
# Plain scalars YAML 1.1 (PyYAML) and YAML 1.2 (the Pulumi CLI) read differently.
_YAML11_BOOL = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_YAML11_NUMBER = re.compile(
    r"^[-+]?(0[0-9_]+|0[bBoOxX][0-9a-fA-F_]+|[1-9][0-9_]*_[0-9_]*|[1-9][0-9_]*(:[0-5]?[0-9])+|[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*)$"
)
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|$)")


class _Loader(_BASE):
    """Composes nodes only (nothing is constructed); untagged plain scalars keep the ``!plain`` tag."""

    def resolve(self, kind: type, value: Any, implicit: Sequence[bool]) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _CORE + "str"
        return _CORE + ("seq" if kind is SequenceNode else "map")


def read_text_bounded(path: Path, what: str = "stack file") -> str:
    """The file's text: a regular UTF-8 file of at most MAX_FILE_BYTES, else one line."""
    try:
        return files.read_text_bounded(path, MAX_FILE_BYTES)
    except files.UnreadableFileError as problem:
        message = {
            files.Problem.MISSING: f"no such {what}",
            files.Problem.NOT_A_FILE: f"not a regular file (a {what} is a UTF-8 YAML file)",
            files.Problem.UNREADABLE: f"cannot read ({problem.detail})",
            files.Problem.TOO_LARGE: f"larger than {MAX_FILE_BYTES // 1024} KiB; a {what} is far smaller",
            files.Problem.NOT_UTF8: f"not a text file (a {what} is UTF-8 YAML)",
        }[problem.problem]
        raise ConfigError(f"{path}: {message}") from None


def load(text: str, source: Path) -> Any:
    """The document of ``text`` as plain dicts, lists, str, int, float, bool and None."""
    _check_events(text, source)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    if node is None:
        return {}
    return _Walk(source).value(node, ())


def _yaml_error(exc: yaml.YAMLError, source: Path) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    where = f" line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "nesting depth" in str(problem):  # libyaml's own limit, met before ours in a flood of brackets
        return ConfigError(f"{source}:{where}: nested deeper than {MAX_DEPTH} levels")
    return ConfigError(f"{source}:{where} is not valid YAML ({problem})")


class _Open:
    """A collection open in the event stream: where it is, and what its next item is called."""

    def __init__(self, anchor: str | None, started: int, mapping: bool, path: Path_) -> None:
        self.anchor, self.started, self.mapping, self.path = anchor, started, mapping, path
        self.items = 0  # scalars/collections seen directly inside (a mapping alternates key, value)
        self.key: str | int = 0

    def child(self) -> Path_:
        """The path of the item about to be read (a mapping's key names its value)."""
        return (*self.path, self.key) if not self.mapping or self.items % 2 else self.path

    def seen(self, scalar: str | None) -> None:
        if self.mapping and self.items % 2 == 0:
            self.key = scalar if scalar is not None else "?"
        elif not self.mapping:
            self.key = self.items + 1
        self.items += 1


def _check_events(text: str, source: Path) -> None:
    """Bounds on the event stream: depth, expanded size, scalar length, recursive or unknown aliases."""
    loader = _Loader(text)
    stack: list[_Open] = []
    sizes: dict[str, int] = {}
    expanded = 0

    def fail(event: Any, message: str) -> ConfigError:
        where = stack[-1].child() if stack else ()
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        return ConfigError(f"{key_path(where)}: {message} ({source} line {line})")

    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                anchor = event.anchor
                if any(o.anchor == anchor for o in stack):
                    raise fail(event, f"the alias *{escaped(str(anchor))} refers to itself")
                if anchor not in sizes:
                    raise fail(event, f"the alias *{escaped(str(anchor))} has no anchor before it")
                expanded += sizes[anchor]
                if stack:
                    stack[-1].seen(None)
            elif isinstance(event, yaml.ScalarEvent):
                if len(event.value) > MAX_SCALAR_CHARS:
                    raise fail(event, f"a value of {len(event.value)} characters (at most {MAX_SCALAR_CHARS})")
                expanded += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                if stack:
                    stack[-1].seen(event.value)
            elif isinstance(event, yaml.CollectionStartEvent):
                path = stack[-1].child() if stack else ()
                if stack:
                    stack[-1].seen(None)
                expanded += 1
                stack.append(_Open(event.anchor, expanded - 1, isinstance(event, yaml.MappingStartEvent), path))
                if len(stack) > MAX_DEPTH:
                    raise fail(event, f"nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                done = stack.pop()
                if done.anchor is not None:
                    sizes[done.anchor] = expanded - done.started
            if expanded > MAX_NODES:
                raise fail(
                    event, f"more than {MAX_NODES} values once aliases are expanded (a stack file is far smaller)"
                )
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    finally:
        loader.dispose()


Path_ = tuple[str | int, ...]


def key_path(path: Path_) -> str:
    """``("config", "platform:cluster", "nodeGroup", "minSize")`` -> ``platform:cluster.nodeGroup.minSize``."""
    parts = list(path[1:]) if path[:1] == ("config",) and len(path) > 1 else list(path)
    if not parts:
        return "(the document)"
    text = escaped(str(parts[0]))
    for part in parts[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{escaped(part)}"
    return text


class _Walk:
    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, node: Node, path: Path_, message: str) -> ConfigError:
        return ConfigError(f"{key_path(path)}: {message} ({self.source} line {node.start_mark.line + 1})")

    def value(self, node: Node, path: Path_) -> Any:
        if isinstance(node, MappingNode):
            if node.tag != _CORE + "map":
                raise self.fail(node, path, f"the YAML tag {_short(node.tag)} is not allowed")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.key(key_node, path)
                if key in out:
                    raise self.fail(key_node, (*path, key), "the key is given twice in its mapping (a stack file "
                                    "may not repeat a key; YAML would silently keep the last)")  # fmt: skip
                out[key] = self.value(value_node, (*path, key))
            return out
        if isinstance(node, SequenceNode):
            if node.tag != _CORE + "seq":
                raise self.fail(node, path, f"the YAML tag {_short(node.tag)} is not allowed")
            return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node, path)

    def key(self, node: Node, path: Path_) -> str:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, path, "a key is a mapping or list; keys are plain names")
        if node.tag == _PLAIN and node.value == "<<":
            raise self.fail(node, path, "YAML merge keys (<<) are not allowed in a stack file; write the keys out")
        key = self.scalar(node, path)
        if not isinstance(key, str):
            kind = {bool: "a boolean", int: "a number", float: "a number"}.get(type(key), "null")
            raise self.fail(node, path, f"the key {shown(node.value)} is read as {kind}, not text; quote it")
        if not key.isprintable():
            raise self.fail(node, (*path, key), "the key holds a line break or control character")
        if len(key) > MAX_KEY_CHARS:
            raise self.fail(node, path, f"a key of {len(key)} characters (at most {MAX_KEY_CHARS})")
        return key

    def scalar(self, node: ScalarNode, path: Path_) -> Any:
        text, tag = node.value, node.tag
        if tag == _PLAIN:
            return self.plain(node, path)
        if tag == _CORE + "str":
            return text
        if tag in (_CORE + "int", _CORE + "float", _CORE + "bool", _CORE + "null"):
            value = self.plain(node, path)
            wanted: Any = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[tag.rsplit(":", 1)[1]]
            if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
                raise self.fail(node, path, f"{text!r} is not a valid {_short(tag)}")
            return float(value) if tag.endswith("float") else value
        raise self.fail(node, path, f"the YAML tag {_short(tag)} is not allowed (write a plain value)")

    def plain(self, node: ScalarNode, path: Path_) -> Any:
        text = node.value
        if _NULL.match(text):
            return None
        if text in _BOOL:
            return _BOOL[text]
        if _INT.match(text):
            return int(text)
        if _NOT_FINITE.match(text):
            raise self.fail(node, path, f"{text} is not a finite number")
        if _YAML11_BOOL.match(text):
            raise self.fail(node, path, f"{text} is ambiguous (a boolean in YAML 1.1, text in YAML 1.2); "
                            "write true or false, or quote it")  # fmt: skip
        if _YAML11_NUMBER.match(text):
            raise self.fail(node, path, f"{text} is ambiguous (a number in YAML 1.1, text in YAML 1.2); "
                            "write a plain decimal number, or quote it")  # fmt: skip
        if _FLOAT.match(text):
            number = float(text)
            if not math.isfinite(number):
                raise self.fail(node, path, f"{text} is not a finite number")
            return number
        if _TIMESTAMP.match(text):
            raise self.fail(node, path, f"{text} is read as a date; quote it")
        return text


def _short(tag: str | None) -> str:
    return escaped(str(tag).replace(_CORE, "!!"))
