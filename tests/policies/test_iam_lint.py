"""Every IAM policy document of the dev, staging and prod plans passes the IAM linter (parliament, with its
community auditors), but for the findings accepted, each with its reason, in
tests/fixtures/iam-lint-accepted.yaml."""

from __future__ import annotations

import fnmatch
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.conftest import STACKS
from tests.support import ROOT

with warnings.catch_warnings():  # parliament imports pkg_resources, which warns that it is deprecated
    warnings.simplefilter("ignore")
    from parliament import analyze_policy_string

ACCEPTED: list[dict[str, Any]] = yaml.safe_load((ROOT / "tests" / "fixtures" / "iam-lint-accepted.yaml").read_text())
# Where policy documents are in a plan: resource type -> (input, kind of document).
DOCUMENTS: dict[str, tuple[str, str]] = {
    "aws:iam/rolePolicy:RolePolicy": ("policy", "identity"),
    "aws:iam/policy:Policy": ("policy", "identity"),
    "aws:iam/userPolicy:UserPolicy": ("policy", "identity"),
    "aws:iam/groupPolicy:GroupPolicy": ("policy", "identity"),
    "aws:iam/role:Role": ("assumeRolePolicy", "trust"),
    "aws:kms/key:Key": ("policy", "key"),
    "aws:kms/keyPolicy:KeyPolicy": ("policy", "key"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "bucket"),
}
Finding = tuple[str, str, str, str]  # issue, kind of document, resource name, detail


def documents(resources: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """(kind, resource name, JSON text) of every policy document in a plan."""
    for resource in resources:
        where = DOCUMENTS.get(resource["type"])
        if where is None:
            continue
        field, kind = where
        text = resource["inputs"].get(field)
        assert isinstance(text, str), f"{resource['urn']}: {field} is not a plain JSON document in the plan"
        yield kind, resource["urn"].rsplit("::", 1)[-1], text
        if resource["type"] == "aws:iam/role:Role":
            for inline in resource["inputs"].get("inlinePolicies") or []:
                yield "identity", resource["urn"].rsplit("::", 1)[-1], inline["policy"]


def lint(kind: str, name: str, text: str) -> list[Finding]:
    policy = analyze_policy_string(text, include_community_auditors=True)
    return [(f.issue, kind, name, json.dumps(f.detail, sort_keys=True, default=str)) for f in policy.findings]


def accepting(finding: Finding) -> list[int]:
    issue, kind, name, detail = finding
    return [
        i
        for i, entry in enumerate(ACCEPTED)
        if entry["issue"] == issue
        and entry["documents"] == kind
        and any(fnmatch.fnmatch(name, pattern) for pattern in entry.get("resources", ["*"]))
        and entry.get("detail", "") in detail
    ]


def test_every_accepted_finding_says_why() -> None:
    for entry in ACCEPTED:
        assert set(entry) <= {"issue", "documents", "resources", "detail", "reason"}, entry
        assert entry["documents"] in {"identity", "trust", "key", "bucket"}
        assert len(entry["reason"].split()) >= 12, entry["issue"]


@pytest.fixture(scope="module")
def findings(planned: Any) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for stack in STACKS:
        _, resources = planned(stack)
        linted = list(documents(resources))
        assert len(linted) > 40  # the roles, their policies, the keys and the buckets
        found[stack] = [f for document in linted for f in lint(*document)]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_document_passes_the_linter_but_for_accepted_findings(
    findings: dict[str, list[Finding]], stack: str
) -> None:
    unexplained = sorted({f for f in findings[stack] if not accepting(f)})
    assert unexplained == [], "explain each in tests/fixtures/iam-lint-accepted.yaml or fix the policy"


def test_no_accepted_finding_is_stale(findings: dict[str, list[Finding]]) -> None:
    used = {i for found in findings.values() for f in found for i in accepting(f)}
    assert sorted(set(range(len(ACCEPTED))) - used) == []


def test_the_linter_is_live() -> None:
    """A wildcard write on every resource and an unknown action are findings no entry accepts."""
    bad = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
                {"Effect": "Allow", "Action": "ec2:DescribeInstancez", "Resource": "*"},
            ],
        }
    )
    found = lint("identity", "user-service-irsa", bad)
    assert {"RESOURCE_STAR", "UNKNOWN_ACTION"} <= {f[0] for f in found}
    assert all(not accepting(f) for f in found)
