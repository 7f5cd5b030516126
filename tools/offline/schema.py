"""Validate manifests of built-in kinds against the Kubernetes OpenAPI schema of the cluster's version.

The schemas come from the ``kubernetes-validate`` package (one JSON schema per kind and minor
version, strict: unknown fields are errors). Custom resources (cert-manager, Kong, Argo Rollouts ...)
are not built-in kinds: their schema lives in the CRD their chart installs, so they are skipped here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

BUILT_IN_GROUPS = frozenset(
    {
        "",  # core: "v1"
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apps",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
    }
)


@dataclass(frozen=True)
class SchemaProblem:
    kind: str
    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}: {self.message}"


def is_built_in(obj: dict[str, Any]) -> bool:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return group in BUILT_IN_GROUPS


@functools.cache
def _schema_version(kubernetes_version: str) -> str:
    """The newest schema set the package ships that is not newer than the cluster's version."""
    from kubernetes_validate import utils

    wanted = Version(utils.major_minor(kubernetes_version))
    shipped = [v for v in utils.all_versions() if Version(utils.major_minor(v)) <= wanted]
    if not shipped:
        raise ValueError(f"no Kubernetes schema for {kubernetes_version}")
    return shipped[-1]


@functools.cache
def _registry(schema_version: str) -> Any:
    """Definitions shared by every kind of one version, loaded once (they are most of the cost)."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    definitions = utils.schema_contents(f"kubernetes-json-schema/v{schema_version}-local-strict/_definitions.json", "")
    return Resource.from_contents(definitions) @ Registry()


@functools.cache
def _validator(api_version: str, kind: str, kubernetes_version: str) -> Any | None:
    """A strict JSON-schema validator for one kind, or None if the kind is not in that version."""
    import jsonschema
    from kubernetes_validate import utils
    from referencing import Resource

    version = _schema_version(kubernetes_version)
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(
            f"kubernetes-json-schema/v{version}-local-strict/{kind.lower()}-{group_version}.json", ""
        )
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(schema) @ _registry(version)
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def validate(obj: dict[str, Any], kubernetes_version: str) -> SchemaProblem | None:
    """None if ``obj`` is valid (or not a built-in kind), else the first problem, on one line.

    Same schemas and rules as ``kubernetes_validate.validate(obj, version, strict=True)``, with each
    kind's validator built once per run instead of once per object.
    """
    if not is_built_in(obj):
        return None
    name = str((obj.get("metadata") or {}).get("name", "?"))
    kind = str(obj.get("kind", "?"))
    api_version = str(obj.get("apiVersion", ""))
    validator = _validator(api_version, kind, kubernetes_version)
    if validator is None:
        return SchemaProblem(kind, name, f"{api_version} {kind} does not exist in Kubernetes {kubernetes_version}")
    error = next(iter(sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))), None)
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "(object)"
    return SchemaProblem(kind, name, f"{where}: {error.message}")
