"""Where a plan goes, checked before the program runs, and how it gets there.

- the stack name is a Pulumi stack name (no path characters, not empty);
- ``--out`` is a folder (not a file), outside the project's source folders (inside the project only
  under ``build/``), writable, and new, empty, or a plan folder this tool wrote (nothing else in it);
- the plan is written to a temporary folder next to ``--out`` and moved into place only when it is
  complete; a failed plan leaves no half plan, and the older plan in ``--out`` is removed, so nothing
  there looks current;
- nothing is deleted that the tool did not write.

Every refusal is a ``ConfigError`` (bad input, exit 2) naming the flag.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from infra.config import ConfigError
from infra.config.errors import shown

# What a plan folder holds; MARKER says this tool wrote it.
MARKER = ".infra-plan"
PLAN_ENTRIES = frozenset({"plan.json", "manifests", "helm", "graph.dot", MARKER})
_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_stack_name(stack: str) -> str:
    """Pulumi's stack names: letters, digits, ``-``, ``_``, ``.``, at most 100; no path characters."""
    if not _STACK_NAME.match(stack) or ".." in stack:
        raise ConfigError(
            f"--stack: {shown(stack)} is not a stack name (1-100 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit; no '/' or '..')"
        )
    return stack


def check_out(out: Path, root: Path) -> Path:
    """The absolute ``--out`` folder, or a ConfigError saying why it cannot take a plan."""
    target = Path(os.path.abspath(out))
    resolved = target.resolve()
    project = root.resolve()
    if resolved == project or (resolved.is_relative_to(project) and not resolved.is_relative_to(project / "build")):
        raise ConfigError(
            f"--out: {out} is inside the project's source folders; plans go under build/ or outside the project"
        )
    if target.exists() or target.is_symlink():
        if not target.is_dir() or target.is_symlink():
            raise ConfigError(f"--out: {out} is not a folder (a plan is a folder: plan.json, manifests/, helm/)")
        foreign = sorted(p.name for p in target.iterdir() if p.name not in PLAN_ENTRIES or p.is_symlink())
        if foreign:
            raise ConfigError(
                f"--out: {out} holds {shown(foreign[0])}, which infra plan did not write; give a new or empty "
                "folder, or a plan folder"
            )
    parent = next(p for p in target.parents if p.exists())
    if not parent.is_dir():
        raise ConfigError(f"--out: {parent} is a file, so {out} cannot be a folder")
    for folder in (parent, target) if target.exists() else (parent,):
        try:  # a real try: os.access says yes to root on a read-only file system
            os.rmdir(tempfile.mkdtemp(prefix=".infra-probe.", dir=folder))
        except OSError as error:
            raise ConfigError(f"--out: {folder} is not writable ({error.strerror or error})") from None
    return target


def remove_plan(target: Path) -> None:
    """Remove the plan ``target`` holds: only the entries this tool writes (the folder stays)."""
    if not target.is_dir() or target.is_symlink():
        return
    for entry in target.iterdir():
        if entry.name in PLAN_ENTRIES and not entry.is_symlink():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


@contextlib.contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A temporary folder next to ``target`` to write the plan into. On a clean exit it replaces
    ``target``; on an error it is deleted, and so is the older plan in ``target``."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    except OSError as error:
        raise ConfigError(f"--out: cannot write under {target.parent} ({error.strerror or error})") from None
    try:
        yield stage
        (stage / MARKER).write_text("written by infra plan; the folder is replaced by the next plan\n")
        _replace(target, stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        remove_plan(target)
        raise


def _replace(target: Path, stage: Path) -> None:
    if not target.exists():
        stage.rename(target)
        return
    if not any(target.iterdir()):  # an empty folder someone made: fill it, keep it
        for name in ("manifests", "helm", "graph.dot", "plan.json", MARKER):  # plan.json, then the marker, last
            if (stage / name).exists():
                (stage / name).rename(target / name)
        stage.rmdir()
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    old.rmdir()
    target.rename(old)  # only plan entries are in it (check_out)
    stage.rename(target)
    remove_plan(old)
    old.rmdir()
