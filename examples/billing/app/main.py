"""A minimal service on the platform's contract: ``/health`` for the probes and the smoke tests,
``/metrics`` with ``http_requests_total`` by status for the Rollout's analysis, and one route."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

app = FastAPI(title="billing", docs_url=None, redoc_url=None, openapi_url=None)
REQUESTS: Counter[tuple[str, int]] = Counter()
INVOICES = {"inv-1": {"id": "inv-1", "amount_cents": 1250, "currency": "EUR"}}


@app.middleware("http")
async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    if request.url.path != "/metrics":
        REQUESTS[(request.method, response.status_code)] += 1
    return response


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/invoices/{invoice_id}")
def invoice(invoice_id: str) -> dict[str, object]:
    found = INVOICES.get(invoice_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such invoice")
    return found


@app.get("/metrics", response_class=PlainTextResponse)
def metrics() -> str:
    """Prometheus text format: the counter the platform's analysis divides (5xx over all)."""
    lines = ["# HELP http_requests_total HTTP requests by method and status.", "# TYPE http_requests_total counter"]
    for (method, status), count in sorted(REQUESTS.items()):
        lines.append(f'http_requests_total{{method="{method}",status="{status}"}} {count}')
    return "\n".join(lines) + "\n"
