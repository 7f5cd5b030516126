"""The bounded read every user file goes through: what it refuses, and that it never reads more than asked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra import files
from infra.files import Problem, UnreadableFileError


def _problem(path: Path, limit: int = 16) -> Problem:
    with pytest.raises(UnreadableFileError) as caught:
        files.read_text_bounded(path, limit)
    return caught.value.problem


def test_a_file_at_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("é" * 8, encoding="utf-8")  # 16 bytes
    assert files.read_text_bounded(path, 16) == "é" * 8


def test_one_byte_over_the_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a" * 17)
    assert _problem(path) is Problem.TOO_LARGE


def test_missing_folder_and_binary_files_are_named(tmp_path: Path) -> None:
    assert _problem(tmp_path / "absent.yaml") is Problem.MISSING
    assert _problem(tmp_path) is Problem.NOT_A_FILE
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    assert _problem(binary) is Problem.NOT_UTF8


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a POSIX FIFO")
def test_an_endless_stream_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.yaml"
    os.mkfifo(fifo)
    assert _problem(fifo) is Problem.NOT_A_FILE
