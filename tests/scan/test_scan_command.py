"""`infra scan` with a stand-in checkov that answers a given report: exit 0 when every finding is
accepted, 1 on a finding not accepted, a stale entry reported, and bad input (checkov missing or of
another version, a bad accepted file, a bad plan) one line and exit 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tools import cli

PLAN = {
    "deployment": {
        "resources": [
            {
                "urn": "urn:pulumi:prod::platform::aws:s3/bucket:Bucket::logs",
                "type": "aws:s3/bucket:Bucket",
                "custom": True,
                "inputs": {"bucket": "logs"},
            },
            {
                "urn": "urn:pulumi:prod::platform::kubernetes:apps/v1:Deployment::web",
                "type": "kubernetes:apps/v1:Deployment",
                "custom": True,
                "inputs": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "web", "namespace": "apps"},
                },
            },
        ]
    }
}
REASON = "a reason long enough to say why it is accepted"


def check(check_id: str, resource: str, file_path: str) -> dict[str, Any]:
    return {"check_id": check_id, "check_name": f"name of {check_id}", "resource": resource, "file_path": file_path}


REPORT = [
    {
        "check_type": "terraform_plan",
        "results": {
            "passed_checks": [check("CKV_AWS_21", "aws_s3_bucket.logs", "/aws/plan.json")],
            "failed_checks": [check("CKV_AWS_18", "aws_s3_bucket.logs", "/aws/plan.json")],
        },
    },
    {
        "check_type": "kubernetes",
        "results": {
            "passed_checks": [check("CKV_K8S_8", "Deployment.apps.web", "/kubernetes/0000-deployment-web.yaml")],
            "failed_checks": [check("CKV_K8S_43", "Deployment.apps.web", "/kubernetes/0000-deployment-web.yaml")],
        },
    },
]


@pytest.fixture
def fake_checkov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkov that says 3.3.30 and prints ``report.json``; it records the folder it was run in."""
    script = tmp_path / "checkov"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "here = os.path.dirname(os.path.abspath(__file__))\n"
        "if '--version' in sys.argv:\n"
        "    print(open(os.path.join(here, 'version')).read())\n"
        "    sys.exit(0)\n"
        "open(os.path.join(here, 'ran-in'), 'w').write(os.getcwd())\n"
        "print(open(os.path.join(here, 'report.json')).read())\n"
        "sys.exit(1)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    (tmp_path / "version").write_text("3.3.30", encoding="utf-8")
    (tmp_path / "report.json").write_text(json.dumps(REPORT), encoding="utf-8")
    monkeypatch.setenv("INFRA_CHECKOV", str(script))
    return tmp_path


def files(tmp_path: Path, accepted: str) -> tuple[Path, Path]:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN), encoding="utf-8")
    path = tmp_path / "accepted.yaml"
    path.write_text(accepted, encoding="utf-8")
    return plan, path


