"""The dashboards in each planned environment: one ConfigMap per dashboard in ``monitoring``, labelled
for Grafana's sidecar and filed in the platform's folder, one per configured service; every panel on
the datasource Grafana is provisioned with; the datastore panels select the resources the plan makes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.config.loader import config_from_stack_file, read_stack_file
from stacks.dashboards import datastore_names
from tests.conftest import STACKS
from tests.support import ROOT, of_type, one

Plan = Any
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
THREE_SERVICES = ("user-service", "data-processing", "analytics")
BOARDS = {"platform-overview", "platform-edge", "platform-queue", "platform-datastores", "platform-slos"}


def dashboards(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The dashboard ConfigMaps by the uid of the dashboard each holds."""
    found = {}
    for cm in of_type(resources, CONFIGMAP):
        if cm["inputs"]["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "platform-dashboards":
            [(key, text)] = cm["inputs"]["data"].items()
            found[key.removesuffix(".json")] = {"metadata": cm["inputs"]["metadata"], "model": json.loads(text)}
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_each_dashboard_is_a_labelled_configmap_in_monitoring(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    release = one(resources, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack")
    sidecar = release["inputs"]["values"]["grafana"]["sidecar"]
    label, value = sidecar["dashboards"]["label"], sidecar["dashboards"]["labelValue"]
    found = dashboards(resources)
    assert set(found) == BOARDS | {f"platform-svc-{s}" for s in THREE_SERVICES}
    for cm in of_type(resources, CONFIGMAP):
        if cm["urn"].split("::")[-1].startswith("dashboards-"):
            assert release["urn"] in cm["dependencies"], "made once Grafana's release (and its sidecar) is there"
    for uid, cm in found.items():
        meta = cm["metadata"]
        assert meta["namespace"] == "monitoring"
        assert meta["labels"][label] == value
        assert meta["annotations"] == {sidecar["dashboards"]["folderAnnotation"]: "Platform"}
        assert cm["model"]["uid"] == uid
        for panel in (p for p in cm["model"]["panels"] if p["type"] != "row"):
            assert panel["datasource"]["uid"] == sidecar["datasources"]["uid"], (uid, panel["title"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_datastore_panels_select_the_planned_resources(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    text = " ".join(
        t["expr"] for p in dashboards(resources)["platform-datastores"]["model"]["panels"] for t in p.get("targets", [])
    )

    def matcher(label: str) -> re.Pattern[str]:
        values = re.findall(label + r'=~?"([^"]+)"', text)
        assert values, label
        return re.compile(f"^(?:{values[0]})$")

    rds = one(resources, "aws:rds/instance:Instance")["inputs"]["identifier"]
    assert matcher("dimension_DBInstanceIdentifier").match(rds)
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]["replicationGroupId"]
    assert matcher("dimension_CacheClusterId").match(f"{group}-001")
    broker = one(resources, "aws:mq/broker:Broker")["inputs"]["brokerName"]
    assert matcher("dimension_Broker").match(broker)
    documentdb = [i["inputs"]["identifier"] for i in of_type(resources, "aws:docdb/clusterInstance:ClusterInstance")]
    docdb = re.compile(r'dimension_DBInstanceIdentifier=~"([^"]+)"').findall(text)
    assert documentdb and docdb and all(re.fullmatch(docdb[0], i) for i in documentdb)
    names = datastore_names_of(stack)
    assert (rds, group, broker) == (names.postgres, names.redis, names.rabbitmq)


def datastore_names_of(stack: str) -> Any:
    return datastore_names(config_from_stack_file(read_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml")))
