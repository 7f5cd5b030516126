"""``infra dr verify`` and ``infra dr plan`` through the CLI: exit codes 0/1/2, one line per error, no
traceback. verify runs against moto (plus ``PartialStubber`` for what moto lacks, as in test_verify)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from tests.dr.conftest import account
from tests.dr.support import POSTGRES, PRIMARY, PartialStubber, plan_resources
from tests.dr.test_verify import stub
from tools import cli
from tools.dr.aws import Clients

ROOT = Path(__file__).resolve().parents[2]
PROD_STACK = ROOT / "stacks" / "Pulumi.prod.yaml"


def plan_file(tmp_path: Path, **options: object) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": plan_resources(**options)}}))  # type: ignore[arg-type]
    return path


def verify(tmp_path: Path, now: datetime, *extra: str, **plan: object) -> Result:
    arguments = ["dr", "verify", "--plan", str(plan_file(tmp_path, **plan)), "--config-file", str(PROD_STACK)]
    return CliRunner().invoke(cli.app, [*arguments, "--now", now.isoformat(), *extra])


@pytest.fixture
def patched(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> Clients:
    monkeypatch.setattr(cli, "dr_clients", lambda: clients)
    return clients


def test_verify_exits_0_when_every_check_is_met(patched: Clients, tmp_path: Path, now: datetime) -> None:
    account(patched)
    stub(patched, now)
    result = verify(tmp_path, now)
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    assert header[:2] == ["resource", "check"] and header[-2:] == ["copy", "met"]
    assert "all met" in result.output


def test_verify_exits_1_on_a_breach_and_json_says_which(patched: Clients, tmp_path: Path, now: datetime) -> None:
    account(patched)
    stub(patched, now, copy_age=None)
    result = verify(tmp_path, now, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["met"] is False
    assert [f["check"] for f in report["findings"] if not f["met"]] == ["copy in us-west-2 <= 180 min"]


def test_an_aws_error_is_one_line_naming_call_and_resource_exit_1(
    patched: Clients, tmp_path: Path, now: datetime
) -> None:
    account(patched)
    denied = PartialStubber(patched("backup", PRIMARY))
    denied.add_client_error("list_recovery_points_by_resource", "AccessDeniedException", "not authorized", 403)
    denied.activate()
    result = verify(tmp_path, now)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: backup.list_recovery_points_by_resource ({POSTGRES}, {PRIMARY}): AccessDeniedException: not authorized"
    ]


def test_no_credentials_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, now: datetime) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key)
    result = verify(tmp_path, now)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"error: backup.list_recovery_points_by_resource ({POSTGRES}, {PRIMARY}): Unable to locate")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--now", "yesterday"], "error: --now: 'yesterday' is not an ISO 8601 time like 2026-12-01T03:00:00Z"),
        (["--format", "xml"], "error: --format: 'xml' is not allowed (allowed: text, json)"),
        (["--stack", "prod"], "error: give exactly one of --stack NAME or --plan FILE"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, arguments: list[str], message: str) -> None:
    path = plan_file(tmp_path)
    result = CliRunner().invoke(
        cli.app, ["dr", "verify", "--plan", str(path), "--config-file", str(PROD_STACK), *arguments]
    )
    assert result.exit_code == 2
    assert result.output.splitlines() == [message]


def test_the_installed_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    infra = Path(sys.executable).with_name("infra")
    for arguments, expected in (
        (["--plan", str(tmp_path / "missing.json")], f"error: {tmp_path / 'missing.json'}: no such file"),
        (
            ["--plan", str(plan_file(tmp_path)), "--config-file", str(tmp_path / "none.yaml")],
            f"error: {tmp_path / 'none.yaml'}: no such stack file",
        ),
    ):
        done = subprocess.run(
            [str(infra), "dr", "verify", *arguments], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 2
        assert done.stderr.splitlines() == [expected]
        assert "Traceback" not in done.stdout + done.stderr


def test_dr_plan_of_prod_is_under_four_hours() -> None:
    result = CliRunner().invoke(cli.app, ["dr", "plan", "--stack", "prod", "--format", "json"])
    assert result.exit_code == 0, result.output
    book = json.loads(result.output)
    assert 0 < book["totalMinutes"] < 240 and book["rtoMinutes"] == 240 and book["within"] is True
    assert [s["title"].split(" ")[0] for s in book["steps"]] == ["declare", "`pulumi", "DNS", "verify"]
    phases = [p["phase"] for p in book["steps"][1]["phases"]]
    assert phases[:2] == ["network", "cluster"] and "datastores restored from the copies, in parallel" in phases
    text = CliRunner().invoke(cli.app, ["dr", "plan", "--stack", "prod"]).output
    assert f"Estimated recovery: {book['totalMinutes']:.0f} min, within the RTO of 240 min" in text


def test_dr_plan_exits_1_when_the_rto_is_below_the_estimate(tmp_path: Path) -> None:
    document = yaml.safe_load(PROD_STACK.read_text())
    document["config"]["platform:backups"] = {"rtoMinutes": 30}
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(yaml.safe_dump(document))
    result = CliRunner().invoke(cli.app, ["dr", "plan", "--stack", "prod", "--config-file", str(stack)])
    assert result.exit_code == 1
    assert "OVER the RTO of 30 min" in result.output
