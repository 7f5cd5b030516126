"""PostgreSQL for the User Service: Amazon RDS for PostgreSQL in the isolated data subnets.

Multi-AZ from config, storage and Performance Insights encrypted with the domain's KMS key, TLS
enforced by the parameter group (``rds.force_ssl = 1``, ``ssl_min_protocol_version`` TLS 1.3 from
PostgreSQL 16, TLS 1.2 before: RDS offers TLS 1.3 from 16 on), IAM database authentication, automated
backups (hence point-in-time recovery) kept for the configured days in a window from config (the
system's 02:00 UTC), deletion protection, and a final snapshot when the instance is deleted.

The master password is RDS's own (``manage_master_user_password``): RDS generates it, keeps it in a
Secrets Manager secret encrypted with the domain's key and rotates it (every 7 days, RDS's default);
Pulumi never sees it. The component's own secret holds the connection details without a password; the
delivery into the cluster merges the two and builds the URL (``templates``).

Audit and access logs: connections, disconnections and pgAudit's DDL and role statements go to the
``postgresql`` log, exported with the ``upgrade`` log to KMS-encrypted log groups made beforehand with
the configured retention; Enhanced Monitoring (OS metrics) at the configured interval through its role.

Restored instead of created when ``restore`` is set (``platform:restore.postgres``):
- from a snapshot: RDS cannot change the key of what it restores, so the snapshot is first copied,
  re-encrypted with this stack's key, and the instance starts from the copy;
- to a point in time: from the source's automated backups (their ARN, or the identifier of an instance
  in this region); the instance keeps the backups' key (RDS has no key to choose on this path).
Either way the database name and master user come from the source, the generated password replaces
the source's right after the restore (RDS manages it from then on), and the source matters at creation
only: later changes to it never replace the instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.datastores.common import (
    Datastore,
    DatastoreLogs,
    Placement,
    SecretSpec,
    log_groups,
    security_group,
)
from infra import iam
from infra.config.backups import DatabaseRestore
from infra.config.datastores import PostgresConfig
from infra.config.workloads import ProtectionConfig

PORT = 5432
# Amazon's current RDS certificate authority (RSA 2048, 40-year validity): clients verify with it.
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7  # the free tier
LOG_EXPORTS = ("postgresql", "upgrade")
ENHANCED_MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"
# The URL of the delivered Secret, from the connection details and RDS's managed credentials.
URL_TEMPLATE = (
    "postgresql://{{ .username | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .dbname }}"
    "?sslmode=verify-full"
)


def tls_minimum(engine_version: str) -> str:
    """The highest ``ssl_min_protocol_version`` RDS accepts for the major: TLS 1.3 from 16 on."""
    return "TLSv1.3" if int(engine_version.split(".", maxsplit=1)[0]) >= 16 else "TLSv1.2"


def parameter_values(engine_version: str) -> dict[str, str]:
    """The parameter group's settings: TLS only, at the highest minimum; connections and DDL audited."""
    return {
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": tls_minimum(engine_version),
        "log_connections": "1",
        "log_disconnections": "1",
        "shared_preload_libraries": "pg_stat_statements,pgaudit",
        "pgaudit.log": "ddl,role",
        "pgaudit.log_parameter": "0",  # statements' parameters may be personal data
    }


@dataclass(frozen=True)
class PostgresArgs:
    spec: PostgresConfig
    identifier: str  # physical name
    placement: Placement
    kms_key_arn: pulumi.Input[str]
    secret: SecretSpec
    protection: ProtectionConfig
    logs: DatastoreLogs
    tags: Mapping[str, str] = field(default_factory=dict)  # what the backup plan selects by
    restore: DatabaseRestore | None = None  # platform:restore.postgres: start from a backup
    # What the restore starts from, resolved by the composition: the snapshot (identifier or ARN; for
    # "latest", the data source's answer), or for a point in time the source instance's identifier or
    # the ARN of its automated backups in this region.
    restore_from: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        if self.restore is not None and self.restore_from is None:
            raise ValueError("a restored instance needs restore_from (the snapshot or source the composition resolved)")


