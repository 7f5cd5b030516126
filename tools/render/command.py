"""The ``infra render`` command and the ``--render`` / ``--rendered`` part of ``infra check``: flags in,
the library called, one line per release out, exit codes (0 done; 1 a render error, an unknown values
key or a violation in rendered objects; 2 bad input)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from tools.render.render import RenderInputError, RenderResult, kubernetes_version, read_rendered, render

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2


def run_render(
    resources: Sequence[Mapping[str, Any]], out: Path, charts_dir: Path | None, pull: bool,
    fail: Callable[[str], Exception],
) -> RenderResult:  # fmt: skip
    try:
        result = render(resources, out, charts_dir=charts_dir, pull=pull, echo=lambda line: typer.echo(line, err=True))
    except RenderInputError as error:
        raise fail(str(error)) from None
    for release in result.releases:
        typer.echo(release.line())
    rendered = sum(len(r.objects) for r in result.releases)
    typer.echo(f"Rendered {rendered} objects of {len(result.releases)} releases for Kubernetes "
               f"{result.kubernetes_version} into {out}")  # fmt: skip
    return result


def check_rendered_folder(
    resources: Sequence[Mapping[str, Any]], folder: Path, config: Mapping[str, Mapping[str, Any]],
    fail: Callable[[str], Exception],
) -> bool:  # fmt: skip
    """Run the rules over a rendered folder; print the findings; whether anything failed."""
    from tools.render.rendered_check import check_rendered, format_text

    try:
        releases = read_rendered(folder)
    except RenderInputError as error:
        raise fail(str(error)) from None
    version = kubernetes_version(resources) or "1.35"
    result = check_rendered(resources, releases, version, config)
    typer.echo(format_text(result))
    return result.failed
