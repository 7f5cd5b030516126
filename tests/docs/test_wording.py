"""The project speaks of itself: no tracked text file names where its requirements came from (the
word for a starting document, "issue N" ticket references) or points at paths outside the repository.
One test per tracked file, so ``-k <path>`` shows what is left in one part of the tree."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = frozenset({"requirements.lock"})  # generated: package names and hashes only

# Built from pieces, so that this file does not match itself.
FORBIDDEN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("the word " + "se" + "ed", re.compile(r"\bse" + r"(?:ed|eds|eded)\b", re.IGNORECASE)),
    ("a ticket reference", re.compile(r"\bissues?\s*#?\s*\d+", re.IGNORECASE)),
    ("a path outside the repository", re.compile("/wo" + "rk/" + "|" + re.escape(".." + "/sha" + "red"))),
)


@functools.cache
def tracked_files() -> tuple[str, ...]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return ()
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True).stdout
    return tuple(sorted(p for p in listing.split("\0") if p and Path(p).name not in SKIPPED))


def text_of(path: str) -> str | None:
    """The file's text, or None for a binary file (NUL bytes, or not UTF-8)."""
    data = (ROOT / path).read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def findings(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in FORBIDDEN:
            for match in pattern.finditer(line):
                found.append(f"line {number}: {what} ({match.group(0)!r}): {line.strip()[:100]}")
    return found


def test_the_repository_is_listed() -> None:
    if not tracked_files():
        pytest.skip("not a git checkout (or git is not installed)")
    assert "README.md" in tracked_files()


@pytest.mark.parametrize("path", tracked_files())
def test_file_speaks_of_the_project_only(path: str) -> None:
    if not (ROOT / path).is_file():
        pytest.skip(f"{path} is tracked but not in the work tree")
    text = text_of(path)
    if text is None:
        pytest.skip(f"{path} is not a text file")
    found = findings(text)
    assert not found, f"{path}:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("the " + "se" + "ed's services", 1),
        ("Se" + "eded from a list; two se" + "eds", 2),
        ("see issue" + " 3 and Issue" + " #12", 2),
        ("read /wo" + "rk/notes or .." + "/sha" + "red/x", 2),
        ("the issuer seeks a seedling; issues were fixed; network/", 0),
    ],
)
def test_the_patterns_find_what_they_should(text: str, hits: int) -> None:
    assert len(findings(text)) == hits
