"""The pipeline's smoke tests (.github/scripts/smoke.sh) run against servers on the loopback: an edge
that behaves (TLS 1.3 only, /health 200, HSTS, HTTP -> HTTPS) passes; one that also speaks TLS 1.2,
forgets HSTS or answers /health with an error fails, naming what is wrong."""

from __future__ import annotations

import datetime
import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Runner = Callable[["Edge"], subprocess.CompletedProcess[str]]
SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "scripts" / "smoke.sh"

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@dataclass(frozen=True)
class Edge:
    min_tls: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3
    hsts: bool = True
    health_status: int = 200


def certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def serve(server: http.server.HTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def run_against(tmp_path: Path) -> Iterator[Runner]:
    servers: list[http.server.HTTPServer] = []
    cert_file, key_file = certificate(tmp_path)

    def run(edge: Edge) -> subprocess.CompletedProcess[str]:
        class Https(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(edge.health_status if self.path == "/health" else 404)
                if edge.hsts:
                    self.send_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_HEAD = do_GET  # noqa: N815 (the handler method name http.server looks up)

            def log_message(self, *args: object) -> None:
                pass

        https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Https)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = edge.min_tls
        context.load_cert_chain(cert_file, key_file)
        https.socket = context.wrap_socket(https.socket, server_side=True)
        https_port = https.server_address[1]

        class Http(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(301)
                self.send_header("Location", f"https://localhost:{https_port}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Http)
        servers.extend([https, plain])
        serve(https)
        serve(plain)
        env = {
            "PATH": "/usr/bin:/bin",
            "SMOKE_RETRIES": "0",
            "SMOKE_CURL_ARGS": f"--cacert {cert_file} --ipv4",
            "SMOKE_HTTPS_PORT": str(https_port),
            "SMOKE_HTTP_PORT": str(plain.server_address[1]),
        }
        return subprocess.run(
            ["bash", str(SCRIPT), "localhost"], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    yield run
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_tls13_only_edge_with_health_hsts_and_redirect_passes(run_against: Runner) -> None:
    result = run_against(Edge())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "200 over TLS 1.3" in result.stdout
    assert "TLS 1.2-only client refused" in result.stdout
    assert "HSTS header" in result.stdout
    assert "301 https://localhost:" in result.stdout


def test_an_edge_that_still_speaks_tls12_fails(run_against: Runner) -> None:
    result = run_against(Edge(min_tls=ssl.TLSVersion.TLSv1_2))
    assert result.returncode == 1
    assert "accepted a TLS 1.2-only client" in result.stderr


def test_missing_hsts_or_unhealthy_gateway_fails(run_against: Runner) -> None:
    result = run_against(Edge(hsts=False, health_status=503))
    assert result.returncode == 1
    assert "no Strict-Transport-Security header" in result.stderr
    assert "over TLS 1.3: error" in result.stderr
