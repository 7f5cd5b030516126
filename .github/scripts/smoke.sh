#!/usr/bin/env bash
# Smoke tests of a deployed stack's public endpoints: smoke.sh HOST [HOST...]
#   - https://HOST/health answers 200 through the ALB -> NGINX -> Kong chain, over TLS 1.3;
#   - a client limited to TLS 1.2 is refused (the edge speaks TLS 1.3 only);
#   - the response carries HSTS; plain HTTP is redirected (301) to HTTPS.
# SMOKE_RETRIES (default 10) retries the first request while DNS and targets settle;
# SMOKE_CURL_ARGS adds curl options (e.g. --cacert FILE for a private CA); SMOKE_HTTPS_PORT and
# SMOKE_HTTP_PORT name non-standard ports (the tests run it against servers on the loopback).
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "smoke.sh: no hostnames given (is the stack output publicHostnames empty?)" >&2
  exit 2
fi

retries="${SMOKE_RETRIES:-10}"
read -r -a extra <<< "${SMOKE_CURL_ARGS:-}"
https_port="${SMOKE_HTTPS_PORT:+:${SMOKE_HTTPS_PORT}}"
http_port="${SMOKE_HTTP_PORT:+:${SMOKE_HTTP_PORT}}"
failed=0

fail() {
  echo "FAIL $1" >&2
  failed=1
}

for host in "$@"; do
  url="https://${host}${https_port}/health"
  plain="http://${host}${http_port}/health"

  code=$(curl --silent --show-error --fail --output /dev/null --write-out '%{http_code}' \
    --tlsv1.3 --tls-max 1.3 --max-time 15 \
    --retry "$retries" --retry-delay 15 --retry-all-errors "${extra[@]}" "$url") || code="error"
  if [[ "$code" == "200" ]]; then echo "ok   $url: 200 over TLS 1.3"; else fail "$url over TLS 1.3: $code"; fi

  if curl --silent --output /dev/null --tlsv1.2 --tls-max 1.2 --max-time 15 "${extra[@]}" "$url"; then
    fail "$url accepted a TLS 1.2-only client"
  else
    echo "ok   $url: TLS 1.2-only client refused"
  fi

  if curl --silent --show-error --head --tlsv1.3 --max-time 15 "${extra[@]}" "$url" \
    | grep -qi '^strict-transport-security:'; then
    echo "ok   $url: HSTS header"
  else
    fail "$url: no Strict-Transport-Security header"
  fi

  redirect=$(curl --silent --output /dev/null --write-out '%{http_code} %{redirect_url}' --max-time 15 \
    "${extra[@]}" "$plain") || redirect="error"
  if [[ "$redirect" == "301 https://"* ]]; then
    echo "ok   $plain: $redirect"
  else
    fail "$plain: expected 301 to https, got $redirect"
  fi
done

exit "$failed"