def infra(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    code = cli.run(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.out, captured.err.strip().splitlines()


def entry(check_id: str, target: str, resource: str) -> str:
    return f"  - check: {check_id}\n    target: {target}\n    resource: {resource}\n    reason: {REASON}\n"


def scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, accepted: str, *extra: str) -> tuple[int, str, list[str]]:
    plan, path = files(tmp_path, accepted)
    return infra(capsys, "scan", "--plan", str(plan), "--accepted", str(path), "--out", str(tmp_path / "scan"), *extra)


def test_every_finding_accepted_is_clean(
    fake_checkov: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "accepted:\n"
        + entry("CKV_AWS_18", "aws", "aws_s3_bucket.*")
        + entry("CKV_K8S_43", "kubernetes", "Deployment.apps.web")
    )
    code, out, _ = scan(capsys, tmp_path, body)
    assert code == 0, out
    assert "aws: 1 passed, 1 failed (1 accepted)" in out and "kubernetes: 1 passed, 1 failed (1 accepted)" in out
    assert out.splitlines()[-1].startswith("Scan clean: 0 finding(s) not accepted, 2 accepted with a reason, 0 stale")
    # What checkov read: the plan's objects and its AWS resources as a Terraform plan.
    work = Path((fake_checkov / "ran-in").read_text())
    assert work == tmp_path / "scan"
    assert [p.name for p in (work / "kubernetes").iterdir()] == ["0000-deployment-web.yaml"]
    exported = json.loads((work / "aws" / "plan.json").read_text())
    assert exported["planned_values"]["root_module"]["resources"][0]["address"] == "aws_s3_bucket.logs"


def test_a_finding_not_accepted_fails_and_names_the_pulumi_resource(
    fake_checkov: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = scan(capsys, tmp_path, "accepted:\n" + entry("CKV_K8S_43", "kubernetes", "Deployment.apps.*"))
    assert code == 1
    assert "FAILED   CKV_AWS_18 aws aws_s3_bucket.logs (urn:pulumi:prod::platform::aws:s3/bucket:Bucket::logs)" in out
    code, out, _ = scan(capsys, tmp_path, "accepted: []\n", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["clean"] is False
    assert {(f["check"], f["accepted"]) for f in report["findings"]} == {("CKV_AWS_18", False), ("CKV_K8S_43", False)}


def test_a_stale_entry_is_reported(fake_checkov: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        "accepted:\n"
        + entry("CKV_AWS_18", "aws", "aws_s3_bucket.*")
        + entry("CKV_K8S_43", "kubernetes", "Deployment.apps.*")
        + entry("CKV_AWS_145", "aws", "aws_s3_bucket.gone")
        + entry("CKV_K8S_40", "rendered", "Deployment.*")  # rendered is not scanned here: not judged
    )
    code, out, _ = scan(capsys, tmp_path, body)
    assert code == 0
    assert "STALE    CKV_AWS_145 aws aws_s3_bucket.gone (accepted-findings line 10)" in out
    assert "CKV_K8S_40" not in out and ", 1 stale entry" in out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "error: checkov is not installed (INFRA_CHECKOV not found): run `make scan-setup`"),
        ("version", "is not 3.3.30 (3.2.1): run `make scan-setup`"),
        ("output", "error: checkov failed (exit 1): "),
        ("accepted", "accepted[0] (line 2): reason is required"),
        ("plan", "not a plan or stack export"),
        ("format", "--format: 'xml' is not allowed"),
        ("both", "give exactly one of --stack NAME or --plan FILE"),
        ("out", "is not a folder of infra scan"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    fake_checkov: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    setup: str, message: str,
) -> None:  # fmt: skip
    plan, accepted = files(tmp_path, "accepted: []\n")
    argv = ["scan", "--plan", str(plan), "--accepted", str(accepted), "--out", str(tmp_path / "scan")]
    if setup == "missing":
        monkeypatch.setenv("INFRA_CHECKOV", str(tmp_path / "nowhere"))
    elif setup == "version":
        (fake_checkov / "version").write_text("3.2.1")
    elif setup == "output":
        (fake_checkov / "report.json").write_text("Traceback: boom")
    elif setup == "accepted":
        accepted.write_text("accepted:\n  - check: CKV_AWS_18\n    target: aws\n    resource: x\n")
    elif setup == "plan":
        plan.write_text("{}")
    elif setup == "format":
        argv += ["--format", "xml"]
    elif setup == "both":
        argv += ["--stack", "prod"]
    elif setup == "out":
        (tmp_path / "scan").mkdir()
        (tmp_path / "scan" / "notes.txt").write_text("mine")
    code, _, lines = infra(capsys, *argv)
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), lines
    assert message in lines[0], lines
    if setup == "out":
        assert (tmp_path / "scan" / "notes.txt").read_text() == "mine"  # never emptied


def test_the_installed_version_is_read_from_checkovs_environment(tmp_path: Path) -> None:
    from tools.scan.scan import ScanInputError, checkov_binary

    binary = tmp_path / "venv" / "bin" / "checkov"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexit 3\n")  # never run: the dist-info folder says the version
    binary.chmod(0o755)
    info = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "checkov-3.3.30.dist-info"
    info.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INFRA_CHECKOV", str(binary))
        assert checkov_binary(tmp_path) == str(binary.resolve())
        info.rename(info.with_name("checkov-3.2.0.dist-info"))
        with pytest.raises(ScanInputError, match=r"is not 3\.3\.30 \(3\.2\.0\): run `make scan-setup`"):
            checkov_binary(tmp_path)


def test_a_check_skipped_by_an_annotation_needs_an_accepted_reason(
    fake_checkov: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skipped = check("CKV_K8S_40", "Deployment.apps.web", "/kubernetes/0000-deployment-web.yaml")
    report = [
        {"check_type": "kubernetes", "results": {"passed_checks": [], "failed_checks": [], "skipped_checks": [skipped]}}
    ]
    (fake_checkov / "report.json").write_text(json.dumps(report), encoding="utf-8")
    code, out, _ = scan(capsys, tmp_path, "accepted: []\n")
    assert code == 1
    assert "FAILED   CKV_K8S_40 kubernetes Deployment.apps.web: name of CKV_K8S_40 (skipped by the object's" in out
    code, _, _ = scan(capsys, tmp_path, "accepted:\n" + entry("CKV_K8S_40", "kubernetes", "Deployment.apps.web"))
    assert code == 0
