"""Monthly cost of a plan: known prices, assumptions, unpriced resources listed."""

from __future__ import annotations

import pytest

from tests.insights.support import plan, res
from tools.insights import cost
from tools.insights import prices as p


def test_a_hand_made_plan_costs_what_the_price_table_says() -> None:
    resources = plan(
        res("aws:eks/cluster:Cluster", "eks"),
        res("aws:ec2/launchTemplate:LaunchTemplate", "lt",
            {"blockDeviceMappings": [{"ebs": {"volumeSize": 50, "volumeType": "gp3"}}]}, id="lt-1"),
        res("aws:eks/nodeGroup:NodeGroup", "nodes",
            {"instanceTypes": ["m6i.xlarge"], "scalingConfig": {"desiredSize": 3}, "launchTemplate": {"id": "lt-1"}}),
        res("aws:rds/instance:Instance", "db",
            {"engine": "postgres", "instanceClass": "db.r6g.large", "multiAz": True, "allocatedStorage": 100}),
        res("aws:iam/role:Role", "role"),
    )  # fmt: skip
    report = cost.estimate(resources, "t")
    by_name = {line.urn.rsplit("::", 1)[-1]: line.monthly for line in report.lines}
    assert by_name["eks"] == pytest.approx(0.10 * 730)
    assert by_name["nodes"] == pytest.approx(3 * (0.192 * 730 + 50 * 0.08))
    assert by_name["db"] == pytest.approx(2 * (0.225 * 730 + 100 * 0.115))
    assert report.total == pytest.approx(round(sum(by_name.values()), 2))
    assert report.free == 3  # the role, the launch template, the provider
    assert not report.unpriced


def test_what_cannot_be_priced_is_listed_not_zero() -> None:
    resources = plan(
        res("aws:rds/instance:Instance", "db", {"engine": "postgres", "instanceClass": "db.x99.huge"}),
        res("aws:sagemaker/domain:Domain", "studio"),
    )
    report = cost.estimate(resources, "t")
    assert report.total == 0
    reasons = {u.urn.rsplit("::", 1)[-1]: u.reason for u in report.unpriced}
    assert "db.x99.huge" in reasons["db"] and "no price for this resource type" in reasons["studio"]
    assert "Unpriced (2, not in the total)" in cost.format_text([report])


def test_a_region_without_a_table_prices_nothing() -> None:
    resources = plan(res("aws:eks/cluster:Cluster", "eks"))
    resources[1]["inputs"]["region"] = "eu-central-1"
    report = cost.estimate(resources, "t")
    assert report.total == 0 and report.unpriced[0].reason == "no price table for eu-central-1"


def test_nat_gateways_carry_their_stated_data_assumption() -> None:
    report = cost.estimate(plan(res("aws:ec2/natGateway:NatGateway", "nat")), "t")
    assert report.total == pytest.approx(0.045 * 730 + p.USAGE["nat_gb"] * 0.045)
    assert any("NAT gateway processes" in a for a in cost.assumptions())


def test_chart_volumes_are_priced_per_replica() -> None:
    values = {"prometheus": {"prometheusSpec": {"replicas": 2, "storageSpec": {"volumeClaimTemplate": {
        "spec": {"resources": {"requests": {"storage": "100Gi"}}}}}}}}  # fmt: skip
    report = cost.estimate(plan(res("kubernetes:helm.sh/v3:Release", "mon", {"values": values})), "t")
    assert report.total == pytest.approx(round(2 * 100 * 1.073741824 * 0.08, 2))


def test_environments_cost_in_order_and_dev_is_reported_against_its_limit(planned) -> None:  # type: ignore[no-untyped-def]
    totals = {s: cost.estimate(planned(s)[1], s) for s in ("dev", "staging", "prod")}
    assert totals["dev"].total < totals["staging"].total < totals["prod"].total
    for report in totals.values():
        assert not report.unpriced  # every resource of the committed stacks has a price or is free
    # dev's configuration is over $450 a month at list prices (docs/insights.md says why); pin the figure
    # so a change that moves it is seen.
    assert 450 < totals["dev"].total < 700


def test_elasticsearch_volumes_are_priced_per_node() -> None:
    spec = {
        "nodeSets": [{"count": 3, "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "200G"}}}}]}]
    }
    report = cost.estimate(
        plan(res("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "es", {"spec": spec})), "t"
    )
    assert report.total == pytest.approx(3 * 200 * 0.08)
