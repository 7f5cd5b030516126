"""The budget rule of ``infra check``: a plan whose estimated monthly cost exceeds ``platform:budget``.

The stack program exports the budget (``budgetMonthlyUsd``), so the rule reads it from the plan itself,
from ``infra plan`` or from a ``pulumi stack export``. It lives here, not in the policy pack, because
the figure it compares with comes from the project's price table (``tools.insights``), and the pack
imports nothing of the project (a second copy of the prices inside it would drift from the first).
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel

from tools.check import Violation
from tools.insights import cost
from tools.insights.plans import Resource, stack_name, stack_outputs

POLICY = "budget-monthly-usd"
OUTPUT = "budgetMonthlyUsd"


def violations(resources: Sequence[Resource]) -> list[Violation]:
    budget = stack_outputs(resources).get(OUTPUT)
    if not isinstance(budget, int | float) or isinstance(budget, bool):
        return []
    report = cost.estimate(resources, stack_name(resources))
    if report.total <= budget:
        return []
    unpriced = f"; {len(report.unpriced)} resources unpriced, not counted" if report.unpriced else ""
    return [
        Violation(
            policy=POLICY,
            severity="high",
            enforcement=EnforcementLevel.MANDATORY.value,
            urn=None,
            message=(
                f"the estimated cost, ${report.total:,.2f} a month (on-demand, prices of "
                f"{cost.p.PRICES_DATE}{unpriced}), exceeds platform:budget.monthlyUsd ${budget:,.2f}"
            ),
            remediation="shrink what the estimate's largest components size (infra cost), or raise the budget",
        )
    ]
