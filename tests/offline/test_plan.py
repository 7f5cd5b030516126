"""The plan pipeline as a library function (``tools.plan.plan_stack``) and the command over it: the
library returns a result or raises ConfigError (bad input) / PlanError (a failed plan); the command
turns those into today's messages and exit codes (2 and 1)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from pulumi.runtime import MockCallArgs
from typer.testing import CliRunner

from infra.config import ConfigError, StackFile
from tests.support import ROOT
from tools import cli
from tools.offline import engine
from tools.offline.engine import Recording, record
from tools.offline.mocks import OfflineError, PlanMocks
from tools.plan import PlanError, PlanResult, plan_stack

INVALID = ROOT / "tests" / "fixtures" / "invalid"


def test_plan_stack_returns_what_it_wrote(tmp_path: Path) -> None:
    result = plan_stack("dev", out=tmp_path)
    assert isinstance(result, PlanResult)
    assert (result.stack, result.out) == ("dev", tmp_path)
    assert json.loads((tmp_path / "plan.json").read_text())["deployment"]["resources"] == result.resources
    assert result.objects == len(list((tmp_path / "manifests").glob("*.yaml"))) > 0
    assert result.releases == len(list((tmp_path / "helm").glob("*.yaml"))) > 0
    assert (tmp_path / "graph.dot").is_file()
    stack_file = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    assert result.kubernetes_version == stack_file["config"]["platform:cluster"]["kubernetesVersion"]
    assert result.estimate.total_seconds > 0 and result.estimate.critical_path
    assert result.seconds > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.stack = "prod"  # type: ignore[misc]


def test_bad_configuration_is_a_config_error_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        plan_stack("x", config_file=INVALID / "unknown-top-key.yaml", out=tmp_path)
    assert "platform:netwrok" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "plan.json").exists()


def test_root_decides_where_the_stack_file_is(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: elsewhere\n")
    with pytest.raises(ConfigError, match="no such stack file"):
        plan_stack("dev", root=tmp_path)


def _run_program_raising(error: Exception) -> Any:
    def run_program(stack_file: StackFile, stack: str, project: str) -> Recording:
        raise error

    return run_program


def test_the_program_rejecting_its_configuration_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(engine, "run_program", _run_program_raising(pulumi.RunError("platform:x: not allowed")))
    with pytest.raises(ConfigError, match=r"^platform:x: not allowed$"):
        plan_stack("dev", out=tmp_path)


def test_what_the_offline_engine_cannot_answer_is_a_plan_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(engine, "run_program", _run_program_raising(OfflineError("no answer for invoke x")))
    with pytest.raises(PlanError) as caught:
        plan_stack("dev", out=tmp_path)
    assert caught.value.problems == ("no answer for invoke x",)
    assert str(caught.value) == "no answer for invoke x"


def test_an_invoke_without_an_answer_is_an_offline_error() -> None:
    with pytest.raises(OfflineError, match="aws:index/getNothing:getNothing"):
        PlanMocks().call(MockCallArgs("aws:index/getNothing:getNothing", {}, ""))


def test_invalid_declarations_are_one_plan_error_listing_every_problem(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def program() -> None:
        for name in ("a", "b"):
            k8s.core.v1.Namespace(name, metadata={"name": "apps"})
        k8s.core.v1.Service("svc", metadata={"name": "s"}, spec={"ports": [{"port": 8001.5}], "selector": {"a": "b"}})

    def run_program(stack_file: StackFile, stack: str, project: str) -> Recording:
        return record(program, project=project, stack=stack)

    monkeypatch.setattr(engine, "run_program", run_program)
    with pytest.raises(PlanError) as caught:
        plan_stack("dev", out=tmp_path)
    schema_problem, duplicate = caught.value.problems
    assert schema_problem.startswith("manifest does not match the Kubernetes") and "spec.ports.0.port" in schema_problem
    assert duplicate.startswith("2 resources declare the Kubernetes object Namespace/-/apps: ")
    assert str(caught.value) == f"{schema_problem} (and 1 more)"
    assert list(tmp_path.iterdir()) == [], "a failed plan leaves no half plan"


def _invoke(monkeypatch: pytest.MonkeyPatch, error: Exception, *args: str) -> Any:
    def plan(stack: str, config_file: Path | None = None, out: Path | None = None) -> PlanResult:
        raise error

    monkeypatch.setattr(cli, "plan_stack", plan)
    return CliRunner().invoke(cli.app, list(args))


@pytest.mark.parametrize("command", [("plan", "-s", "dev"), ("check", "--stack", "dev")])
def test_the_command_maps_plan_error_to_exit_1_with_one_line_per_problem(
    monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    run = _invoke(monkeypatch, PlanError("first problem", "second problem"), *command)
    assert run.exit_code == 1
    assert run.stderr == "error: first problem\nerror: second problem\n"
    assert run.stdout == ""


@pytest.mark.parametrize("command", [("plan", "-s", "dev"), ("check", "--stack", "dev")])
def test_the_command_maps_config_error_to_exit_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    run = _invoke(monkeypatch, ConfigError("platform:x: not allowed"), *command)
    assert run.exit_code == 2
    assert run.stderr == "error: platform:x: not allowed\n"
