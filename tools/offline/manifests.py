"""Kubernetes objects of a plan, one YAML file each, as the API server would receive them.

Objects come from the typed ``pulumi_kubernetes`` resources' inputs (after export cleaning: integers
restored, secrets replaced by placeholders). Helm releases are not objects; their chart, version and
values are written beside the manifests under ``helm/`` so reviews see what each chart is given.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import yaml

from tools.offline.export import is_secret_placeholder

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_SKIP_PREFIXES = ("pulumi:providers:", "kubernetes:yaml", "kubernetes:helm.sh/v4", "kubernetes:kustomize")
REDACTED = "<secret: not written by the offline plan>"
REDACTED_BYTES = REDACTED.encode()
_SCALARS = frozenset({str, bool, int, float, type(None)})
# libyaml's emitter when PyYAML was built with it (the wheels are): same output, about 7x faster.
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def is_manifest(resource: dict[str, Any]) -> bool:
    kind = resource["type"]
    return (
        resource.get("custom", False)
        and kind.startswith("kubernetes:")
        and kind != HELM_RELEASE
        and not kind.startswith(_SKIP_PREFIXES)
    )


def manifest(resource: dict[str, Any], *, drop_secrets: bool = False) -> dict[str, Any]:
    """The object of a ``kubernetes:*`` resource, with the name the provider gives it.

    Secret values are replaced by a marker; with ``drop_secrets`` they are left out instead (for schema
    validation: a secret's shape is unknown offline, as its value is).
    """
    inputs = resource["inputs"]
    outputs = resource.get("outputs", {})
    obj = {
        k: _redact(v, drop_secrets)
        for k, v in inputs.items()
        if k not in ("__fieldManager", "__inputs") and not (drop_secrets and is_secret_placeholder(v))
    }
    metadata = dict(obj.get("metadata") or {})
    out_meta = outputs.get("metadata") or {}
    if "name" not in metadata and isinstance(out_meta, dict) and out_meta.get("name"):
        metadata["name"] = out_meta["name"]
    obj["metadata"] = metadata
    ordered = {k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj}
    ordered.update({k: v for k, v in obj.items() if k not in ordered})
    return ordered


def identity(obj: dict[str, Any]) -> str:
    """``Kind/namespace/name``: what the API server keys an object by (group aside)."""
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('namespace') or '-'}/{meta.get('name')}"


def objects_of(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The object of every ``kubernetes:*`` resource (:func:`manifest`), by URN: made once, for
    :func:`write` and :func:`duplicates` both."""
    return {r["urn"]: manifest(r) for r in resources if is_manifest(r)}


def for_validation(resource: dict[str, Any], written: dict[str, Any]) -> dict[str, Any]:
    """What the schema sees of ``resource`` whose written object is ``written``: the same object when
    it carries no secret, else :func:`manifest` with the secrets left out."""
    if REDACTED_BYTES in orjson.dumps(written):
        return manifest(resource, drop_secrets=True)
    return written


def duplicates(
    resources: list[dict[str, Any]], objects: dict[str, dict[str, Any]] | None = None
) -> dict[str, list[str]]:
    """Kubernetes objects declared by more than one resource (they would fight over one object)."""
    objects = objects_of(resources) if objects is None else objects
    owners: dict[str, list[str]] = {}
    for urn, obj in objects.items():
        owners.setdefault(identity(obj), []).append(urn)
    return {key: urns for key, urns in owners.items() if len(urns) > 1}


def _redact(value: Any, drop: bool = False) -> Any:
    if type(value) in _SCALARS:
        return value
    if is_secret_placeholder(value):
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact(v, drop) for k, v in value.items() if not (drop and is_secret_placeholder(v))}
    if isinstance(value, list):
        return [_redact(v, drop) for v in value if not (drop and is_secret_placeholder(v))]
    return value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-")


def write(
    resources: list[dict[str, Any]], out_dir: Path, objects: dict[str, dict[str, Any]] | None = None
) -> tuple[int, int]:
    """Write manifests/ and helm/ under ``out_dir`` (``objects``: :func:`objects_of` the resources, if
    made already); returns (objects, releases) written."""
    objects = objects_of(resources) if objects is None else objects
    manifest_dir = out_dir / "manifests"
    helm_dir = out_dir / "helm"
    for folder in (manifest_dir, helm_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.yaml"):
            old.unlink()
    written = releases = 0
    for resource in resources:
        if resource["type"] == HELM_RELEASE:
            inputs = resource["inputs"]
            name = inputs.get("name") or resource["urn"].rsplit("::", 1)[-1]
            release = {
                "release": name,
                "namespace": inputs.get("namespace", "default"),
                "chart": inputs.get("chart"),
                "version": inputs.get("version"),
                "repository": (inputs.get("repositoryOpts") or {}).get("repo"),
                "values": _redact(inputs.get("values", {})),
            }
            (helm_dir / f"{_slug(name)}.yaml").write_text(_dump(release), encoding="utf-8")
            releases += 1
        elif resource["urn"] in objects:
            obj = objects[resource["urn"]]
            meta = obj["metadata"]
            stem = "-".join(
                _slug(part) for part in (obj.get("kind", "object"), meta.get("namespace") or "cluster", meta["name"])
            )
            (manifest_dir / f"{stem}.yaml").write_text(_dump(obj), encoding="utf-8")
            written += 1
    return written, releases


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _dump(document: dict[str, Any]) -> str:
    """YAML with the given top-level order and every nested mapping sorted (stable across runs)."""
    ordered = {k: _sorted(v) for k, v in document.items()}
    return yaml.dump(ordered, Dumper=_DUMPER, sort_keys=False, default_flow_style=False, width=120)
