"""The example service's unit tests (run by its release workflow, and by the platform's suite)."""

from __future__ import annotations

from app.main import app
from fastapi.testclient import TestClient

client = TestClient(app)


def test_health_answers_ok() -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_an_unknown_invoice_is_a_404_not_a_500() -> None:
    assert client.get("/invoices/nope").status_code == 404
    assert client.get("/invoices/inv-1").json()["amount_cents"] == 1250


def test_metrics_count_requests_by_status_for_the_rollout_analysis() -> None:
    client.get("/invoices/missing")
    text = client.get("/metrics").text
    assert "# TYPE http_requests_total counter" in text
    assert 'http_requests_total{method="GET",status="404"}' in text
