from __future__ import annotations

import os

import pytest

from tools.plan import project_root
from tools.scan.scan import ScanInputError, checkov_binary


@pytest.fixture(scope="session")
def checkov() -> str:
    """The pinned checkov of .venv-scan; absent, the test is skipped on a developer's machine and fails in CI."""
    try:
        return checkov_binary(project_root())
    except ScanInputError as error:
        if os.environ.get("CI"):
            pytest.fail(f"no checkov in CI: .ci/run must run `make scan-setup` ({error})")
        pytest.skip("no checkov (make scan-setup installs it)")
