"""Integration and end-to-end tests against the running image (APP_URL, set by the release workflow)."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

APP_URL = os.environ.get("APP_URL", "")
pytestmark = pytest.mark.skipif(not APP_URL, reason="runs against the built image (APP_URL)")


def get(path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"{APP_URL}{path}", timeout=5) as response:  # the image under test
        return response.status, response.read().decode()


def test_the_image_serves_health_and_metrics() -> None:
    assert get("/health")[0] == 200
    assert "http_requests_total" in get("/metrics")[1]


def test_an_invoice_end_to_end() -> None:
    status, body = get("/invoices/inv-1")
    assert status == 200 and json.loads(body)["currency"] == "EUR"
