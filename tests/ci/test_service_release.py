"""The reusable service release workflow and the example service that calls it: callable, each stage the
system requires in order, least privilege, OIDC only where a role is assumed, one release of a service at
a time, deploys by digest through the release record the stack reads, and the example's own tests."""

from __future__ import annotations

import importlib.resources
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from infra.config.delivery import release_parameter_name
from tests.ci.test_workflows import action, job_text, jobs, load, needs, upstream

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / ".github" / "workflows" / "service-release.yml"
EXAMPLE = ROOT / "examples" / "billing"
CALLER = EXAMPLE / ".github" / "workflows" / "release.yml"
# The stages, in the order the system asks for them: (job, words its name must hold).
STAGES = (
    ("build", ("Build", "Buildx")),
    ("scan", ("Trivy", "HIGH", "CRITICAL")),
    ("unit-tests", ("unit tests",)),
    ("push", ("push to ECR", "digest")),
    ("integration", ("integration", "end-to-end", "built image")),
    ("staging", ("staging", "digest")),
    ("smoke", ("smoke tests", "/health", "Kong")),
    ("performance", ("performance", "k6")),
    ("production", ("production", "manual approval")),
)
OIDC_JOBS = {"push", "staging", "production"}


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    return load(RELEASE)


def schema() -> jsonschema.Draft7Validator:
    path = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    return jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))


def test_it_is_a_reusable_workflow_with_the_thresholds_as_inputs(release: dict[str, Any]) -> None:
    assert set(release["on"]) == {"workflow_call"}, "called by the services' repositories, never run here"
    inputs = release["on"]["workflow_call"]["inputs"]
    for name in ("service", "staging-role-arn", "production-role-arn", "staging-url", "smoke-path"):
        assert inputs[name]["required"] is True, name
    assert inputs["k6-p95-ms"]["type"] == "number" and inputs["k6-max-error-rate"]["type"] == "number"
    assert release["on"]["workflow_call"]["outputs"]["digest"]["value"] == "${{ jobs.push.outputs.digest }}"


def test_the_stages_come_in_the_required_order(release: dict[str, Any]) -> None:
    names = list(jobs(release))
    assert names == [job for job, _ in STAGES], "the file reads in the order of the stages"
    for index, (job, words) in enumerate(STAGES):
        title = jobs(release)[job]["name"]
        for word in words:
            assert word in title, f"{job}: {word!r} not in {title!r}"
        # Every earlier stage but the ones that run side by side (scan and unit tests) is upstream.
        earlier = {j for j, _ in STAGES[:index]}
        parallel = {"scan", "unit-tests"} - {job} if job in ("scan", "unit-tests") else set()
        assert earlier - parallel <= upstream(release, job), (
            f"{job} starts before {sorted(earlier - upstream(release, job))}"
        )


def test_production_waits_for_approval_in_the_protected_environment(release: dict[str, Any]) -> None:
    production = jobs(release)["production"]
    assert production["environment"]["name"] == "production"
    assert {"staging", "smoke", "performance"} <= set(needs(production))
    assert jobs(release)["staging"]["environment"] == "staging"
    assert sum(1 for job in jobs(release).values() if "production" in json.dumps(job.get("environment"))) == 1, (
        "one approval, not one per job"
    )


def test_least_privilege_and_oidc_only_where_a_role_is_assumed(release: dict[str, Any]) -> None:
    assert release["permissions"] == {}
    assuming = set()
    for name, job in jobs(release).items():
        assert job["permissions"].get("contents") == "read", name
        assert set(job["permissions"]) <= {"contents", "id-token"}, name
        steps = [s for s in job["steps"] if action(s) == "aws-actions/configure-aws-credentials"]
        if steps:
            assuming.add(name)
            for step in steps:
                assert step["with"]["role-to-assume"].startswith("${{ inputs."), "a role from the caller, no keys"
                assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"])
    with_token = {n for n, j in jobs(release).items() if j["permissions"].get("id-token") == "write"}
    assert with_token == assuming == OIDC_JOBS


