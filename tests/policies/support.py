"""What the policy tests share: a provider, a resource builder, and the rules run offline."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from policies.rules import ALL_POLICIES
from tools.check import check

Resource = dict[str, Any]
PROVIDER_URN = "urn:pulumi:prod::platform::pulumi:providers:aws::aws-primary"
PROVIDER = {
    "urn": PROVIDER_URN,
    "type": "pulumi:providers:aws",
    "custom": True,
    "id": "p1",
    "inputs": {
        "region": "us-east-1",
        "defaultTags": json.dumps({"tags": {"Project": "platform", "Environment": "prod", "ManagedBy": "pulumi"}}),
    },
}


def violations_of(resources: list[Resource], rule: str | None = None) -> list[Any]:
    found = check(resources, ALL_POLICIES)
    return [v for v in found if rule is None or v.policy == rule]


def resource(kind: str, name: str, inputs: dict[str, Any], **extra: Any) -> Resource:
    urn = f"urn:pulumi:prod::platform::{kind}::{name}"
    return {
        "urn": urn,
        "type": kind,
        "custom": True,
        "id": name,
        "inputs": inputs,
        "provider": f"{PROVIDER_URN}::p1",
        **extra,
    }


def mutated(resources: list[Resource], kind: str, change: Callable[[Resource], None]) -> tuple[list[Resource], str]:
    """Deep copy of the plan with ``change`` applied to the first resource of ``kind`` (``type::name`` picks one)."""
    copied = copy.deepcopy(resources)
    kind, _, name = kind.partition("::")
    target = next(r for r in copied if r["type"] == kind and (not name or r["urn"].endswith(f"::{name}")))
    change(target)
    return copied, target["urn"]
