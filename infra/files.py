"""Reading a user's file in bounded memory: one mechanism for every file the tool is handed.

The caller turns the :class:`UnreadableFileError` into its own one-line message (a stack file and a plan
name their kind differently), so the checks themselves live once.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path


class Problem(Enum):
    MISSING = "missing"
    NOT_A_FILE = "not a regular file"
    UNREADABLE = "unreadable"
    TOO_LARGE = "too large"
    NOT_UTF8 = "not UTF-8"


class UnreadableFileError(Exception):
    """Why a file could not be read; ``detail`` is the operating system's reason, if any."""

    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.detail = detail


def read_text_bounded(path: Path, limit: int) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes; never reads more than limit + 1."""
    try:
        if not path.exists():
            raise UnreadableFileError(Problem.MISSING)
        if not path.is_file():
            raise UnreadableFileError(Problem.NOT_A_FILE)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UnreadableFileError(Problem.UNREADABLE, str(exc.strerror or exc)) from None
    if len(data) > limit:
        raise UnreadableFileError(Problem.TOO_LARGE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFileError(Problem.NOT_UTF8) from None
