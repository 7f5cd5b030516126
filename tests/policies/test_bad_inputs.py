"""`infra check` over bad plans and bad policy configs (tests/fixtures/bad-plans, bad-policy-configs):
every one is exit 2 with one line naming the problem, never a traceback; the pack's readings of
secrets, booleans and environments hold."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config.credentials import credential_kind as platform_credential_kind
from policies.rules._base import environments_of, helm_truthy, in_environments, is_false, is_true, kind_of
from policies.rules._credentials import credential_kind as pack_credential_kind
from tests.policies.support import PROVIDER, resource, violations_of
from tests.support import ROOT
from tools import cli

FIXTURES = ROOT / "tests" / "fixtures"
PLANS = yaml.safe_load((FIXTURES / "bad-plans" / "expected.yaml").read_text())
CONFIGS = yaml.safe_load((FIXTURES / "bad-policy-configs" / "expected.yaml").read_text())


def infra(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = cli.run(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err.strip().splitlines()


@pytest.mark.parametrize("name", sorted(PLANS), ids=str)
def test_a_bad_plan_is_one_line_and_exit_2(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = infra(capsys, "check", "--plan", str(FIXTURES / "bad-plans" / f"{name}.json"))
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), lines
    assert PLANS[name] in lines[0]


@pytest.mark.parametrize("name", sorted(CONFIGS), ids=str)
def test_a_bad_policy_config_is_one_line_and_exit_2(
    name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"resources": [PROVIDER]}))
    path = FIXTURES / "bad-policy-configs" / f"{name}.json"
    code, lines = infra(capsys, "check", "--plan", str(plan), "--policy-config", str(path))
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: --policy-config: "), lines
    assert CONFIGS[name] in lines[0]


@pytest.mark.parametrize("kind", ["device", "directory", "fifo", "missing", "huge"])
def test_what_is_not_a_plan_file_is_refused(kind: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = {"device": Path("/dev/zero"), "directory": tmp_path, "missing": tmp_path / "nope.json"}.get(kind)
    if kind == "fifo":
        target = tmp_path / "pipe.json"
        os.mkfifo(target)
    if kind == "huge":
        from tools import check_input

        target = tmp_path / "huge.json"
        with target.open("wb") as handle:
            handle.truncate(check_input.MAX_FILE_BYTES + 1)  # sparse: no disk used
    assert target is not None
    for flag in ("--plan", "--policy-config"):
        argv = ["check", "--plan", str(target)] if flag == "--plan" else ["check", "--stack", "dev", flag, str(target)]
        code, lines = infra(capsys, *argv)
        assert code == 2 and len(lines) == 1, (flag, lines)


def test_enforcement_levels_of_the_policy_config_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"resources": [PROVIDER, resource("aws:kms/key:Key", "k", {}, protect=True)]}))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"kms-key-rotation": {"enforcementLevel": "advisory"}}))
    assert infra(capsys, "check", "--plan", str(plan))[0] == 1
    assert infra(capsys, "check", "--plan", str(plan), "--policy-config", str(config))[0] == 0


def test_a_property_hidden_in_a_secret_cannot_pass_unseen() -> None:
    hidden = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:x"}
    sg = resource("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": hidden})
    found = violations_of([PROVIDER, sg], "no-world-ingress")
    assert found and "is a secret in this plan" in found[0].message
    db = resource(
        "aws:rds/instance:Instance", "db", {"storageEncrypted": True, "kmsKeyId": "k", "publiclyAccessible": hidden}
    )
    assert violations_of([PROVIDER, db], "datastores-not-public")


def test_a_secret_with_its_plaintext_is_read_as_its_value() -> None:
    shown = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "true"}
    db = resource("aws:rds/instance:Instance", "db", {"publiclyAccessible": shown})
    assert violations_of([PROVIDER, db], "datastores-not-public")


@pytest.mark.parametrize(
    ("value", "true", "false", "helm"),
    [(True, True, False, True), ("true", True, False, True), ("True", True, False, True), ("TRUE", True, False, True),
     ("1", True, False, True), (1, True, False, True), (False, False, True, False), ("false", False, True, True),
     ("False", False, True, True), ("0", False, True, True), ("", False, False, False), (None, False, False, False),
     ("yes", False, False, True)],
)  # fmt: skip
def test_true_in_every_spelling_the_provider_and_charts_accept(value: Any, true: bool, false: bool, helm: bool) -> None:
    assert (is_true(value), is_false(value), helm_truthy(value)) == (true, false, helm)


@pytest.mark.parametrize(
    ("urn", "tags", "own", "protected"),
    [
        ("urn:pulumi:prod::p::t::n", {"Environment": "prod"}, None, True),
        ("urn:pulumi:x::p::t::n", {"Environment": "PROD"}, None, True),
        ("urn:pulumi:x::p::t::n", {"environment": " Production "}, None, True),
        ("urn:pulumi:prod::p::t::n", {"Environment": "dev"}, None, True),
        ("urn:pulumi:prod-dr::p::t::n", {}, None, True),
        ("urn:pulumi:Prod::p::t::n", {}, None, True),
        ("urn:pulumi:x::p::t::n", {}, {"Environment": "prod"}, True),
        ("urn:pulumi:dev::p::t::n", {"Environment": "dev"}, None, False),
        ("urn:pulumi:product-dev::p::t::n", {"Environment": "dev"}, None, False),
    ],
)
def test_the_environment_is_matched_case_insensitively_from_tags_and_stack(
    urn: str, tags: dict[str, str], own: dict[str, str] | None, protected: bool
) -> None:
    provider = {"defaultTags": json.dumps({"tags": tags})}
    assert in_environments(environments_of(urn, provider, own), ["prod"]) is protected


def test_kinds_are_read_whatever_the_api_version() -> None:
    assert kind_of("kubernetes:apps/v1beta2:DeploymentPatch") == "Deployment"
    assert kind_of("kubernetes:argoproj.io/v1alpha1:Rollout") == "Rollout"
    assert kind_of("aws:s3/bucket:Bucket") == ""


CREDENTIALS = [
    "AKIAIOSFODNN7EXAMPLE", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "https://hooks.slack.com/services/T/B/X",
    "postgres://app:hunter2@db:5432/app", "-----BEGIN PRIVATE KEY-----", "xoxb-1234567890-abcdefghij",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig", "--password=hunter2", "Bearer abcdefghijklmnop1234",
    "9fK2mQ7xLp4Zr8Tb1Nc6Vd3Hs5Jw0Ya2", "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==",
]  # fmt: skip
NOT_CREDENTIALS = [
    "info", "production", "oauth2-jwt", "9808", "app.main:app", "--port=8001",
    "a3f1c9e0d2b4a6f8c0e2d4b6a8f0c2e4d6b8a0f2c4e6d8b0a2f4c6e8d0b2a4f6", "ED812066CF34A8650788B4FBE6601CB5",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/platform-prod/app", "sts.amazonaws.com",
]  # fmt: skip


@pytest.mark.parametrize("value", CREDENTIALS + NOT_CREDENTIALS)
def test_the_pack_and_the_platform_see_the_same_credentials(value: str) -> None:
    assert (pack_credential_kind(value) is None) == (platform_credential_kind(value) is None)
    assert (pack_credential_kind(value) is not None) == (value in CREDENTIALS)