def test_two_releases_of_one_service_never_overlap(release: dict[str, Any]) -> None:
    assert release["concurrency"] == {"group": "service-release-${{ inputs.service }}", "cancel-in-progress": False}
    for name in ("staging", "production"):
        group = jobs(release)[name]["concurrency"]
        assert "${{ inputs.service }}" in group["group"] and group["cancel-in-progress"] is False


def test_build_uses_buildx_with_a_cache_and_keeps_the_bytes_it_built(release: dict[str, Any]) -> None:
    build = jobs(release)["build"]
    (push_action,) = [s for s in build["steps"] if action(s) == "docker/build-push-action"]
    assert any(action(s) == "docker/setup-buildx-action" for s in build["steps"])
    assert push_action["with"]["cache-from"].startswith("type=gha")
    assert push_action["with"]["cache-to"].startswith("type=gha")
    assert push_action["with"]["outputs"].startswith("type=oci")
    assert "GITHUB_SHA" in job_text(build), "the tag names the commit"


def test_trivy_scans_the_image_and_fails_on_high_and_critical(release: dict[str, Any]) -> None:
    (trivy,) = [s for s in jobs(release)["scan"]["steps"] if action(s) == "aquasecurity/trivy-action"]
    assert trivy["with"]["scan-type"] == "image"
    assert set(trivy["with"]["severity"].split(",")) == {"HIGH", "CRITICAL"}
    assert trivy["with"]["exit-code"] == "1"


def test_push_keeps_the_digest_and_records_it(release: dict[str, Any]) -> None:
    push = jobs(release)["push"]
    text = job_text(push)
    assert "skopeo copy --preserve-digests" in text and "GITHUB_STEP_SUMMARY" in text
    assert push["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"


def test_integration_runs_the_built_image_next_to_service_containers(release: dict[str, Any]) -> None:
    job = jobs(release)["integration"]
    assert set(job["services"]) == {"postgres", "redis"}
    for service in job["services"].values():
        image = service["image"]
        assert re.search(r":\d+\.\d+(\.\d+)?-", image), f"{image}: pin the version"
        assert "|| ''" in image, "a service container the caller does not ask for is not started"
    text = job_text(job)
    assert "docker-daemon:under-test" in text and "--read-only" in text
    assert "inputs.integration-test-command" in json.dumps(job) and "inputs.e2e-test-command" in json.dumps(job)


@pytest.mark.parametrize("stage", ["staging", "production"])
def test_deploys_roll_out_the_digest_through_the_release_record(release: dict[str, Any], stage: str) -> None:
    job = jobs(release)[stage]
    script = next(s["run"] for s in job["steps"] if "Roll out" in s["name"])
    assert job["steps"][-1]["env"]["DIGEST"] == "${{ needs.push.outputs.digest }}"
    assert '"${repository}@${DIGEST}"' in script, "by digest, never by tag"
    # The record the stack's Rollout reads, under the name the stack gives it.
    assert 'parameter="/${PREFIX}/releases/${SERVICE}/image"' in script
    assert release_parameter_name("${PREFIX}", "${SERVICE}") == "/${PREFIX}/releases/${SERVICE}/image"
    assert script.index("aws ssm put-parameter") < script.index('patch rollout "$SERVICE" --type json'), "record first"
    assert "pulumi" not in script.replace("pulumi up --refresh", ""), "no pulumi up from a service's role"


def test_production_promotes_after_the_analysis_and_reports_a_rollback(release: dict[str, Any]) -> None:
    steps = jobs(release)["production"]["steps"]
    script = next(s for s in steps if "Roll out" in s["name"])
    assert script["env"]["PROMOTE"] == "true" and jobs(release)["staging"]["steps"][-1]["env"]["PROMOTE"] == "false"
    run = script["run"]
    assert "wait_for Paused || rolled_back" in run and "wait_for Healthy || rolled_back" in run
    assert "--subresource status --type merge" in run and "pauseConditions" in run
    assert "{.status.abort}" in run and "Degraded" in run
    assert "rolled back by the Rollout's analysis" in run and "GITHUB_STEP_SUMMARY" in run
    copy = next(s for s in steps if "same digest" in s["name"])["run"]
    assert '"$pushed" != "$DIGEST"' in copy, "production runs exactly what staging ran"


def test_the_scripts_are_valid_bash(release: dict[str, Any]) -> None:
    for name, job in jobs(release).items():
        for step in job["steps"]:
            if "run" in step:
                text = re.sub(r"\$\{\{[^}]*\}\}", "X", step["run"])
                result = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True, check=False)
                assert result.returncode == 0, f"{name} / {step['name']}: {result.stderr}"


