"""Shared test helpers: run code under the offline engine's mock runtime and look at what it made."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import promql_parser

from infra.aws_context import AwsContext
from tools.offline import export
from tools.offline.engine import record

ROOT = Path(__file__).resolve().parent.parent
Resource = dict[str, Any]

AWS = AwsContext(account_id="123456789012", partition="aws", region="us-east-1")


def build(program: Callable[[], object], stack: str = "test") -> list[Resource]:
    """Resources ``program`` registers, in plan.json shape (engine URNs, secrets hidden, ints restored)."""
    recording = record(program, project="platform", stack=stack)
    return export.deployment(recording)["deployment"]["resources"]


def of_type(resources: Iterable[Resource], token: str) -> list[Resource]:
    return [r for r in resources if r["type"] == token]


def one(resources: Iterable[Resource], token: str, name: str | None = None) -> Resource:
    found = [r for r in of_type(resources, token) if name is None or r["urn"].endswith(f"::{name}")]
    assert len(found) == 1, f"expected one {token} {name or ''}, found {len(found)}"
    return found[0]


def by_urn(resources: Iterable[Resource]) -> dict[str, Resource]:
    return {r["urn"]: r for r in resources}


def policy(resource: Resource, key: str) -> dict[str, Any]:
    """A JSON policy document held in an input (IAM roles, key policies)."""
    value = resource["inputs"][key]
    return json.loads(value) if isinstance(value, str) else value


def load_plan(out_dir: Path) -> list[Resource]:
    return json.loads((out_dir / "plan.json").read_text())["deployment"]["resources"]


def metric_names(expr: str) -> set[str]:
    """The metric names of a PromQL expression's vector selectors (ValueError if it does not parse)."""
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), pre_visit=visit)
    return found
