"""Values keys a chart does not know: Helm ignores them without a word, so a typo ships a default.

Every key path the project sets is looked up in the chart's own defaults (``values.yaml``, with each
subchart's defaults under the subchart's name) and its ``values.schema.json`` (local ``$ref`` only,
nothing is fetched). A key is **unknown** when its parent's default is a non-empty map that lacks it,
the schema does not declare it, and the chart does not document it as a commented example that its
templates read. Keys under maps the chart leaves open are accepted: an empty ``{}`` or null default,
lists, and maps whose name says they are free-form (annotations, labels, env, extra arguments, config
entries, ``global``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.render.charts import Chart

# Maps whose own keys are the user's (their children are data, not settings of the chart).
OPEN_NAMES = frozenset(
    {"global", "env", "extraEnv", "extraArgs", "extraEnvVars", "entries", "nodeSelector", "data",
     "stringData", "matchLabels", "extraLabels", "extraAnnotations"}
)  # fmt: skip
OPEN_SUFFIXES = ("annotations", "Annotations", "labels", "Labels")
# Kubernetes objects a chart passes whole into its manifests (their fields are the API's, not the chart's).
KUBERNETES_FIELDS = frozenset(
    {"resources", "securityContext", "podSecurityContext", "containerSecurityContext", "affinity",
     "tolerations", "topologySpreadConstraints", "livenessProbe", "readinessProbe", "startupProbe",
     "strategy", "updateStrategy", "deploymentStrategy", "lifecycle", "seccompProfile", "capabilities"}
)  # fmt: skip
# ``toYaml .Values.a.b`` / ``with .Values.a.b``: the template copies that map whole into an object.
_PASSED_WHOLE = re.compile(r"(?:toYaml|toJson|with)\s+\(?\s*\$?\.Values\.([A-Za-z0-9_.]+)")
_COMMENTED = re.compile(r"^\s*#+\s*([A-Za-z_][A-Za-z0-9_-]*)\s*:", re.MULTILINE)


@dataclass(frozen=True)
class UnknownKey:
    release: str
    chart: str
    path: str
    nearest: str | None

    def __str__(self) -> str:
        hint = f" (nearest known key: {self.nearest})" if self.nearest else ""
        return f"{self.release}: values key {self.path} is unknown to chart {self.chart}{hint}"


def _is_open(key: str) -> bool:
    return key in OPEN_NAMES or key.endswith(OPEN_SUFFIXES)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return over


# Istio's charts keep every default under this key (their templates merge it, then the chosen profile,
# then the user's values at the top level): the user sets the keys inside it directly. Their templates
# read ``profile`` (and ``platform``, ``compatibilityVersion``) to pick ``files/profile-<name>.yaml``.
ISTIO_DEFAULTS = "_internal_defaults_do_not_set"
_PROFILE_READ = re.compile(r"coalesce\s+\(\$\.Values\)\.([A-Za-z]+)\s")


def defaults(chart: Chart) -> dict[str, Any]:
    """The chart's defaults with each subchart's under the name it is addressed by (an Istio chart's
    defaults taken out of their wrapper, with the profile selectors it reads)."""
    merged = chart.values()
    wrapped = merged.pop(ISTIO_DEFAULTS, None)
    if isinstance(wrapped, dict):
        merged = _merge(wrapped, merged)
        for key in _PROFILE_READ.findall(chart.templates()):
            merged.setdefault(key, "")
    for name, sub in chart.subcharts.items():
        merged[name] = _merge(defaults(sub), merged.get(name) or {})
    return merged


def _templates(chart: Chart) -> str:
    return "\n".join([chart.templates(), *(_templates(sub) for sub in chart.subcharts.values())])


def _passed_whole(chart: Chart, prefix: str = "") -> set[str]:
    found = {f"{prefix}{path}" for path in _PASSED_WHOLE.findall(chart.templates())}
    for name, sub in chart.subcharts.items():
        found |= _passed_whole(sub, f"{prefix}{name}.")
    return found


def _commented(chart: Chart) -> set[str]:
    names = set(_COMMENTED.findall(chart.text("values.yaml")))
    for sub in chart.subcharts.values():
        names |= _commented(sub)
    return names


class _Schema:
    def __init__(self, root: Mapping[str, Any] | None) -> None:
        self.root = root or {}

    def resolve(self, node: Any) -> Mapping[str, Any]:
        seen = 0
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 20:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return {}  # remote references are not fetched
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
            node, seen = target, seen + 1
        return node if isinstance(node, Mapping) else {}

    def properties(self, node: Any) -> dict[str, Any]:
        resolved = self.resolve(node)
        found: dict[str, Any] = dict(resolved.get("properties") or {})
        for combinator in ("allOf", "anyOf", "oneOf"):
            for part in resolved.get(combinator) or []:
                found.update(self.properties(part))
        return found


def unknown_keys(release: str, chart: Chart, values: Mapping[str, Any]) -> list[UnknownKey]:
    """Every key path of ``values`` the chart does not know, with its nearest known sibling."""
    schema = _Schema(chart.schema())
    templates = _templates(chart)
    commented = _commented(chart)
    whole = _passed_whole(chart)
    found: list[UnknownKey] = []

    def walk(given: Mapping[str, Any], default: Mapping[str, Any], node: Any, prefix: str) -> None:
        declared = schema.properties(node)
        for raw_key, value in given.items():
            key = str(raw_key)
            path = f"{prefix}{key}"
            if key in default:
                child = default[key]
                closed = not _is_open(key) and key not in KUBERNETES_FIELDS and path not in whole
                if isinstance(value, Mapping) and isinstance(child, Mapping) and child and closed:
                    walk(value, child, declared.get(key), f"{path}.")
                continue
            if key in declared:
                continue
            if key in commented and re.search(rf"\.{re.escape(key)}\b", templates):
                continue  # a documented, commented example the templates read
            siblings = sorted({*map(str, default), *declared})
            close = difflib.get_close_matches(key, siblings, n=1, cutoff=0.6)
            found.append(UnknownKey(release, chart.name, path, f"{prefix}{close[0]}" if close else None))

    walk(values, defaults(chart), schema.root, "")
    return found
