"""Flags and output of ``infra plan``: bad stack names and ``--out`` folders are one line and exit 2,
checked before the program runs; a plan is moved into place only when complete; a failed plan leaves
no plan that looks current; nothing is deleted that the tool did not write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from infra.config import StackFile
from tests.support import ROOT
from tools import cli
from tools.offline import engine
from tools.offline.engine import Recording, record
from tools.offline.mocks import OfflineError
from tools.plan_folder import MARKER

DEV = ROOT / "stacks" / "Pulumi.dev.yaml"


def tiny_program(monkeypatch: pytest.MonkeyPatch, fail: Exception | None = None) -> list[str]:
    """Replace the stack program with one namespace (or a failure); returns the stacks it ran for."""
    ran: list[str] = []

    def program() -> None:
        k8s.core.v1.Namespace("apps", metadata={"name": "apps"})

    def run_program(stack_file: StackFile, stack: str, project: str) -> Recording:
        ran.append(stack)
        if fail is not None:
            raise fail
        return record(program, project=project, stack=stack)

    monkeypatch.setattr(engine, "run_program", run_program)
    return ran


def infra(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = cli.run(list(argv))
    return code, capsys.readouterr().err.strip().splitlines()


BAD_STACK_NAMES = ["", ".", "..", "../prod", "a/b", "a\\b", "x" * 101, "-x", ".hidden", "a b", "a\nb", "pröd",
                   "a:b", "a..b", "prod/../../etc", "~"]  # fmt: skip


@pytest.mark.parametrize("name", BAD_STACK_NAMES, ids=repr)
def test_a_bad_stack_name_is_one_line_before_anything_runs(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ran = tiny_program(monkeypatch)
    code, lines = infra(capsys, "plan", "--stack", name, "--config-file", str(DEV), "--out", str(tmp_path / "o"))
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: --stack: ")
    assert "\n" not in name or "\\n" in lines[0]
    assert ran == [] and not (tmp_path / "o").exists()


def bad_outs(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a-file").write_text("mine")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "plan.json").symlink_to(tmp_path / "a-file")
    (tmp_path / "folder-link").symlink_to(tmp_path / "notes")
    return {
        "a file": tmp_path / "a-file",
        "under a file": tmp_path / "a-file" / "plan",
        "a folder of other files": tmp_path / "notes",
        "a folder holding a link": tmp_path / "linked",
        "a link to a folder": tmp_path / "folder-link",
        "the project": ROOT,
        "the stacks": ROOT / "stacks",
        "inside the components": ROOT / "components" / "plan",
        "the tests": ROOT / "tests" / "fixtures",
        "the docs": ROOT / "docs" / "plan",
        "not writable": Path("/proc/infra-plan"),
    }


BAD_OUTS = ["a file", "under a file", "a folder of other files", "a folder holding a link", "a link to a folder",
            "the project", "the stacks", "inside the components", "the tests", "the docs", "not writable"]  # fmt: skip


@pytest.mark.parametrize("case", BAD_OUTS, ids=str)
def test_a_bad_out_folder_is_one_line_before_anything_runs_and_nothing_is_touched(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = bad_outs(tmp_path)[case]
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    ran = tiny_program(monkeypatch)
    code, lines = infra(capsys, "plan", "--stack", "dev", "--out", str(out))
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: --out: "), lines
    assert ran == []
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "a-file").read_text() == "mine" and (tmp_path / "notes" / "todo.txt").read_text() == "mine"


def test_a_plan_replaces_the_older_plan_only_when_complete(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    tiny_program(monkeypatch)
    assert infra(capsys, "plan", "--stack", "dev", "--out", str(out), "-q")[0] == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "graph.dot", "helm", "manifests", "plan.json"]
    (out / "manifests" / "stale.yaml").write_text("kind: Stale\n")
    assert infra(capsys, "plan", "--stack", "dev", "--out", str(out), "-q")[0] == 0
    assert not (out / "manifests" / "stale.yaml").exists(), "the whole older plan is replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"], "no temporary folder is left"


@pytest.mark.parametrize("failure", ["plan", "config"])
def test_a_failed_plan_leaves_no_plan_that_looks_current(
    failure: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    tiny_program(monkeypatch)
    assert infra(capsys, "plan", "--stack", "dev", "--out", str(out), "-q")[0] == 0
    tiny_program(monkeypatch, fail=OfflineError("the engine cannot answer aws:x:y"))
    bad = ROOT / "tests" / "fixtures" / "invalid" / "duplicate-environment.yaml"
    argv = ["plan", "--stack", "dev", "--out", str(out)] + (["--config-file", str(bad)] if failure == "config" else [])
    code, lines = infra(capsys, *argv)
    assert code == (2 if failure == "config" else 1) and len(lines) == 1
    assert not (out / "plan.json").exists() and not (out / "manifests").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["plan"], "no half plan next to it either"


def test_an_empty_folder_someone_made_is_filled_and_kept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    tiny_program(monkeypatch, fail=OfflineError("no answer"))
    assert infra(capsys, "plan", "--stack", "dev", "--out", str(out))[0] == 1
    assert out.is_dir() and list(out.iterdir()) == []
    tiny_program(monkeypatch)
    assert infra(capsys, "plan", "--stack", "dev", "--out", str(out), "-q")[0] == 0
    assert (out / "plan.json").is_file()


def test_a_plan_folder_of_an_older_version_without_the_marker_is_replaced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "old"
    (out / "manifests").mkdir(parents=True)
    (out / "plan.json").write_text("{}")
    tiny_program(monkeypatch)
    assert infra(capsys, "plan", "--stack", "dev", "--out", str(out), "-q")[0] == 0
    assert (out / MARKER).is_file() and (out / "plan.json").read_text() != "{}"


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["plan"], ["plan", "--stack"], ["nope"], ["plan", "--stack", "x", "--bogus"],
                 ["dr", "drill", "--stack", "dev", "--datastore", "postgres", "--timeout", "0"],
                 ["check", "--plan", "x", "--format", "xml"]):  # fmt: skip
        code, lines = infra(capsys, *argv)
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (argv, lines)


def test_an_unexpected_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret=hunter2\nsecond line")

    monkeypatch.setattr(cli, "plan_stack", boom)
    code, lines = infra(capsys, "plan", "--stack", "dev", "--out", str(tmp_path / "o"))
    assert code == 1 and len(lines) == 1 and "RuntimeError" in lines[0]


def test_the_default_folder_under_build_is_accepted(tmp_path: Path) -> None:
    from tools.plan_folder import check_out

    assert check_out(ROOT / "build" / "plan" / "dev", ROOT) == ROOT / "build" / "plan" / "dev"
    assert os.access(tmp_path, os.W_OK)
