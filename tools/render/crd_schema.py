"""Custom resources validated against the ``openAPIV3Schema`` of the CRDs the charts ship.

The Kubernetes extensions of that schema dialect are honoured: ``x-kubernetes-preserve-unknown-fields``
(anything goes below), ``x-kubernetes-int-or-string``; unknown fields are errors where the CRD lists
``properties`` (the API server prunes them: a typo there is silently dropped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _strict(node: Any) -> Any:
    """The schema as JSON Schema: pruning made explicit, int-or-string made a union."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, Mapping):
        return node
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return {}
    if node.get("x-kubernetes-int-or-string"):
        return {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    out = {k: _strict(v) for k, v in node.items() if not str(k).startswith("x-kubernetes-")}
    if "properties" in node and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


class CrdSchemas:
    def __init__(self, crds: Sequence[Mapping[str, Any]]) -> None:
        self.schemas: dict[tuple[str, str], Any] = {}
        for crd in crds:
            spec = crd.get("spec") or {}
            kind = str((spec.get("names") or {}).get("kind"))
            for version in spec.get("versions") or []:
                schema = (
                    ((version.get("schema") or {}).get("openAPIV3Schema")) if isinstance(version, Mapping) else None
                )
                if schema:
                    self.schemas[(f"{spec.get('group')}/{version.get('name')}", kind)] = schema

    def validate(self, obj: Mapping[str, Any]) -> str | None:
        """The first problem of ``obj`` against its CRD, None when valid or when no rendered CRD defines it."""
        import jsonschema

        schema = self.schemas.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
        if schema is None:
            return None
        strict = dict(_strict(schema))
        properties = dict(strict.get("properties") or {})
        for key in ("apiVersion", "kind", "metadata"):
            properties.setdefault(key, {})
        properties["metadata"] = {}
        strict["properties"] = properties
        error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(strict).iter_errors(dict(obj)))
        if error is None:
            return None
        where = ".".join(str(p) for p in error.absolute_path) or "(top)"
        return f"{where}: {error.message[:200]}"
