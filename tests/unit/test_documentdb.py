"""The DocumentDB component: TLS required, encrypted, backed up 30 days, protected, instances."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from components.datastores.documentdb import DocumentDb, DocumentDbArgs, parameter_family
from infra.config import DOCUMENTDB_VERSIONS, DocumentDbConfig
from tests.support import build, of_type, one
from tests.unit.datastores import (
    KEY_ARN,
    LOGS,
    PLACEMENT,
    PROTECTED,
    SECRET,
    UNPROTECTED,
    assert_placed_in_data_subnets,
    assert_secret_stored,
    component_outputs,
    variant,
)

SPEC = DocumentDbConfig(
    engine_version="5.0.0",
    instance_class="db.r6g.large",
    instances=3,
    username="analytics_admin",
    backup_retention_days=30,
    backup_window="02:00-02:30",
    maintenance_window="sun:04:00-sun:04:30",
)
ARGS = DocumentDbArgs(
    spec=SPEC,
    cluster_identifier="platform-test-documentdb",
    placement=PLACEMENT,
    kms_key_arn=KEY_ARN,
    secret=SECRET,
    protection=PROTECTED,
    logs=LOGS,
)


def documentdb(spec: dict[str, Any] | None = None, **changes: Any) -> list[dict[str, Any]]:
    """The component built from ARGS, with ``changes`` to the Args and ``spec`` to its config section."""
    if spec:
        changes["spec"] = variant(SPEC, **spec)
    args = dataclasses.replace(ARGS, **changes)
    return build(lambda: DocumentDb("documentdb", args))


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return documentdb()


def test_tls_required_by_the_cluster_parameter_group(resources: list[dict[str, Any]]) -> None:
    params = one(resources, "aws:docdb/clusterParameterGroup:ClusterParameterGroup")
    assert params["inputs"]["family"] == "docdb5.0"
    assert {p["name"]: p["value"] for p in params["inputs"]["parameters"]} == {
        "tls": "tls1.3+",  # "enabled" would also accept TLS 1.0 and 1.1
        "audit_logs": "enabled",
        "profiler": "enabled",
        "profiler_threshold_ms": "100",
    }
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    assert cluster["inputs"]["dbClusterParameterGroupName"] == params["outputs"]["name"]


def test_encrypted_backed_up_and_protected(resources: list[dict[str, Any]]) -> None:
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    inputs = cluster["inputs"]
    assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] == KEY_ARN
    assert inputs["backupRetentionPeriod"] == 30 and inputs["preferredBackupWindow"].startswith("02:00")
    assert inputs["preferredMaintenanceWindow"] == "sun:04:00-sun:04:30"
    assert (inputs["engine"], inputs["engineVersion"], inputs["port"]) == ("docdb", "5.0.0", 27017)
    assert inputs["masterUsername"] == "analytics_admin"
    assert inputs["deletionProtection"] is True
    assert (
        inputs["skipFinalSnapshot"] is False and inputs["finalSnapshotIdentifier"] == "platform-test-documentdb-final"
    )
    assert cluster.get("protect") is True
    assert inputs["manageMasterUserPassword"] is True and "masterPassword" not in inputs


def test_audit_and_profiler_logs_go_to_encrypted_groups(resources: list[dict[str, Any]]) -> None:
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    assert cluster["inputs"]["enabledCloudwatchLogsExports"] == ["audit", "profiler"]
    groups = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g["inputs"]["name"] for g in groups) == [
        "/aws/docdb/platform-test-documentdb/audit",
        "/aws/docdb/platform-test-documentdb/profiler",
    ]
    key = one(resources, "aws:kms/key:Key")
    policy = json.loads(key["inputs"]["policy"])
    logs = [s for s in policy["Statement"] if s.get("Principal", {}).get("Service") == "logs.us-east-1.amazonaws.com"]
    assert logs and "/aws/docdb/platform-test-documentdb/*" in json.dumps(logs)
    for group in groups:
        assert group["inputs"]["kmsKeyId"] == key["outputs"]["arn"] and group["inputs"]["retentionInDays"] == 365
        assert group["urn"] in cluster["dependencies"]


def test_instances_belong_to_the_cluster_and_are_protected(resources: list[dict[str, Any]]) -> None:
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    instances = of_type(resources, "aws:docdb/clusterInstance:ClusterInstance")
    assert len(instances) == 3
    for instance in instances:
        assert instance["inputs"]["clusterIdentifier"] == cluster["id"]
        assert cluster["urn"] in instance["dependencies"]
        assert instance["inputs"]["instanceClass"] == "db.r6g.large"
        assert instance["inputs"]["caCertIdentifier"] == "rds-ca-rsa2048-g1"
        assert instance.get("protect") is True


def test_private_behind_its_own_group(resources: list[dict[str, Any]]) -> None:
    assert_placed_in_data_subnets(
        resources,
        "aws:docdb/cluster:Cluster",
        "aws:docdb/subnetGroup:SubnetGroup",
        "dbSubnetGroupName",
        "vpcSecurityGroupIds",
        27017,
    )


def test_password_managed_and_connection_stored(resources: list[dict[str, Any]]) -> None:
    assert not of_type(resources, "random:index/randomPassword:RandomPassword")
    assert_secret_stored(resources, KEY_ARN, protect=True)
    outputs = component_outputs(resources, "platform:datastores:DocumentDb")
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    assert outputs["host"] == cluster["outputs"]["endpoint"] and outputs["port"] == 27017
    assert outputs["credentials_secret_arn"] == cluster["outputs"]["masterUserSecrets"][0]["secretArn"]


def test_dev_one_instance_unprotected() -> None:
    resources = documentdb({"instances": 1, "instance_class": "db.t4g.medium"}, protection=UNPROTECTED)
    (instance,) = of_type(resources, "aws:docdb/clusterInstance:ClusterInstance")
    assert instance["inputs"]["instanceClass"] == "db.t4g.medium" and instance.get("protect", False) is False
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    assert cluster.get("protect", False) is False and cluster["inputs"]["deletionProtection"] is False
    assert cluster["inputs"]["storageEncrypted"] is True
    assert cluster["inputs"]["skipFinalSnapshot"] is False, "a final snapshot is taken in every environment"
    assert_secret_stored(resources, KEY_ARN, protect=False)


@pytest.mark.parametrize("version", DOCUMENTDB_VERSIONS)
def test_the_parameter_family_follows_the_specs_engine_version(version: str) -> None:
    params = one(documentdb({"engine_version": version}), "aws:docdb/clusterParameterGroup:ClusterParameterGroup")
    assert params["inputs"]["family"] == parameter_family(version)


@pytest.mark.parametrize(("version", "family"), [("4.0.0", "docdb4.0"), ("5.0.0", "docdb5.0"), ("8.0.0", "docdb8.0")])
def test_parameter_family(version: str, family: str) -> None:
    assert parameter_family(version) == family
