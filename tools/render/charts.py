"""Where a release's chart comes from, and what is inside it.

A chart is looked for, at the release's pinned version, in this order:

1. ``--charts-dir``: an unpacked folder ``<chart>-<version>/`` or ``<chart>/`` (its ``Chart.yaml``
   must name the pinned version), or a packed ``<chart>-<version>.tgz``;
2. the local cache (``$INFRA_CHART_CACHE``, default ``~/.cache/infra/charts``), where pulls land;
3. its repository, with ``helm pull`` (only when pulling is allowed: it needs the network).

:class:`Chart` reads a chart's files (folder or tarball, subcharts under ``charts/`` included, packed
or not) without unpacking it anywhere.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


def _bare(version: str) -> str:
    return str(version).strip().removeprefix("v")


def cache_dir() -> Path:
    configured = os.environ.get("INFRA_CHART_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "infra" / "charts"


@dataclass
class Chart:
    """One chart's files by relative path (``Chart.yaml``, ``values.yaml``, ``templates/...``), and
    its subcharts by the name its values address them with."""

    path: Path  # what ``helm template`` is given: a folder or a .tgz
    files: dict[str, bytes]
    subcharts: dict[str, Chart] = field(default_factory=dict)

    @property
    def meta(self) -> dict[str, Any]:
        return yaml.safe_load(self.files.get("Chart.yaml", b"")) or {}

    @property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    def text(self, name: str) -> str:
        return self.files.get(name, b"").decode("utf-8", errors="replace")

    def values(self) -> dict[str, Any]:
        loaded = yaml.safe_load(self.files.get("values.yaml", b"")) or {}
        return loaded if isinstance(loaded, dict) else {}

    def schema(self) -> dict[str, Any] | None:
        import json

        raw = self.files.get("values.schema.json")
        if not raw:
            return None
        try:
            loaded = json.loads(raw)
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None

    def templates(self) -> str:
        """Every template's text (subcharts' too), to find what the templates read."""
        parts = [body.decode("utf-8", errors="replace") for name, body in sorted(self.files.items())
                 if name.startswith("templates/")]  # fmt: skip
        return "\n".join(parts)


def _from_files(path: Path, files: dict[str, bytes]) -> Chart:
    chart = Chart(path, {k: v for k, v in files.items() if not k.startswith("charts/")})
    nested: dict[str, dict[str, bytes]] = {}
    for name, body in files.items():
        if not name.startswith("charts/"):
            continue
        rest = name.removeprefix("charts/")
        if rest.endswith((".tgz", ".tar.gz")) and "/" not in rest:
            sub = _read_tarball(io.BytesIO(body))
            chart.subcharts[_sub_name(sub, rest)] = _from_files(path / name, sub)
        elif "/" in rest:
            folder, _, inner = rest.partition("/")
            nested.setdefault(folder, {})[inner] = body
    for folder, sub_files in nested.items():
        if "Chart.yaml" in sub_files:
            chart.subcharts[_sub_name(sub_files, folder)] = _from_files(path / "charts" / folder, sub_files)
    aliases = {str(d.get("name")): str(d.get("alias")) for d in chart.meta.get("dependencies") or []
               if isinstance(d, Mapping) and d.get("alias")}  # fmt: skip
    for name, alias in aliases.items():
        if name in chart.subcharts:
            chart.subcharts[alias] = chart.subcharts.pop(name)
    return chart


def _sub_name(files: dict[str, bytes], fallback: str) -> str:
    meta = yaml.safe_load(files.get("Chart.yaml", b"")) or {}
    return str(meta.get("name") or fallback)


def _read_tarball(source: Any) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=source, mode="r:*") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            # Packed charts hold one top folder, the chart's name.
            _, _, inner = member.name.partition("/")
            handle = archive.extractfile(member)
            if inner and handle is not None:
                files[inner] = handle.read()
    return files


def load(path: Path) -> Chart:
    """A chart from a folder or a ``.tgz``."""
    if path.is_dir():
        files = {
            str(p.relative_to(path)): p.read_bytes()
            for p in sorted(path.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        }
    else:
        with path.open("rb") as handle:
            files = _read_tarball(handle)
    return _from_files(path, files)


def _matches(path: Path, version: str) -> bool:
    if path.is_dir():
        meta_file = path / "Chart.yaml"
        if not meta_file.is_file():
            return False
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
        return _bare(str(meta.get("version", ""))) == _bare(version)
    return path.is_file()


def find_local(chart: str, version: str, folders: list[Path]) -> Path | None:
    """The chart at ``version`` in one of ``folders`` (unpacked or packed), else None."""
    names = {f"{chart}-{version}", f"{chart}-{_bare(version)}", f"{chart}-v{_bare(version)}"}
    for folder in folders:
        candidates = [folder / n for n in sorted(names)] + [folder / f"{n}.tgz" for n in sorted(names)]
        candidates.append(folder / chart)
        for candidate in candidates:
            if candidate.exists() and _matches(candidate, version):
                return candidate
    return None


def pull(helm: str, chart: str, version: str, repository: str, into: Path, echo: Callable[[str], None]) -> Path:
    """``helm pull`` the chart at ``version`` into ``into``; raises OSError when it cannot."""
    into.mkdir(parents=True, exist_ok=True)
    reference = f"{repository.rstrip('/')}/{chart}" if repository.startswith("oci://") else chart
    command = [helm, "pull", reference, "--version", version, "--destination", str(into)]
    if not repository.startswith("oci://"):
        command += ["--repo", repository]
    echo(f"pulling {chart} {version} from {repository} ...")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise OSError(" ".join(done.stderr.strip().split())[-300:] or "helm pull failed")
    found = find_local(chart, version, [into])
    if found is None:
        raise OSError(f"helm pull wrote no {chart}-{version}.tgz")
    echo(f"pulled {chart} {version} into {into}")
    return found
