"""Lifecycle: EKS support dates, pins, retired pieces."""

from __future__ import annotations

from datetime import date

from tests.insights.support import plan, res
from tools.insights import lifecycle


def test_a_version_past_extended_support_fails_and_near_standard_end_warns() -> None:
    assert lifecycle.kubernetes_findings("1.29", date(2026, 4, 1))[0].level == "fail"
    near = lifecycle.kubernetes_findings("1.33", date(2026, 6, 1))[0]
    assert near.level == "warn" and "58 days" in near.message
    assert lifecycle.kubernetes_findings("1.33", date(2026, 9, 1))[0].level == "warn"  # extended support
    assert lifecycle.kubernetes_findings("1.33", date(2026, 1, 1))[0].level == "ok"


def test_insights_exits_1_past_extended_support(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from tests.insights.support import document
    from tools import cli

    resources = plan(res("aws:eks/cluster:Cluster", "eks", {"version": "1.29"}))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document(resources)))
    assert cli.run(["insights", "--plan", str(path), "--today", "2026-04-01"]) == 1
    assert "left EKS extended support on 2026-03-23" in capsys.readouterr().out
    assert cli.run(["insights", "--plan", str(path), "--today", "2025-01-01"]) == 0


def test_pins_and_retired_charts_are_listed() -> None:
    retired = res("kubernetes:helm.sh/v3:Release", "old", {"chart": "ingress-nginx", "version": "4.11.0",
                  "repositoryOpts": {"repo": "https://kubernetes.github.io/ingress-nginx"},
                  "values": {"controller": {"image": {"repository": "x/controller", "tag": "v1.2.3"}}}})  # fmt: skip
    pins = lifecycle.pins(plan(retired))
    assert {p.what for p in pins} == {"https://kubernetes.github.io/ingress-nginx/ingress-nginx@4.11.0",
                                      "x/controller:v1.2.3"}  # fmt: skip
    assert all(p.pinned == "unknown" for p in pins)  # no repository given
    assert "retired ingress-nginx" in lifecycle.retired(plan(retired))[0].message
