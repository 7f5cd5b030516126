from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.plan import plan_stack

STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``planned(stack)`` -> (out_dir, resources): each committed stack planned once per test session."""
    cache: dict[str, tuple[Path, list[dict[str, Any]]]] = {}

    def plan(stack: str) -> tuple[Path, list[dict[str, Any]]]:
        if stack not in cache:
            out = tmp_path_factory.mktemp(f"plan-{stack}")
            cache[stack] = (out, plan_stack(stack, out=out).resources)
        return cache[stack]

    return plan
