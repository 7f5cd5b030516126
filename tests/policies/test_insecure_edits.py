"""Insecure hand edits of the real prod plan (tests/fixtures/insecure-edits.yaml): each is caught by the
rule it names, for the resource it edits, through `infra check --plan`'s own code path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.rules import ALL_POLICIES
from tests.support import ROOT
from tools.check import check, load_resources

EDITS: list[dict[str, Any]] = yaml.safe_load((ROOT / "tests" / "fixtures" / "insecure-edits.yaml").read_text())
Resource = dict[str, Any]


def _key(resource: Resource) -> str:
    return f"{resource['type']}::{resource['urn'].rsplit('::', 1)[-1]}"


def _refs(value: Any, urns: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return urns[value[1:]]
    if isinstance(value, dict):
        return {k: _refs(v, urns) for k, v in value.items()}
    if isinstance(value, list):
        return [_refs(v, urns) for v in value]
    return value


def _change(node: Any, path: list[Any], change: Any) -> Any:
    """``change(container, last_key)`` at ``path`` inside ``node``; ``$json`` decodes and re-encodes text."""
    if path[0] == "$json":
        document = json.loads(node)
        _change(document, path[1:], change)
        return json.dumps(document)
    if len(path) == 1:
        change(node, path[0])
        return node
    key = path[0]
    if isinstance(node, dict):
        node.setdefault(key, {} if not isinstance(path[1], int) else [])
    node[key] = _change(node[key], path[1:], change)
    return node


def apply(plan: list[Resource], edit: dict[str, Any]) -> tuple[list[Resource], str]:
    """The edited plan and the URN the rule must name."""
    resources = copy.deepcopy(plan)
    urns = {_key(r): r["urn"] for r in resources}
    target = next(r for r in resources if _key(r) == edit["resource"])
    expected = target["urn"]
    for *path, value in edit.get("set", []):
        new_value = _refs(value, urns)
        _change(target, path, lambda c, k, v=new_value: c.__setitem__(k, v))
    for path in edit.get("delete", []):
        _change(target, path, lambda c, k: c.__delitem__(k))
    for *path, value in edit.get("append", []):
        item = _refs(value, urns)
        _change(target, path, lambda c, k, v=item: c.setdefault(k, []).append(v))
    if edit.get("remove"):
        resources.remove(target)
    if "add" in edit:
        added = edit["add"]
        stack = target["urn"].split("::")[0]
        new = {
            "urn": f"{stack}::platform::{added['type']}::{added['name']}",
            "type": added["type"],
            "custom": True,
            "inputs": _refs(added["inputs"], urns),
            "propertyDependencies": _refs(added.get("propertyDependencies", {}), urns),
            "provider": target.get("provider", ""),
        }
        resources.append(new)
        expected = new["urn"]
    if "expect" in edit:
        expected = urns.get(edit["expect"], edit["expect"])  # "*": the rule reports on a resource of its choice
    return resources, expected


def test_there_are_several_dozen_edits_over_most_rules() -> None:
    assert len(EDITS) >= 100
    covered = {e["rule"] for e in EDITS}
    assert len(covered) >= len(ALL_POLICIES) - 6, sorted({p.name for p in ALL_POLICIES} - covered)


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: f"{e['rule']}:{e['resource'].rsplit('::', 1)[-1]}")
def test_an_insecure_edit_of_the_prod_plan_is_caught_for_its_resource(
    planned: Any, edit: dict[str, Any], tmp_path: Path
) -> None:
    _, plan = planned("prod")
    edited, urn = apply(plan, edit)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": edited}}))
    found = check(load_resources(path), ALL_POLICIES)
    named = [v for v in found if v.policy == edit["rule"]]
    assert named, f"{edit['rule']} missed the edit ({[v.policy for v in found]})"
    assert urn in {v.urn for v in named} or edit.get("expect") == "*", [v.urn for v in named]
    assert all(v.mandatory for v in named)
