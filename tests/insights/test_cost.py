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


def test_a_spot_node_group_costs_its_dearest_types_spot_price_in_its_region() -> None:
    spot = {"capacityType": "SPOT", "instanceTypes": ["m5.xlarge", "m6a.xlarge", "m7i-flex.xlarge"],
            "scalingConfig": {"desiredSize": 2}, "diskSize": 20}  # fmt: skip
    resources = plan(res("aws:eks/nodeGroup:NodeGroup", "nodes", spot))
    east = cost.estimate(resources, "t")
    # us-east-1 on 2025-06-28: m6a.xlarge is the dearest of the three, $0.1728 less 57 % = $0.0743 an hour.
    assert p.SPOT_HOUR["us-east-1"]["m6a.xlarge"] == 0.0743
    assert east.total == pytest.approx(round(2 * (0.0743 * 730 + 20 * 0.08), 2))
    assert "m6a.xlarge at $0.0743/h" in east.lines[0].basis and "Spot (2025-06-28)" in east.lines[0].basis
    resources[1]["inputs"]["region"] = "us-west-2"  # the same group priced in the other region with a table
    west = cost.estimate(resources, "t")
    assert (
        west.total == pytest.approx(round(2 * (0.0709 * 730 + 20 * 0.08), 2))
        and "m7i-flex.xlarge" in west.lines[0].basis
    )
    assert east.total < 0.5 * 2 * (p.EC2_HOUR["m6a.xlarge"] * 730)  # well under half of on-demand
    # A type without a Spot price leaves the group unpriced: never priced as on-demand, never zero.
    resources[2]["inputs"]["instanceTypes"] = ["m6a.xlarge", "c7a.xlarge"]
    unknown = cost.estimate(resources, "t")
    assert (
        unknown.total == 0 and "no Spot price of 2025-06-28 for c7a.xlarge in us-west-2" in unknown.unpriced[0].reason
    )
    resources[2]["inputs"]["capacityType"] = "CAPACITY_BLOCK"
    assert "CAPACITY_BLOCK" in cost.estimate(resources, "t").unpriced[0].reason
    assert any("Spot prices of 2025-06-28" in a for a in cost.assumptions())


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


def test_a_nat_instance_is_its_type_and_its_launch_templates_volume() -> None:
    template = res("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"blockDeviceMappings": [
        {"ebs": {"volumeSize": 8, "volumeType": "gp3"}}]})  # fmt: skip
    template["id"] = "lt-1"
    instance = res("aws:ec2/instance:Instance", "nat", {"instanceType": "t4g.micro", "launchTemplate": {"id": "lt-1"}})
    report = cost.estimate(plan(template, instance), "t")
    (line,) = report.lines
    assert line.monthly == pytest.approx(0.0084 * 730 + 8 * 0.08) and line.basis == "t4g.micro at $0.0084/h + 8 GB gp3"
    own = res("aws:ec2/instance:Instance", "own", {"instanceType": "t4g.nano", "launchTemplate": {"id": "lt-1"},
              "rootBlockDevice": {"volumeSize": 20, "volumeType": "gp3"}})  # fmt: skip
    (line,) = cost.estimate(plan(template, own), "t").lines
    assert line.basis == "t4g.nano at $0.0042/h + 20 GB gp3"  # its own root volume, not the template's
    unknown = res("aws:ec2/instance:Instance", "big", {"instanceType": "x9.huge"})
    assert cost.estimate(plan(unknown), "t").unpriced[0].reason == "no price for instance type 'x9.huge'"


def test_scheduled_functions_log_groups_carry_their_own_volume() -> None:
    function = res("aws:cloudwatch/logGroup:LogGroup", "fn", {"name": "/aws/lambda/x", "retentionInDays": 30})
    other = res("aws:cloudwatch/logGroup:LogGroup", "vpc", {"name": "/aws/vpc/x", "retentionInDays": 30})
    lines = {line.urn.rsplit("::", 1)[-1]: line for line in cost.estimate(plan(function, other), "t").lines}
    assert lines["fn"].monthly == pytest.approx(p.USAGE["function_log_gb"] * (0.50 + 0.03))
    assert lines["vpc"].monthly == pytest.approx(p.USAGE["log_gb"] * (0.50 + 0.03))
    assert any("scheduled function's log group" in a for a in cost.assumptions())


def test_chart_volumes_are_priced_per_replica() -> None:
    values = {"prometheus": {"prometheusSpec": {"replicas": 2, "storageSpec": {"volumeClaimTemplate": {
        "spec": {"resources": {"requests": {"storage": "100Gi"}}}}}}}}  # fmt: skip
    report = cost.estimate(plan(res("kubernetes:helm.sh/v3:Release", "mon", {"values": values})), "t")
    assert report.total == pytest.approx(round(2 * 100 * 1.073741824 * 0.08, 2))


def test_environments_cost_in_order_and_dev_is_under_its_budget(planned) -> None:  # type: ignore[no-untyped-def]
    plans = {s: planned(s)[1] for s in ("dev", "staging", "prod")}
    totals = {s: cost.estimate(plans[s], s) for s in plans}
    assert totals["dev"].total < totals["staging"].total < totals["prod"].total
    for report in totals.values():
        assert not report.unpriced  # every resource of the committed stacks has a price or is free
    # dev: $437.05 at the prices of the table (docs/insights.md: each part); under its budget of $450, which
    # `infra check` enforces.
    assert totals["dev"].total == pytest.approx(437.05, abs=0.01)
    budget = next(r for r in plans["dev"] if r["type"] == "pulumi:pulumi:Stack")["outputs"]["budgetMonthlyUsd"]
    assert totals["dev"].total < budget == 450
    workers = next(line for line in totals["dev"].lines if line.type == "aws:eks/nodeGroup:NodeGroup")
    assert "Spot" in workers.basis


def test_elasticsearch_volumes_are_priced_per_node() -> None:
    spec = {
        "nodeSets": [{"count": 3, "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "200G"}}}}]}]
    }
    report = cost.estimate(
        plan(res("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "es", {"spec": spec})), "t"
    )
    assert report.total == pytest.approx(3 * 200 * 0.08)
