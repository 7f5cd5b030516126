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

from pydantic import BaseModel, ConfigDict

from infra.config import stack_yaml
from infra.config.base import NAMESPACE
from infra.config.errors import ConfigError, did_you_mean, escaped
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


# Namespaces a stack file may use: the project's own, the Pulumi engine's, and those of the providers
# the program uses (each reads its ``<provider>:*`` keys). Any other namespace is a typo or a leftover.
PROVIDER_NAMESPACES: tuple[str, ...] = ("pulumi", "aws", "kubernetes", "random")
KNOWN_NAMESPACES: tuple[str, ...] = (NAMESPACE, *PROVIDER_NAMESPACES)
_TOP_LEVEL_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


class StackFile(BaseModel):
    """A ``Pulumi.<stack>.yaml`` as the Pulumi CLI would hand it to the program."""

    model_config = ConfigDict(frozen=True)

    path: Path
    config: dict[str, str]  # flat "namespace:key" -> string / JSON text, as the CLI passes it
    secret_keys: tuple[str, ...]
    values: dict[str, Any] = {}  # the same entries with their YAML types (what is validated)


SECRET_PLACEHOLDER = "offline-secret-placeholder"


def read_stack_file(path: Path) -> StackFile:
    """Parse a stack file strictly (``stack_yaml``: bounded, no duplicate keys, no ambiguous scalars).
    ``secure:`` values become placeholders marked secret (no key to decrypt)."""
    document = stack_yaml.load(stack_yaml.read_text_bounded(path), path)
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: a stack file is a mapping with a 'config' key")
    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            raise ConfigError(
                f"{escaped(key)}: unknown top-level key of {path}{did_you_mean(key, _TOP_LEVEL_KEYS)} "
                "(allowed: config, secretsprovider, encryptedkey, encryptionsalt, environment)"
            )
    entries = document.get("config", {})
    if not isinstance(entries, dict):
        raise ConfigError(f"config: must be a mapping of namespace:key to value ({path})")
    flat: dict[str, str] = {}
    typed: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in entries.items():
        namespace, colon, name = key.partition(":")
        if not colon or not name or not namespace:
            raise ConfigError(f"{escaped(key)}: config keys are namespace:name, like {NAMESPACE}:network")
        if namespace not in KNOWN_NAMESPACES:
            raise ConfigError(
                f"{escaped(key)}: unknown namespace {escaped(namespace)!r}{did_you_mean(namespace, KNOWN_NAMESPACES)} "
                f"(allowed: {', '.join(KNOWN_NAMESPACES)}; the platform's settings live under {NAMESPACE}:)"
            )
        if value is None:
            raise ConfigError(f"{escaped(key)}: null is not a setting; remove the key to get its default")
        if isinstance(value, dict) and set(value) == {"secure"}:
            if not isinstance(value["secure"], str):
                raise ConfigError(f"{escaped(key)}.secure: must be the encrypted text Pulumi wrote")
            flat[key] = typed[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
            continue
        typed[key] = value
        if isinstance(value, dict | list):
            flat[key] = json.dumps(value)
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        else:
            flat[key] = str(value)
    return StackFile(path=path, config=flat, secret_keys=tuple(sorted(secret_keys)), values=typed)


def config_from_stack_file(stack_file: StackFile) -> PlatformConfig:
    """Validate a parsed stack file exactly as the stack program will, with the values' YAML types
    (``platform:project: true`` is a boolean, not the text "true")."""
    prefix = f"{NAMESPACE}:"
    values = stack_file.values or {k: decode_config_value(v) for k, v in stack_file.config.items()}
    return build_config({k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)})
