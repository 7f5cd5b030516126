"""What keeps a plan's time per resource flat as services are added (``bench/scale.py`` measures it).

- The cyclic garbage collector's full collections walk the whole heap (the SDKs' modules and the plan so
  far); under CPython's default thresholds their number grows with the resources registered, so their
  total cost grew with the square of the plan's size. The offline engine defers them while the program
  runs: a program four times as large runs with no more of them (none), and the thresholds come back.
- The SDK checks every declared dependency for a cycle by walking what the dependency itself depends on.
  A resource that waits on every service (or a service on another) would make each added service pay for
  all the others; no resource depends on the resources of a service other than its own.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi
import pytest

from tools.offline.engine import FULL_COLLECTION_EVERY, record

N = 40
KEPT_PER_RESOURCE = 2_500  # tracked objects each resource's program keeps alive (as the SDK's do)


@contextmanager
def full_collections() -> Iterator[list[int]]:
    """Counts the full (oldest-generation) collections that start inside the block."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


def program(resources: int, kept: list[Any]) -> Callable[[], None]:
    def run() -> None:
        for i in range(resources):
            pulumi.CustomResource("test:index:Thing", f"thing-{i}", {"index": i})
            kept.extend([i] for _ in range(KEPT_PER_RESOURCE))

    return run


@pytest.fixture
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    gc.collect()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_a_program_four_times_as_large_runs_with_no_full_collection(default_thresholds: None) -> None:
    counts = {}
    for size in (N, 4 * N):
        kept: list[Any] = []
        with full_collections() as seen:
            record(program(size, kept), project="p", stack="s")
        counts[size] = len(seen)
        assert len(kept) == size * KEPT_PER_RESOURCE
    assert counts == {N: 0, 4 * N: 0}
    assert gc.get_threshold() == (700, 10, 10)  # put back


def test_the_same_allocations_outside_the_engine_do_trigger_full_collections(default_thresholds: None) -> None:
    """The control: what the program above allocates is enough for CPython's defaults to run full
    collections, so the test above would see them if the engine stopped deferring them."""
    kept: list[Any] = []
    with full_collections() as seen:
        for i in range(4 * N):
            kept.extend([i] for _ in range(KEPT_PER_RESOURCE))
    assert len(seen) >= 1


def test_thresholds_come_back_when_the_program_fails(default_thresholds: None) -> None:
    def failing() -> None:
        assert gc.get_threshold()[2] == FULL_COLLECTION_EVERY
        raise ValueError("the program's own error")

    with pytest.raises(ValueError, match="the program's own error"):
        record(failing, project="p", stack="s")
    assert gc.get_threshold() == (700, 10, 10)


def test_no_resource_depends_on_another_services_resources(planned: Any) -> None:
    _, resources = planned("prod")
    service_of = {
        r["urn"]: r["urn"].rsplit("::", 1)[-1] for r in resources if r["type"] == "platform:service:ServiceDeployment"
    }
    assert len(service_of) >= 3
    for r in resources:  # plan.json is in topological order: parents come first
        if r["urn"] not in service_of and r.get("parent") in service_of:
            service_of[r["urn"]] = service_of[r["parent"]]
    for r in resources:
        through_inputs = {u for urns in r.get("propertyDependencies", {}).values() for u in urns}
        needs = set(r.get("dependencies", [])) | through_inputs
        others = {service_of[u] for u in needs if u in service_of} - {service_of.get(r["urn"])}
        assert not others, f"{r['urn']} waits on the resources of {sorted(others)}"
