"""The backup rules on the real prod plan: it passes; each insecure change is caught; dev is exempt."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.policies.support import Resource, mutated, violations_of

PLAN = "aws:backup/plan:Plan"
DAILY = f"{PLAN}::backup-plan-plan"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def _rules(resources: list[Resource]) -> set[str]:
    return {v.policy for v in violations_of(resources) if v.policy in RULES}


RULES = {
    "databases-backed-up-to-another-region",
    "continuous-backup",
    "backup-buckets-versioned-and-replicated",
}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_committed_plans_pass(planned: Any, stack: str) -> None:
    _, resources = planned(stack)
    assert _rules(resources) == set()


def _untag(resource: Resource) -> None:
    resource["inputs"].pop("tags", None)


def _no_copy(resource: Resource) -> None:
    for rule in resource["inputs"]["rules"]:
        rule.pop("copyActions", None)


def _same_region_copy(resource: Resource) -> None:
    for rule in resource["inputs"]["rules"]:
        for action in rule["copyActions"]:
            action["destinationVaultArn"] = action["destinationVaultArn"].replace("us-west-2", "us-east-1")


def _no_continuous(resource: Resource) -> None:
    for rule in resource["inputs"]["rules"]:
        rule["enableContinuousBackup"] = False


def _no_rtc(resource: Resource) -> None:
    for rule in resource["inputs"]["rules"]:
        rule["destination"]["replicationTime"]["status"] = "Disabled"


def _suspended(resource: Resource) -> None:
    resource["inputs"]["versioningConfiguration"]["status"] = "Suspended"


@pytest.mark.parametrize(
    ("kind", "change", "rule"),
    [
        ("aws:rds/instance:Instance", _untag, "databases-backed-up-to-another-region"),
        (DAILY, _no_copy, "databases-backed-up-to-another-region"),
        (DAILY, _same_region_copy, "databases-backed-up-to-another-region"),
        (DAILY, _no_continuous, "continuous-backup"),
        (REPLICATION, _no_rtc, "backup-buckets-versioned-and-replicated"),
        ("aws:s3/bucketVersioning:BucketVersioning", _suspended, "backup-buckets-versioned-and-replicated"),
    ],
)
def test_each_insecure_change_to_prod_is_caught(planned: Any, kind: str, change: Any, rule: str) -> None:
    _, resources = planned("prod")
    broken, _ = mutated(resources, kind, change)
    assert rule in _rules(broken)


def test_a_bucket_without_replication_is_caught(planned: Any) -> None:
    _, resources = planned("prod")
    broken = [r for r in copy.deepcopy(resources) if r["type"] != REPLICATION]
    found = [v for v in violations_of(broken) if v.policy == "backup-buckets-versioned-and-replicated"]
    # With no replication left, neither bucket is anyone's replica: both are flagged.
    assert {str(v.urn).rsplit("::", 1)[-1] for v in found} == {"backups-primary", "backups-replica"}
    assert all("not replicated" in v.message for v in found)


def test_dev_is_not_held_to_it(planned: Any) -> None:
    _, resources = planned("dev")
    broken, _ = mutated(resources, DAILY, _no_continuous)
    assert "continuous-backup" not in _rules(broken)


def test_an_hourly_plan_of_documentdb_only_needs_no_continuous_backup_but_one_of_postgres_does(planned: Any) -> None:
    _, resources = planned("prod")
    assert "continuous-backup" not in _rules(resources)
    postgres = next(r for r in resources if r["type"] == "aws:rds/instance:Instance")

    def add_postgres(selection: Resource) -> None:
        selection["inputs"]["resources"].append(postgres["outputs"]["arn"])
        selection["propertyDependencies"]["resources"].append(postgres["urn"])

    broken, _ = mutated(resources, "aws:backup/selection:Selection::backup-plan-hourly", add_postgres)
    assert "continuous-backup" in _rules(broken)


def test_the_daily_rule_still_keeps_30_days(planned: Any) -> None:
    _, resources = planned("prod")

    def shorten(plan: Resource) -> None:
        plan["inputs"]["rules"][0]["lifecycle"]["deleteAfter"] = 7

    broken, _ = mutated(resources, f"{PLAN}::backup-plan-plan", shorten)
    assert "backup-retention-30-days" in {v.policy for v in violations_of(broken)}


def test_documentdb_is_covered_by_its_tag_or_the_hourly_plan_and_caught_without_both(planned: Any) -> None:
    _, resources = planned("prod")
    untagged, _ = mutated(resources, "aws:docdb/cluster:Cluster", _untag)
    assert "databases-backed-up-to-another-region" not in _rules(untagged), "the hourly plan selects it by ARN"
    alone = [r for r in untagged if not r["urn"].endswith("aws:backup/selection:Selection::backup-plan-hourly")]
    assert "databases-backed-up-to-another-region" in _rules(alone)
