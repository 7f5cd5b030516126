"""The PostgreSQL component: RDS encrypted, private, TLS-only, backed up, protected, secret stored."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pydantic
import pytest

from components.datastores.common import SecretSpec
from components.datastores.postgres import Postgres, PostgresArgs
from infra.config import PostgresConfig
from tests.support import build, of_type, one
from tests.unit.datastores import (
    CLUSTER_SG,
    KEY_ARN,
    LOGS,
    OTHER_SG,
    PLACEMENT,
    PROTECTED,
    SECRET,
    UNPROTECTED,
    assert_placed_in_data_subnets,
    assert_secret_stored,
    assert_security_group_admits_only,
    component_outputs,
    variant,
)

SPEC = PostgresConfig(
    engine_version="17",
    instance_class="db.r6g.large",
    allocated_storage_gib=100,
    max_allocated_storage_gib=500,
    multi_az=True,
    database_name="users",
    username="users_admin",
    backup_retention_days=30,
    backup_window="02:00-02:30",
    maintenance_window="sun:04:00-sun:04:30",
)
ARGS = PostgresArgs(
    spec=SPEC,
    identifier="platform-test-postgres",
    placement=PLACEMENT,
    kms_key_arn=KEY_ARN,
    secret=SECRET,
    protection=PROTECTED,
    logs=LOGS,
)


def postgres(spec: dict[str, Any] | None = None, **changes: Any) -> list[dict[str, Any]]:
    """The component built from ARGS, with ``changes`` to the Args and ``spec`` to its config section."""
    if spec:
        changes["spec"] = variant(SPEC, **spec)
    args = dataclasses.replace(ARGS, **changes)
    return build(lambda: Postgres("postgres", args))


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return postgres()


def test_encrypted_private_and_multi_az(resources: list[dict[str, Any]]) -> None:
    db = one(resources, "aws:rds/instance:Instance")["inputs"]
    assert db["engine"] == "postgres" and db["engineVersion"] == "17"
    assert db["storageEncrypted"] is True and db["kmsKeyId"] == KEY_ARN
    assert db["publiclyAccessible"] is False
    assert db["multiAz"] is True
    assert db["performanceInsightsEnabled"] is True and db["performanceInsightsKmsKeyId"] == KEY_ARN
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["port"] == 5432 and db["caCertIdentifier"] == "rds-ca-rsa2048-g1"


def test_size_and_names_come_from_the_spec(resources: list[dict[str, Any]]) -> None:
    db = one(resources, "aws:rds/instance:Instance")["inputs"]
    assert db["identifier"] == "platform-test-postgres"
    assert db["instanceClass"] == "db.r6g.large"
    assert (db["allocatedStorage"], db["maxAllocatedStorage"], db["storageType"]) == (100, 500, "gp3")
    assert (db["dbName"], db["username"]) == ("users", "users_admin")
    other = one(
        postgres({"engine_version": "16", "instance_class": "db.t4g.medium", "allocated_storage_gib": 20}),
        "aws:rds/instance:Instance",
    )["inputs"]
    assert (other["engineVersion"], other["instanceClass"], other["allocatedStorage"]) == ("16", "db.t4g.medium", 20)


def test_in_the_given_subnets_behind_its_own_security_group(resources: list[dict[str, Any]]) -> None:
    assert_placed_in_data_subnets(
        resources,
        "aws:rds/instance:Instance",
        "aws:rds/subnetGroup:SubnetGroup",
        "dbSubnetGroupName",
        "vpcSecurityGroupIds",
        5432,
    )


def test_two_admitted_groups_get_one_rule_each() -> None:
    placement = dataclasses.replace(PLACEMENT, allowed_security_group_ids=[CLUSTER_SG, OTHER_SG])
    assert_security_group_admits_only(postgres(placement=placement), 5432, [CLUSTER_SG, OTHER_SG])


def test_tls_is_forced_by_the_parameter_group(resources: list[dict[str, Any]]) -> None:
    params = one(resources, "aws:rds/parameterGroup:ParameterGroup")
    assert params["inputs"]["family"] == "postgres17"
    values = {p["name"]: p["value"] for p in params["inputs"]["parameters"]}
    assert values["rds.force_ssl"] == "1"
    assert values["ssl_min_protocol_version"] == "TLSv1.3"
    db = one(resources, "aws:rds/instance:Instance")
    assert db["inputs"]["parameterGroupName"] == params["outputs"]["name"]


@pytest.mark.parametrize(("version", "minimum"), [("14", "TLSv1.2"), ("15", "TLSv1.2"), ("16", "TLSv1.3")])
def test_the_tls_minimum_is_the_highest_the_major_offers(version: str, minimum: str) -> None:
    params = one(postgres({"engine_version": version}), "aws:rds/parameterGroup:ParameterGroup")
    assert {p["name"]: p["value"] for p in params["inputs"]["parameters"]}["ssl_min_protocol_version"] == minimum


def test_connections_and_ddl_are_audited_and_exported_to_encrypted_groups(resources: list[dict[str, Any]]) -> None:
    params = one(resources, "aws:rds/parameterGroup:ParameterGroup")
    values = {p["name"]: p["value"] for p in params["inputs"]["parameters"]}
    assert values["log_connections"] == values["log_disconnections"] == "1"
    assert "pgaudit" in values["shared_preload_libraries"].split(",") and values["pgaudit.log"] == "ddl,role"
    db = one(resources, "aws:rds/instance:Instance")
    assert db["inputs"]["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    groups = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g["inputs"]["name"] for g in groups) == [
        "/aws/rds/instance/platform-test-postgres/postgresql",
        "/aws/rds/instance/platform-test-postgres/upgrade",
    ]
    key = one(resources, "aws:kms/key:Key")
    for group in groups:
        assert group["inputs"]["kmsKeyId"] == key["outputs"]["arn"]
        assert group["inputs"]["retentionInDays"] == LOGS.retention_days
        assert group["urn"] in db["dependencies"], "RDS would make the group itself, unencrypted"


def test_enhanced_monitoring_through_its_own_role(resources: list[dict[str, Any]]) -> None:
    db = one(resources, "aws:rds/instance:Instance")
    role = one(resources, "aws:iam/role:Role")
    assert db["inputs"]["monitoringInterval"] == 60
    assert db["inputs"]["monitoringRoleArn"] == role["outputs"]["arn"]
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    attachment = one(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment["inputs"]["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    off = postgres({"monitoring_interval_seconds": 0})
    assert not of_type(off, "aws:iam/role:Role") and not one(off, "aws:rds/instance:Instance")["inputs"].get(
        "monitoringRoleArn"
    )


def test_backups_point_in_time_and_final_snapshot(resources: list[dict[str, Any]]) -> None:
    db = one(resources, "aws:rds/instance:Instance")
    assert db["inputs"]["backupRetentionPeriod"] == 30  # > 0: automated backups, so point-in-time recovery
    assert db["inputs"]["backupWindow"].startswith("02:00")
    assert db["inputs"]["maintenanceWindow"] == "sun:04:00-sun:04:30"
    assert db["inputs"]["deletionProtection"] is True
    assert db["inputs"]["skipFinalSnapshot"] is False
    assert db["inputs"]["finalSnapshotIdentifier"] == "platform-test-postgres-final"
    assert db["inputs"]["deleteAutomatedBackups"] is False
    assert db.get("protect") is True


def test_the_password_is_rds_managed_and_never_in_state(resources: list[dict[str, Any]]) -> None:
    db = one(resources, "aws:rds/instance:Instance")
    assert db["inputs"]["manageMasterUserPassword"] is True
    assert db["inputs"]["masterUserSecretKmsKeyId"] == KEY_ARN
    assert "password" not in db["inputs"]
    assert not of_type(resources, "random:index/randomPassword:RandomPassword")
    assert_secret_stored(resources, KEY_ARN, protect=True)
    outputs = component_outputs(resources, "platform:datastores:Postgres")
    assert outputs["credentials_secret_arn"] == db["outputs"]["masterUserSecrets"][0]["secretArn"]
    assert outputs["credentials_secret_arn"].split(":secret:")[1].startswith("rds!db-")


def test_the_secret_is_named_and_kept_as_its_spec_says() -> None:
    spec = SecretSpec(name="platform-dev/datastores/postgres", recovery_window_days=0)
    assert_secret_stored(postgres(secret=spec), KEY_ARN, protect=True, spec=spec)


def test_dev_relaxes_protection_by_args_only() -> None:
    resources = postgres({"multi_az": False}, protection=UNPROTECTED)
    db = one(resources, "aws:rds/instance:Instance")
    assert db.get("protect", False) is False
    assert db["inputs"]["deletionProtection"] is False and db["inputs"]["multiAz"] is False
    assert db["inputs"]["skipFinalSnapshot"] is False, "a final snapshot is taken in every environment"
    assert_secret_stored(resources, KEY_ARN, protect=False)


def test_the_secret_version_waits_for_the_instance(resources: list[dict[str, Any]]) -> None:
    db = one(resources, "aws:rds/instance:Instance")
    version = one(resources, "aws:secretsmanager/secretVersion:SecretVersion")
    assert db["urn"] in version["dependencies"], "the stored host comes from the instance"


def test_the_config_refuses_no_backups_and_the_placement_no_admitted_group() -> None:
    # 0 days would turn automated backups, and so point-in-time recovery, off.
    with pytest.raises(
        pydantic.ValidationError, match=r"backupRetentionDays\s+Input should be greater than or equal to 1"
    ):
        PostgresConfig.model_validate({"backupRetentionDays": 0})
    with pytest.raises(ValueError, match="security group"):
        dataclasses.replace(PLACEMENT, allowed_security_group_ids=[])


def test_connection_details_are_outputs(resources: list[dict[str, Any]]) -> None:
    outputs = component_outputs(resources, "platform:datastores:Postgres")
    db = one(resources, "aws:rds/instance:Instance")
    secret = one(resources, "aws:secretsmanager/secret:Secret")
    assert outputs["host"] == db["outputs"]["address"] and outputs["host"].endswith(".rds.amazonaws.com")
    assert outputs["port"] == 5432
    assert outputs["secret_name"] == SECRET.name and outputs["secret_arn"] == secret["outputs"]["arn"]
