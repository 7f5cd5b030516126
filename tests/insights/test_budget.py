"""platform:budget: a plan over its budget is a mandatory violation of `infra check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.config.platform import build_config
from tests.insights.support import document, plan, res
from tools import cli
from tools.insights import budget


def test_over_the_budget_is_mandatory_and_under_it_is_clean() -> None:
    resources = plan(res("aws:eks/cluster:Cluster", "eks"), outputs={"budgetMonthlyUsd": 50})
    found = budget.violations(resources)
    assert len(found) == 1 and found[0].mandatory and "$73.00" in found[0].message
    resources[0]["outputs"]["budgetMonthlyUsd"] = 100
    assert budget.violations(resources) == []
    del resources[0]["outputs"]["budgetMonthlyUsd"]
    assert budget.violations(resources) == []  # no budget, no rule


def test_infra_check_exits_1_when_prod_is_over_its_budget(planned, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    resources = [dict(r) for r in planned("prod")[1]]
    resources[0] = dict(resources[0], outputs={**resources[0].get("outputs", {}), "budgetMonthlyUsd": 1000})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document(resources)))
    assert cli.run(["check", "--plan", str(path)]) == 1


def test_the_budget_is_a_positive_number_of_dollars() -> None:
    cfg = build_config({"environment": "dev", "budget": {"monthlyUsd": 450}})
    assert cfg.budget is not None and cfg.budget.monthly_usd == 450
    assert build_config({"environment": "prod"}).budget is None  # no tier default
    with pytest.raises(ConfigError, match=r"budget\.monthlyUsd"):
        build_config({"environment": "dev", "budget": {"monthlyUsd": 0}})
