"""Hand-made plans for the insights tests."""

from __future__ import annotations

from typing import Any

STACK = "urn:pulumi:t::platform::pulumi:pulumi:Stack::platform-t"
PROVIDER_URN = "urn:pulumi:t::platform::pulumi:providers:aws::aws-primary"
PROVIDER = f"{PROVIDER_URN}::p-1"


def urn(kind: str, name: str, stack: str = "t") -> str:
    return f"urn:pulumi:{stack}::platform::{kind}::{name}"


def res(
    kind: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    deps: list[str] = (),  # type: ignore[assignment]
    needed: dict[str, list[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "urn": urn(kind, name),
        "type": kind,
        "custom": True,
        "id": f"{name}-id",
        "inputs": inputs or {},
        "outputs": {},
        "parent": STACK,
        "provider": PROVIDER,
        "dependencies": sorted(set(deps)),
        "propertyDependencies": needed or {},
    }
    r.update(extra)
    return r


def plan(*resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    stack = {"urn": STACK, "type": "pulumi:pulumi:Stack", "custom": False, "outputs": outputs or {}}
    provider = {
        "urn": PROVIDER_URN,
        "type": "pulumi:providers:aws",
        "custom": True,
        "id": "p-1",
        "inputs": {"region": "us-east-1"},
        "parent": STACK,
    }
    return [stack, provider, *resources]


def document(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"resources": resources}}
