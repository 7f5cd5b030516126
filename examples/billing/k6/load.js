// The release's performance test. Thresholds are not set here: the release workflow passes them
// (k6-p95-ms, k6-max-error-rate) so the platform's limits apply to every service alike.
import http from "k6/http";
import { check, sleep } from "k6";

const base = __ENV.BASE_URL;

export default function () {
  const health = http.get(`${base}/billing/health`);
  check(health, { "health is 200": (r) => r.status === 200 });
  const invoice = http.get(`${base}/billing/invoices/inv-1`);
  check(invoice, { "invoice is 200": (r) => r.status === 200 });
  sleep(1);
}