def test_smoke_tests_go_through_kong_over_tls13(release: dict[str, Any]) -> None:
    smoke = jobs(release)["smoke"]
    text = job_text(smoke)
    assert "for path in /health" in text and "--tlsv1.3" in text
    assert smoke["steps"][0]["env"]["BASE_URL"] == "${{ inputs.staging-url }}"
    assert "id-token" not in smoke["permissions"]


def test_k6_thresholds_come_from_the_inputs(release: dict[str, Any]) -> None:
    step = jobs(release)["performance"]["steps"][-1]
    assert step["env"]["P95_MS"] == "${{ inputs.k6-p95-ms }}"
    assert step["env"]["MAX_ERROR_RATE"] == "${{ inputs.k6-max-error-rate }}"
    assert '"p(95)<%s"' in step["run"] and '"rate<%s"' in step["run"] and "--config k6-thresholds.json" in step["run"]
    assert re.fullmatch(r"grafana/k6:\d+\.\d+\.\d+", release["env"]["K6_IMAGE"])


# ------------------------------------------------------------------ the example service


def test_the_example_caller_is_a_valid_workflow_that_calls_the_release() -> None:
    caller = load(CALLER)
    assert not list(schema().iter_errors(caller))
    (job,) = jobs(caller).values()
    assert job["uses"].split("@")[0].endswith("/.github/workflows/service-release.yml")
    assert job["permissions"] == {"contents": "read", "id-token": "write"}, "the most the release's jobs use"
    inputs = load(RELEASE)["on"]["workflow_call"]["inputs"]
    assert set(job["with"]) <= set(inputs)
    assert {n for n, spec in inputs.items() if spec.get("required")} <= set(job["with"])


def test_the_example_dockerfile_pins_its_base_and_runs_as_non_root() -> None:
    lines = [line for line in (EXAMPLE / "Dockerfile").read_text(encoding="utf-8").splitlines() if line.strip()]
    (base,) = [line for line in lines if line.startswith("FROM ")]
    assert re.fullmatch(r"FROM python:\d+\.\d+\.\d+-slim-\w+", base), base
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] == "USER 10001:10001", "the platform's pods run as uid 10001"
    assert "--port=8003" in lines[-1]
    for requirement in (EXAMPLE / "requirements.txt").read_text(encoding="utf-8").split():
        assert re.fullmatch(r"[a-z0-9-]+==[\w.]+", requirement), requirement


def test_the_example_k6_script_reads_the_base_url_and_leaves_thresholds_to_the_release() -> None:
    script = (EXAMPLE / "k6" / "load.js").read_text(encoding="utf-8")
    assert "__ENV.BASE_URL" in script and "thresholds" not in script.split("//", 2)[-1].split("\n", 2)[-1]


def test_the_example_service_own_tests_pass() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-W", "error"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout


def test_actionlint_on_the_example_caller_when_available() -> None:
    binary = shutil.which("actionlint")
    if binary is None:
        pytest.skip("actionlint is not installed (see test_workflows)")
    result = subprocess.run([binary, "-no-color", str(CALLER)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_stack_lines_are_a_stack_fragment() -> None:
    lines = yaml.safe_load((EXAMPLE / "stack.yaml").read_text(encoding="utf-8"))
    assert set(lines) == {"platform:services", "platform:delivery"}


def test_the_pipeline_reads_the_release_records_back_before_it_plans() -> None:
    pipeline = load(ROOT / ".github" / "workflows" / "pipeline.yml")
    for name in ("deploy-staging", "deploy-prod"):
        steps = [s for s in jobs(pipeline)[name]["steps"] if action(s) == "pulumi/actions"]
        assert steps and all(s["with"]["refresh"] is True for s in steps), name
