"""PostgreSQL for the User Service: Amazon RDS for PostgreSQL in the isolated data subnets.

Multi-AZ from config, storage and Performance Insights encrypted with the domain's KMS key, TLS
enforced by the parameter group (``rds.force_ssl = 1``), IAM database authentication, automated
backups (hence point-in-time recovery) kept for the configured days in a window from config (the
system's 02:00 UTC), deletion protection, and a final snapshot when the instance is deleted. The
master password is generated, stored in Secrets Manager, and never set or read in plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.datastores.common import Datastore, Placement, SecretSpec, password, security_group, stored_secret
from infra.config.datastores import PostgresConfig
from infra.config.workloads import ProtectionConfig

PORT = 5432
# Amazon's current RDS certificate authority (RSA 2048, 40-year validity): clients verify with it.
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7  # the free tier


@dataclass(frozen=True)
class PostgresArgs:
    spec: PostgresConfig
    identifier: str  # physical name
    placement: Placement
    kms_key_arn: pulumi.Input[str]
    secret: SecretSpec
    protection: ProtectionConfig
    tags: Mapping[str, str] = field(default_factory=dict)  # what the backup plan selects by


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
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1", apply_method="pending-reboot"),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1", apply_method="pending-reboot"),
            ],
            opts=child,
        )
        master = password(self, f"{name}-master")

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
            kms_key_id=args.kms_key_arn,
            db_name=spec.database_name,
            username=spec.username,
            password=master,
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
            apply_immediately=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protection.protect),
        )
        port = instance.port.apply(int)
        secret = stored_secret(
            self,
            f"{name}-credentials",
            args.secret,
            args.kms_key_arn,
            f"Master credentials of RDS PostgreSQL {args.identifier}",
            {
                "engine": "postgres",
                "host": instance.address,
                "port": port,
                "dbname": spec.database_name,
                "username": spec.username,
                "password": master,
                "sslmode": "verify-full",
                "url": pulumi.Output.format(
                    "postgresql://{0}:{1}@{2}:{3}/{4}?sslmode=verify-full",
                    spec.username,
                    master,
                    instance.address,
                    port,
                    spec.database_name,
                ),
            },
            protect=args.protection.protect,
        )

        self.instance_arn = instance.arn
        self.subnet_group_name = subnets.name
        self.resource_id = instance.resource_id
        self._publish(instance.address, port, secret, sg.id, instance_arn=self.instance_arn)
