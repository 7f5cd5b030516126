"""checkov itself (the pinned one of .venv-scan) over what infra scan writes: it connects a bucket to
its split versioning resource through the export's references, it scans Rollouts' pods and rendered
objects, and the prod plan's scan is clean: every finding accepted with a reason, no entry stale, no
AWS type unmapped. Skipped without checkov on a developer's machine; in CI checkov must be there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.scan.test_terraform_export import BUCKET, VERSIONING, res
from tools.plan import project_root
from tools.render.render import read_rendered
from tools.scan.accepted import load
from tools.scan.scan import ScanResult, scan

ACCEPTED = project_root() / "policies" / "accepted-findings.yaml"


def results(result: ScanResult, check: str) -> dict[str, str]:
    """resource -> "failed" for the findings of ``check`` (passes are not kept per resource)."""
    return {f.resource: "failed" for f in result.findings if f.check == check}


def test_checkov_connects_a_bucket_to_its_split_versioning_resource(checkov: str, tmp_path: Path) -> None:
    bare = res("aws:s3/bucket:Bucket", "bare", {"bucket": "b-bare"})
    result = scan([BUCKET, VERSIONING, bare], tmp_path / "scan", [], checkov)
    # CKV_AWS_21 (versioning) is a connection check: the versioned bucket passes only through the
    # reference the export writes from the plan's property dependencies.
    assert results(result, "CKV_AWS_21") == {"aws_s3_bucket.bare": "failed"}
    assert result.passed["aws"] > 0


def test_rollout_pods_and_rendered_objects_are_scanned(checkov: str, tmp_path: Path) -> None:
    pod_spec = {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}
    rollout = res(
        "kubernetes:argoproj.io/v1alpha1:Rollout",
        "web",
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "apps"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec},
            },
        },
    )
    rendered = tmp_path / "rendered"
    (rendered / "chart").mkdir(parents=True)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "chart-app", "namespace": "tools"},
        "spec": {
            "selector": {"matchLabels": {"app": "c"}},
            "template": {"metadata": {"labels": {"app": "c"}}, "spec": pod_spec},
        },
    }
    (rendered / "chart" / "deployment.yaml").write_text(json.dumps(deployment))
    index = {"releases": [{"release": "chart", "objects": [{"file": "chart/deployment.yaml", "kind": "Deployment"}]}]}
    (rendered / "render.json").write_text(json.dumps(index))
    result = scan([rollout], tmp_path / "scan", [], checkov, read_rendered(rendered))
    undigested = {(f.target, f.resource) for f in result.findings if f.check == "CKV_K8S_43"}  # no digest
    assert undigested == {("kubernetes", "Rollout.apps.web"), ("rendered", "Deployment.tools.chart-app")}
    assert result.targets == ["kubernetes", "aws", "rendered"]


def test_the_prod_plan_scan_is_clean(checkov: str, planned: Any, tmp_path: Path) -> None:
    _, resources = planned("prod")
    result = scan(resources, tmp_path / "scan", load(ACCEPTED), checkov)
    assert [(f.check, f.target, f.resource) for f in result.unaccepted] == []
    assert [(a.check, a.target, a.resource, a.line) for a in result.stale] == []
    assert result.unmapped == {}
    assert result.passed["aws"] > 500 and result.passed["kubernetes"] > 300  # the scan saw the whole plan
    assert all(f.reason for f in result.findings)


def test_a_weakened_prod_plan_is_caught(checkov: str, planned: Any, tmp_path: Path) -> None:
    """The export carries the values checkov reads: weaken four prod settings and their checks fail."""
    _, resources = planned("prod")
    weakened = json.loads(json.dumps(resources))

    def inputs(pulumi_type: str, name: str) -> dict[str, Any]:
        return next(r for r in weakened if r["type"] == pulumi_type and r["urn"].endswith(f"::{name}"))["inputs"]

    inputs("aws:eks/cluster:Cluster", "cluster-eks")["vpcConfig"]["endpointPublicAccess"] = True
    inputs("aws:rds/instance:Instance", "postgres-db")["multiAz"] = False
    inputs("aws:kms/key:Key", "data-keys-users")["enableKeyRotation"] = False
    rollout = inputs("kubernetes:argoproj.io/v1alpha1:Rollout", "user-service-rollout")
    rollout["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    result = scan(weakened, tmp_path / "scan", load(ACCEPTED), checkov)
    caught = {(f.check, f.resource) for f in result.unaccepted}
    assert caught == {
        ("CKV_AWS_39", "aws_eks_cluster.cluster-eks"),  # a public endpoint
        ("CKV_AWS_38", "aws_eks_cluster.cluster-eks"),  # ... open to 0.0.0.0/0 (no public_access_cidrs)
        ("CKV_AWS_157", "aws_db_instance.postgres-db"),
        ("CKV_AWS_7", "aws_kms_key.data-keys-users"),
        ("CKV_K8S_16", "Rollout.apps.user-service"),
    }
