"""The accepted-findings file: its shape checked entry by entry (one line naming the entry and the
key), globs over resources, and which entries are stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.scan.accepted import AcceptedInputError, acceptance, load, stale

REASON = "a reason long enough to say why it is accepted"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "accepted.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def entry(check: str = "CKV_AWS_18", target: str = "aws", resource: str = "aws_s3_bucket.*", **extra: str) -> str:
    lines = [f"  - check: {check}", f"    target: {target}", f"    resource: {resource!r}", f"    reason: {REASON}"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def test_entries_match_check_target_and_resource_glob(tmp_path: Path) -> None:
    path = write(tmp_path, "accepted:\n" + entry() + entry("CKV_K8S_43", "kubernetes", "Rollout.apps.*"))
    buckets, rollouts = load(path)
    assert (buckets.line, rollouts.line) == (2, 6)
    assert acceptance([buckets, rollouts], "CKV_AWS_18", "aws", "aws_s3_bucket.backups-primary") is buckets
    assert acceptance([buckets, rollouts], "CKV_AWS_18", "kubernetes", "aws_s3_bucket.logs") is None
    assert acceptance([buckets, rollouts], "CKV_AWS_21", "aws", "aws_s3_bucket.logs") is None
    assert acceptance([buckets, rollouts], "CKV_K8S_43", "kubernetes", "Rollout.apps.analytics") is rollouts
    assert acceptance([buckets, rollouts], "CKV_K8S_43", "kubernetes", "Job.apps.analytics") is None
    # Stale: an entry of a scanned target that accepted nothing; a target not scanned is not judged.
    assert stale([buckets, rollouts], [buckets], ["aws", "kubernetes"]) == [rollouts]
    assert stale([buckets, rollouts], [buckets], ["aws"]) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- check: CKV_AWS_18\n", "expected a mapping with an 'accepted' list"),
        ("accepted: [1]\n", "accepted[0] (line 0): expected a mapping"),
        ("accepted:\n" + entry(owner="me"), "accepted[0] (line 2): unknown key 'owner'"),
        ("accepted:\n  - check: CKV_AWS_18\n    target: aws\n    resource: x\n", "reason is required"),
        ("accepted:\n" + entry().replace(REASON, "because"), "reason must say why"),
        ("accepted:\n" + entry(check="AWS_18"), "check 'AWS_18' is not a check id"),
        ("accepted:\n" + entry(target="cloud"), "target 'cloud' is not allowed (allowed: aws, kubernetes, rendered)"),
        ("accepted:\n" + entry() + entry(), "accepted[1] (line 6): the same check, target and resource as line 2"),
        ("accepted: [\n", "not YAML"),
    ],
    ids=[
        "no-list",
        "not-a-mapping",
        "unknown-key",
        "no-reason",
        "short-reason",
        "bad-id",
        "bad-target",
        "twice",
        "yaml",
    ],
)
def test_a_bad_file_is_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(AcceptedInputError) as error:
        load(write(tmp_path, body))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AcceptedInputError, match="no such file"):
        load(tmp_path / "none.yaml")
