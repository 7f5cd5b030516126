"""`infra check` over plans and stack exports: exit codes, bad files, policy config, the rules page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policies.rules import ALL_POLICIES
from tests.policies.support import PROVIDER, Resource, mutated, resource, violations_of
from tests.support import ROOT
from tools.check import CheckInputError, check, load_resources, rules_table


def world_sg(port: int, tags: dict[str, str], behind_lb: bool = False) -> list[Resource]:
    """A security group admitting the internet on ``port`` (and, with ``behind_lb``, the internet-facing
    load balancer that uses it)."""
    sg = resource(
        "aws:ec2/securityGroup:SecurityGroup",
        "sg",
        {"tags": tags, "ingress": [{"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": ["0.0.0.0/0"]}]},
    )
    lb = resource(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        {"internal": False, "loadBalancerType": "network", "securityGroups": ["sg-1"]},
        propertyDependencies={"securityGroups": [sg["urn"]]},
    )
    return [sg, lb] if behind_lb else [sg]


def world_ingress(resources: list[Resource], settings: dict[str, Any] | None = None) -> list[Any]:
    return [v for v in check(resources, ALL_POLICIES, settings) if v.policy == "no-world-ingress"]


def test_only_the_load_balancers_own_group_may_admit_the_internet_on_443() -> None:
    assert world_ingress(world_sg(443, {}, behind_lb=True)) == []
    assert world_ingress(world_sg(443, {"Exposure": "internet"})), "a tag does not make a group the load balancer's"
    assert world_ingress(world_sg(5432, {}, behind_lb=True)), "the load balancer opens 80/443 only"


def test_policy_config_changes_what_is_allowed() -> None:
    group = world_sg(8443, {}, behind_lb=True)
    assert world_ingress(group)
    assert world_ingress(group, {"no-world-ingress": {"allowedPublicPorts": [443, 8443]}}) == []


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_check_plan_exits_1_and_names_the_resource(planned: Any, tmp_path: Path) -> None:
    out, resources = planned("prod")
    broken, urn = mutated(resources, "aws:eks/cluster:Cluster", lambda r: r.pop("protect"))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": broken}}))
    run = run_cli("check", "--plan", str(path))
    assert run.returncode == 1 and urn in run.stdout and "protect-stateful-in-prod" in run.stdout
    run = run_cli("check", "--plan", str(path), "--format", "json")
    assert run.returncode == 1
    assert [v["urn"] for v in json.loads(run.stdout)["violations"]] == [urn]
    assert run_cli("check", "--plan", str(out / "plan.json")).returncode == 0


def test_check_accepts_a_pulumi_stack_export(tmp_path: Path) -> None:
    export = {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-11-01T00:00:00Z", "magic": "abc", "version": "v3.272.0"},
            "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:x"}},
            "resources": [
                {
                    "urn": "urn:pulumi:prod::platform::pulumi:pulumi:Stack::platform-prod",
                    "custom": False,
                    "type": "pulumi:pulumi:Stack",
                },
                {**PROVIDER, "outputs": {}},
                {
                    **resource(
                        "aws:rds/instance:Instance",
                        "db",
                        {
                            "storageEncrypted": True,
                            "kmsKeyId": "arn:aws:kms:us-east-1:1:key/k",
                            "backupRetentionPeriod": 30,
                            "deletionProtection": True,
                            "finalSnapshotIdentifier": "db-final",
                            "password": {
                                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                "ciphertext": "v1:abcdef",
                            },
                        },
                    ),
                    "protect": True,
                },
            ],
        },
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    # The database is read whole from the export: no backup plan selects it, and its password is the
    # program's (the secret input is seen as set), not RDS's managed one.
    found = check(load_resources(path), ALL_POLICIES)
    assert sorted({(v.policy, v.urn) for v in found}) == [
        ("databases-backed-up-to-another-region", resource_urn(export)),
        ("datastore-credentials-managed", resource_urn(export)),
    ]
    assert run_cli("check", "--plan", str(path)).returncode == 1


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"deployment": {}}',
        "[1, 2]",
        '{"resources": [{"x": 1}]}',
        '{"resources": [{"urn": "u", "type": "t", "inputs": "not a mapping"}]}',
    ],
)
def test_check_rejects_a_bad_file_with_exit_2(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CheckInputError):
        load_resources(path)
    run = run_cli("check", "--plan", str(path))
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_policies_page_lists_the_rules_as_generated() -> None:
    page = (ROOT / "docs" / "policies.md").read_text()
    assert rules_table(ALL_POLICIES) in page, "run `make rules-doc` to regenerate the rules table of docs/policies.md"


def test_a_resource_a_rule_cannot_read_is_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    sg = {
        "urn": "urn:pulumi:prod::platform::aws:ec2/securityGroup:SecurityGroup::sg",
        "type": "aws:ec2/securityGroup:SecurityGroup",
        "inputs": {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": "eighty"}]},
    }
    path.write_text(json.dumps({"resources": [sg]}))
    run = run_cli("check", "--plan", str(path))
    assert run.returncode == 2 and "no-world-ingress" in run.stderr and "Traceback" not in run.stderr + run.stdout


def test_key_rotation_is_required_of_symmetric_keys_only() -> None:
    symmetric = resource("aws:kms/key:Key", "data", {"enableKeyRotation": False})
    signing = resource("aws:kms/key:Key", "sign", {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"})
    found = violations_of([PROVIDER, symmetric, signing], "kms-key-rotation")
    assert [v.urn for v in found] == [symmetric["urn"]]


def resource_urn(export: dict[str, Any]) -> str:
    return str(export["deployment"]["resources"][-1]["urn"])
