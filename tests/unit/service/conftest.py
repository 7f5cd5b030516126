"""The web service and the worker, each planned once per module."""

from __future__ import annotations

import pytest

from tests.support import Resource
from tests.unit.service.support import WORKER, deploy


@pytest.fixture(scope="module")
def web() -> list[Resource]:
    return deploy()


@pytest.fixture(scope="module")
def worker() -> list[Resource]:
    return deploy(**WORKER)
