from __future__ import annotations

import os

import pytest

from tools.render.render import RenderInputError, helm_binary


@pytest.fixture(scope="session")
def helm() -> str:
    """The helm binary; absent, the test is skipped on a developer's machine and fails in CI."""
    try:
        return helm_binary()
    except RenderInputError:
        if os.environ.get("CI"):
            pytest.fail("no helm binary in CI: .ci/run must run `make helm`")
        pytest.skip("no helm binary (make helm installs one)")
