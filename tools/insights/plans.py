"""Small readers of a plan's resources shared by the insights modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
Resource = dict[str, Any]


def name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def type_of_urn(urn: str) -> str:
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def stack_outputs(resources: Sequence[Resource]) -> dict[str, Any]:
    for r in resources:
        if r.get("type") == STACK_TYPE:
            return dict(r.get("outputs") or {})
    return {}


def stack_name(resources: Sequence[Resource]) -> str:
    for r in resources:
        urn = str(r.get("urn", ""))
        if urn.startswith("urn:pulumi:"):
            return urn.split("::", maxsplit=1)[0].removeprefix("urn:pulumi:")
    return ""


def components(resources: Sequence[Resource]) -> dict[str, str]:
    """Each resource's top-level component (the logical name of the stack's child it sits under)."""
    by_urn = {r["urn"]: r for r in resources}
    stack_urns = {r["urn"] for r in resources if r.get("type") == STACK_TYPE}
    result: dict[str, str] = {}
    for r in resources:
        node: Resource | None = r
        top = "(stack)"
        seen: set[str] = set()
        while node is not None and node["urn"] not in seen:
            seen.add(node["urn"])
            parent = node.get("parent") or ""
            if parent in stack_urns or not parent:
                top = name(node["urn"]) if node.get("type") != STACK_TYPE else "(stack)"
                break
            node = by_urn.get(parent)
        result[r["urn"]] = top
    return result


def custom(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.get("custom")]


def provider_urn(resource: Resource) -> str:
    ref = str(resource.get("provider") or "")
    return ref.rpartition("::")[0] if ref else ""
