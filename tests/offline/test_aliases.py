"""Aliases of the export: each alias of a resource written as the URN the engine derives from it (the
``aliases`` field of ``pulumi stack export``'s resource shape), never a mock runtime URN; no field
without aliases. The export writes them only when asked; ``infra plan`` asks (tests/stacks/test_urns.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pytest

from policies.rules import ALL_POLICIES
from tests.support import Resource
from tools.check import CheckInputError, check, load_resources
from tools.offline import export
from tools.offline.engine import AliasRecord, record

PREFIX = "urn:pulumi:test::platform::"
COMP = "platform:test:Comp"
THING = "test:index:Thing"
Aliases = dict[str, list[str] | None]  # logical name -> the aliases field of the export


class Comp(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMP, name, None, opts)
        self.register_outputs({})


def thing(name: str, *aliases: pulumi.Input[str] | pulumi.Alias, parent: pulumi.Resource | None = None) -> None:
    pulumi.CustomResource(THING, name, {}, pulumi.ResourceOptions(parent=parent, aliases=list(aliases)))


def program() -> None:
    outer = Comp("outer")
    old = Comp("old-parent", pulumi.ResourceOptions(parent=outer))
    new = Comp("new-parent")
    thing("renamed", pulumi.Alias(name="old", parent=old), parent=new)
    thing("moved", pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE), parent=new)
    thing("adopted", pulumi.Alias(parent=new))
    thing("retyped", pulumi.Alias(type_="test:index:OldThing"), parent=new)
    thing("retyped-top", pulumi.Alias(type_="test:index:OldThing"))
    thing("by-urn", f"{PREFIX}test:index:Gone::gone", old.urn)
    thing("by-parent-urn", pulumi.Alias(parent=f"{PREFIX}{COMP}${COMP}::gone"))
    thing("elsewhere", pulumi.Alias(stack="other", project="proj", name="was"), parent=old)
    thing("twice", pulumi.Alias(name="a"), pulumi.Alias(name="a"), pulumi.Alias(name="b"))
    thing("plain", parent=new)


def exported(aliases: bool) -> list[Resource]:
    recording = record(program, project="platform", stack="test")
    return export.deployment(recording, aliases=aliases)["deployment"]["resources"]


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    return exported(aliases=True)


@pytest.fixture(scope="module")
def aliases(resources: list[Resource]) -> Aliases:
    return {r["urn"].rsplit("::", 1)[-1]: r.get("aliases") for r in resources if r["type"] == THING}


def test_a_new_name_under_another_component_keeps_the_old_parents_whole_type_chain(aliases: Aliases) -> None:
    assert aliases["renamed"] == [f"{PREFIX}{COMP}${COMP}${THING}::old"]


def test_a_top_level_parent_lends_its_engine_type_not_the_mock_runtimes_stack_prefix(aliases: Aliases) -> None:
    assert aliases["adopted"] == [f"{PREFIX}{COMP}${THING}::adopted"]


def test_an_alias_to_the_root_stack_drops_the_parent_types(aliases: Aliases) -> None:
    assert aliases["moved"] == [f"{PREFIX}{THING}::moved"]


def test_an_alias_of_type_keeps_the_current_parent(aliases: Aliases) -> None:
    assert aliases["retyped"] == [f"{PREFIX}{COMP}$test:index:OldThing::retyped"]
    assert aliases["retyped-top"] == [f"{PREFIX}test:index:OldThing::retyped-top"]


def test_whole_urns_are_kept_and_a_mock_urn_becomes_the_engines(aliases: Aliases) -> None:
    assert aliases["by-urn"] == [f"{PREFIX}test:index:Gone::gone", f"{PREFIX}{COMP}${COMP}::old-parent"]


def test_a_parent_given_as_an_engine_urn_lends_its_qualified_type(aliases: Aliases) -> None:
    assert aliases["by-parent-urn"] == [f"{PREFIX}{COMP}${COMP}${THING}::by-parent-urn"]


def test_stack_and_project_of_an_alias_replace_the_current_ones(aliases: Aliases) -> None:
    assert aliases["elsewhere"] == [f"urn:pulumi:other::proj::{COMP}${COMP}${THING}::was"]


def test_aliases_are_written_once_each_in_the_order_given(aliases: Aliases) -> None:
    assert aliases["twice"] == [f"{PREFIX}{THING}::a", f"{PREFIX}{THING}::b"]


def test_a_resource_without_aliases_has_no_aliases_field(aliases: Aliases, resources: list[Resource]) -> None:
    assert aliases["plain"] is None
    assert not [r["urn"] for r in resources if r["type"] != THING and "aliases" in r]


def test_the_export_writes_aliases_only_when_asked_though_the_sdk_sends_its_own() -> None:
    def typed() -> None:
        k8s.networking.v1.NetworkPolicy("deny", metadata={"name": "deny"}, spec={"pod_selector": {}})

    recording = record(typed, project="platform", stack="test")
    (policy,) = [r for r in recording.resources if r.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"]
    assert AliasRecord(type="kubernetes:extensions/v1beta1:NetworkPolicy") in policy.aliases
    assert not [r for r in export.deployment(recording)["deployment"]["resources"] if "aliases" in r]
    assert not [r for r in exported(aliases=False) if "aliases" in r]


def _plan_file(tmp_path: Path, resources: list[Resource]) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    return path


def test_check_reads_a_plan_with_aliases(tmp_path: Path, resources: list[Resource]) -> None:
    assert any("aliases" in r for r in resources)
    assert check(load_resources(_plan_file(tmp_path, resources)), ALL_POLICIES) == []


def test_check_rejects_aliases_that_are_not_a_list(tmp_path: Path) -> None:
    resource = {"urn": f"{PREFIX}{THING}::x", "type": THING, "custom": True, "inputs": {}, "aliases": "urn:x"}
    with pytest.raises(CheckInputError, match="aliases is not a list"):
        load_resources(_plan_file(tmp_path, [resource]))
