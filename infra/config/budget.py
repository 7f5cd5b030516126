"""The monthly budget of a stack (``platform:budget``): ``infra check`` fails a plan whose estimated
on-demand cost (``infra cost``) exceeds it. No tier default: a stack without the section has no budget."""

from __future__ import annotations

from pydantic import Field

from infra.config.base import _Model


class BudgetConfig(_Model):
    """``platform:budget``: ``monthlyUsd``, the most the stack may cost a month, in US dollars."""

    monthly_usd: float = Field(gt=0, le=10_000_000)
