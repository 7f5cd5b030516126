"""Validate manifests of built-in kinds against the Kubernetes OpenAPI schema of the cluster's version.

The schemas come from the ``kubernetes-validate`` package (one JSON schema per kind and minor
version, strict: unknown fields are errors). Custom resources (cert-manager, Kong, Argo Rollouts ...)
are not built-in kinds: their schema lives in the CRD their chart installs, so they are skipped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def validate(obj: dict[str, Any], kubernetes_version: str) -> SchemaProblem | None:
    """None if ``obj`` is valid (or not a built-in kind), else the first problem, on one line."""
    if not is_built_in(obj):
        return None
    import kubernetes_validate

    name = str((obj.get("metadata") or {}).get("name", "?"))
    kind = str(obj.get("kind", "?"))
    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(p) for p in error.absolute_path) or "(object)"
        return SchemaProblem(kind, name, f"{where}: {error.message}")
    except kubernetes_validate.SchemaNotFoundError:
        missing = f"{obj.get('apiVersion')} {kind} does not exist in Kubernetes {kubernetes_version}"
        return SchemaProblem(kind, name, missing)
    return None
