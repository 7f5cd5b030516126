"""Loading the configuration: from the Pulumi runtime (the stack program) and from a stack file (the
offline engine).

Loading goes:

    raw Pulumi config (strings, JSON for objects)  ->  tier defaults for the environment
    ->  the user's values merged on top  ->  PlatformConfig (validated, frozen)

Validation happens before any resource is registered. A bad value raises :class:`ConfigError`
whose message is one line naming the key (``platform:network.cidr``) and what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from infra.config.base import NAMESPACE
from infra.config.errors import ConfigError
from infra.config.platform import PlatformConfig, build_config


def decode_config_value(raw: Any) -> Any:
    """Pulumi hands config to the program as strings, objects and lists JSON-encoded."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def platform_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``platform:*`` entries of a flat Pulumi config map, namespace stripped and JSON decoded."""
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: decode_config_value(v) for k, v in config.items() if k.startswith(prefix)}


def load_from_pulumi() -> PlatformConfig:
    """Read and validate this stack's configuration from the running Pulumi program.

    Called from ``stacks/__main__.py`` only. Pulumi's public ``Config`` API cannot enumerate keys, and
    unknown keys must be rejected, so the runtime's config map is read as a whole (the same map the
    CLI fills from the stack file).
    """
    from pulumi.runtime import config as runtime_config

    flat: dict[str, Any] = dict(runtime_config.get_config_env())
    flat.update(runtime_config.CONFIG.get())
    return build_config(platform_values(flat))


class StackFile(BaseModel):
    """A ``Pulumi.<stack>.yaml`` as the Pulumi CLI would hand it to the program."""

    model_config = ConfigDict(frozen=True)

    path: Path
    config: dict[str, str]  # flat "namespace:key" -> string / JSON text, as the CLI passes it
    secret_keys: tuple[str, ...]


SECRET_PLACEHOLDER = "offline-secret-placeholder"


def read_stack_file(path: Path) -> StackFile:
    """Parse a stack file. ``secure:`` values become placeholders marked secret (no key to decrypt)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such stack file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (a stack file is UTF-8 YAML)") from None
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: a stack file is a mapping with a 'config' key")
    unknown = set(document) - {"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {sorted(unknown)[0]!r} (allowed: config, secretsprovider)")
    entries = document.get("config") or {}
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: 'config' must be a mapping of namespace:key to value")
    flat: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in entries.items():
        if not isinstance(key, str) or ":" not in key:
            raise ConfigError(f"{key}: config keys are namespaced, like {NAMESPACE}:network")
        if isinstance(value, dict) and set(value) == {"secure"}:
            flat[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
        elif isinstance(value, dict | list):
            flat[key] = json.dumps(value)
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        elif value is None:
            continue
        else:
            flat[key] = str(value)
    return StackFile(path=path, config=flat, secret_keys=tuple(sorted(secret_keys)))


def config_from_stack_file(stack_file: StackFile) -> PlatformConfig:
    """Validate a parsed stack file exactly as the stack program will."""
    return build_config(platform_values(stack_file.config))