class Postgres(Datastore):
    instance_arn: pulumi.Output[str]
    subnet_group_name: pulumi.Output[str]
    resource_id: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:datastores:Postgres", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)

        sg = security_group(self, f"{name}-sg", f"PostgreSQL {args.identifier}", args.placement, PORT)
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=args.identifier,
            description=f"Data subnets of {args.identifier}",
            subnet_ids=args.placement.subnet_ids,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            name=f"{args.identifier}-pg{spec.engine_version}",
            family=f"postgres{spec.engine_version}",
            description=f"{args.identifier}: TLS required",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=key, value=value, apply_method="pending-reboot")
                for key, value in parameter_values(spec.engine_version).items()
            ],
            opts=child,
        )
        groups = log_groups(
            self, name, f"/aws/rds/instance/{args.identifier}", LOG_EXPORTS, args.logs, args.protection.protect
        )
        # RDS writes into these groups; made first, they carry the key and the retention.
        waits: list[pulumi.Resource] = list(groups.values())
        monitoring: aws.iam.Role | None = None
        if spec.monitoring_interval_seconds:
            monitoring, attachment = self._monitoring_role(name, args)
            waits.append(attachment)
        source, keep = self._source(name, args, child)

        instance = aws.rds.Instance(
            f"{name}-db",
            identifier=args.identifier,
            engine="postgres",
            engine_version=spec.engine_version,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            instance_class=spec.instance_class,
            allocated_storage=spec.allocated_storage_gib,
            max_allocated_storage=spec.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            **source,
            port=PORT,
            iam_database_authentication_enabled=True,
            ca_cert_identifier=CA_CERTIFICATE,
            multi_az=spec.multi_az,
            publicly_accessible=False,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            parameter_group_name=parameters.name,
            backup_retention_period=spec.backup_retention_days,
            backup_window=spec.backup_window,
            maintenance_window=spec.maintenance_window,
            copy_tags_to_snapshot=True,
            tags=dict(args.tags) or None,
            delete_automated_backups=False,
            deletion_protection=args.protection.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.identifier}-final",
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            performance_insights_retention_period=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=spec.monitoring_interval_seconds,
            monitoring_role_arn=monitoring.arn if monitoring is not None else None,
            apply_immediately=False,
            opts=pulumi.ResourceOptions.merge(
                keep,
                pulumi.ResourceOptions(protect=args.protection.protect, depends_on=waits),
            ),
        )
        self.instance_arn = instance.arn
        self.subnet_group_name = subnets.name
        self.resource_id = instance.resource_id
        self._publish_managed(
            name,
            args.secret,
            args.kms_key_arn,
            f"Connection details of RDS PostgreSQL {args.identifier} (its credentials: RDS's managed secret)",
            {
                "engine": "postgres",
                "host": instance.address,
                "port": instance.port.apply(int),
                "dbname": spec.database_name,
                "sslmode": "verify-full",
            },
            instance.master_user_secrets,
            sg.id,
            URL_TEMPLATE,
            protect=args.protection.protect,
            instance_arn=self.instance_arn,
        )

    def _monitoring_role(self, name: str, args: PostgresArgs) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        """Enhanced Monitoring's role: RDS's monitoring service, for this account, with AWS's policy for it."""
        role = aws.iam.Role(
            f"{name}-monitoring",
            name=f"{args.identifier}-monitoring",
            description=f"Enhanced Monitoring of {args.identifier}",
            assume_role_policy=iam.service_assume_role(args.logs.aws, "monitoring.rds"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=role.name,
            policy_arn=pulumi.Output.format(
                "arn:{0}:iam::aws:policy/{1}", args.logs.aws.partition, ENHANCED_MONITORING_POLICY
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, attachment

    def _source(
        self, name: str, args: PostgresArgs, child: pulumi.ResourceOptions
    ) -> tuple[dict[str, Any], pulumi.ResourceOptions]:
        """The instance's arguments that depend on where it starts from, and its options."""
        spec, restore = args.spec, args.restore
        if restore is None:
            fresh = {"kms_key_id": args.kms_key_arn, "db_name": spec.database_name, "username": spec.username}
            return fresh, pulumi.ResourceOptions(parent=self)
        # Read at creation only: a newer "latest" or an edited time must never replace the database.
        once = pulumi.ResourceOptions(parent=self, ignore_changes=["snapshotIdentifier", "restoreToPointInTime"])
        if restore.point_in_time is not None:
            source = args.restore_from
            if not isinstance(source, str):
                raise ValueError("a point in time is restored from a source named at plan time (identifier or ARN)")
            # Another region's instance is reached through its automated backups replicated here (an ARN).
            if source.startswith("arn:"):
                point = aws.rds.InstanceRestoreToPointInTimeArgs(
                    restore_time=restore.point_in_time, source_db_instance_automated_backups_arn=source
                )
            else:
                point = aws.rds.InstanceRestoreToPointInTimeArgs(
                    restore_time=restore.point_in_time, source_db_instance_identifier=source
                )
            return {"restore_to_point_in_time": point}, once
        copy = aws.rds.SnapshotCopy(
            f"{name}-restore-copy",
            source_db_snapshot_identifier=args.restore_from,
            target_db_snapshot_identifier=f"{args.identifier}-restore",
            kms_key_id=args.kms_key_arn,
            copy_tags=False,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(ignore_changes=["sourceDbSnapshotIdentifier"])
            ),
        )
        return {"snapshot_identifier": copy.target_db_snapshot_identifier, "kms_key_id": args.kms_key_arn}, once
