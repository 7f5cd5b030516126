"""`infra diff`: known changes, a known replacement, secrets masked, aliases honoured, the cost delta."""

from __future__ import annotations

import json
from pathlib import Path

from tests.insights.support import document, plan, res, urn
from tools import cli
from tools.insights import diff

SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1"}


def pair() -> tuple[list, list]:
    db = {"engine": "postgres", "identifier": "app-db", "instanceClass": "db.t4g.medium", "password": SECRET}
    old = plan(
        res("aws:rds/instance:Instance", "db", db),
        res("aws:ec2/subnet:Subnet", "a", {"cidrBlock": "10.0.0.0/24"}),
        res("aws:iam/role:Role", "old-name"),
        res("aws:kms/key:Key", "gone"),
    )
    new_db = dict(db, identifier="app-db-2", instanceClass="db.r6g.large",
                  password=dict(SECRET, ciphertext="v2"))  # fmt: skip
    new = plan(
        res("aws:rds/instance:Instance", "db", new_db),
        res("aws:ec2/subnet:Subnet", "a", {"cidrBlock": "10.0.0.0/24"}),
        res("aws:iam/role:Role", "new-name", aliases=[urn("aws:iam/role:Role", "old-name")]),
        res("aws:ec2/natGateway:NatGateway", "nat"),
    )
    return old, new


def test_changes_replacements_moves_and_cost() -> None:
    old, new = pair()
    d = diff.diff(old, new)
    assert [r["urn"].rsplit("::", 1)[-1] for r in d.added] == ["nat"]
    assert [r["urn"].rsplit("::", 1)[-1] for r in d.removed] == ["gone"]
    first = d.changed[0]
    assert first.urn.endswith("::db") and first.replacement and first.stateful  # stateful replacement first
    assert first.replaces == ["identifier"]
    paths = {c.path: (c.old, c.new) for c in first.paths}
    assert paths["instanceClass"] == ("db.t4g.medium", "db.r6g.large")
    assert paths["password"] == ("[secret]", "[secret]")  # changed, value never shown
    moved = [c for c in d.changed if c.moved_from]
    assert moved and moved[0].moved_from.endswith("::old-name") and not moved[0].replacement
    assert d.cost_new > d.cost_old
    assert "v1" not in diff.format_text(d) and "v2" not in diff.format_markdown(d)


def test_the_command_writes_markdown(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    old, new = pair()
    (tmp_path / "old.json").write_text(json.dumps(document(old)))
    (tmp_path / "new.json").write_text(json.dumps(document(new)))
    assert cli.run(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert ":warning: **replace, stateful**" in out and "`identifier`" in out and "(forces replacement)" in out


def test_dev_against_prod_names_nat_gateways_node_sizes_and_replicas(planned) -> None:  # type: ignore[no-untyped-def]
    d = diff.diff(planned("dev")[1], planned("prod")[1], with_cost=False)
    added = {r["urn"].rsplit("::", 1)[-1] for r in d.added}
    assert {"network-nat-1", "network-nat-2"} <= added
    changed = {c.urn.rsplit("::", 1)[-1]: {x.path for x in c.paths} for c in d.changed}
    assert {"instanceTypes", "capacityType"} <= changed["cluster-workers"]  # dev: three Spot types
    assert "scalingConfig.desiredSize" in changed["cluster-workers"]
    assert "values.replicaCount" in changed["gateway-kong"]
    postgres = next(c for c in d.changed if c.urn.endswith("::postgres-db"))
    assert postgres.replacement and postgres.stateful and "identifier" in postgres.replaces
