"""MongoDB for the Analytics Service: an Amazon DocumentDB (MongoDB-compatible) cluster.

A cluster in the data subnets with one primary and replicas from config, TLS 1.3 required by the
cluster parameter group (``tls = tls1.3+``; ``enabled`` would also accept TLS 1.0 and 1.1), storage
encrypted with the domain's KMS key, automated backups kept for the configured days in a window from
config (the system's 02:00 UTC), deletion protection, and a final snapshot when the cluster is deleted.
Audit (``audit_logs``) and profiler (operations slower than ``PROFILER_THRESHOLD_MS``) logs are turned
on by the parameter group and exported to KMS-encrypted log groups made beforehand with the configured
retention. The master password is DocumentDB's own (``manage_master_user_password``): the service keeps
it in Secrets Manager and rotates it; Pulumi never sees it. Why DocumentDB rather than another MongoDB:
see docs/datastores.md.

Restored instead of created when ``restore`` is set (``platform:restore.documentdb``): the cluster
starts from a cluster snapshot, re-encrypted with this stack's key on the way (DocumentDB restores
take a key), with the master user of the snapshot and a managed password set right after; the
snapshot matters at creation only (a newer "latest" never replaces the cluster).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
from infra.config.backups import DatabaseRestore
from infra.config.datastores import DocumentDbConfig
from infra.config.workloads import ProtectionConfig

PORT = 27017
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
LOG_EXPORTS = ("audit", "profiler")
PROFILER_THRESHOLD_MS = 100
# TLS 1.3 only: DocumentDB 4.0 (from engine 2.0.10980) and 5.0 (from 3.0.11051) accept tls1.3+.
PARAMETERS = {
    "tls": "tls1.3+",
    "audit_logs": "enabled",
    "profiler": "enabled",
    "profiler_threshold_ms": str(PROFILER_THRESHOLD_MS),
}
# The URL of the delivered Secret, from the connection details and DocumentDB's managed credentials.
URL_TEMPLATE = (
    "mongodb://{{ .username | urlquery }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/"
    "?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false"
)


def parameter_family(engine_version: str) -> str:
    """``5.0.0`` -> ``docdb5.0``."""
    major, minor, *_ = engine_version.split(".")
    return f"docdb{major}.{minor}"


@dataclass(frozen=True)
class DocumentDbArgs:
    spec: DocumentDbConfig
    cluster_identifier: str  # physical name
    placement: Placement
    kms_key_arn: pulumi.Input[str]
    secret: SecretSpec
    protection: ProtectionConfig
    logs: DatastoreLogs
    tags: Mapping[str, str] = field(default_factory=dict)  # what the backup plan selects by
    restore: DatabaseRestore | None = None  # platform:restore.documentdb: start from a snapshot
    # The cluster snapshot (identifier or ARN) resolved by the composition ("latest": the data source's answer).
    restore_from: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        if self.restore is not None and self.restore_from is None:
            raise ValueError("a restored cluster needs restore_from (the snapshot the composition resolved)")


class DocumentDb(Datastore):
    reader_host: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    subnet_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: DocumentDbArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:datastores:DocumentDb", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protection.protect)

        sg = security_group(self, f"{name}-sg", f"DocumentDB {args.cluster_identifier}", args.placement, PORT)
        subnets = aws.docdb.SubnetGroup(
            f"{name}-subnets",
            name=args.cluster_identifier,
            description=f"Data subnets of {args.cluster_identifier}",
            subnet_ids=args.placement.subnet_ids,
            opts=child,
        )
        family = parameter_family(spec.engine_version)
        parameters = aws.docdb.ClusterParameterGroup(
            f"{name}-params",
            name=f"{args.cluster_identifier}-{family.replace('.', '-')}",
            family=family,
            description=f"{args.cluster_identifier}: TLS required",
            parameters=[
                aws.docdb.ClusterParameterGroupParameterArgs(name=key, value=value, apply_method="pending-reboot")
                for key, value in PARAMETERS.items()
            ],
            opts=child,
        )
        groups = log_groups(
            self, name, f"/aws/docdb/{args.cluster_identifier}", LOG_EXPORTS, args.logs, args.protection.protect
        )
        restored = args.restore is not None
        # From a snapshot the master user is the snapshot's; the password is set after the restore.
        source = {"snapshot_identifier": args.restore_from} if restored else {"master_username": spec.username}
        once = pulumi.ResourceOptions(ignore_changes=["snapshotIdentifier"]) if restored else None

        cluster = aws.docdb.Cluster(
            f"{name}-cluster",
            cluster_identifier=args.cluster_identifier,
            engine="docdb",
            engine_version=spec.engine_version,
            manage_master_user_password=True,
            **source,
            port=PORT,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            db_cluster_parameter_group_name=parameters.name,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            backup_retention_period=spec.backup_retention_days,
            preferred_backup_window=spec.backup_window,
            preferred_maintenance_window=spec.maintenance_window,
            deletion_protection=args.protection.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.cluster_identifier}-final",
            tags=dict(args.tags) or None,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            apply_immediately=False,
            # DocumentDB writes into these groups; made first, they carry the key and the retention.
            opts=pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions.merge(keep, once), pulumi.ResourceOptions(depends_on=list(groups.values()))
            ),
        )
        for i in range(spec.instances):
            aws.docdb.ClusterInstance(
                f"{name}-{i}",
                identifier=f"{args.cluster_identifier}-{i}",
                cluster_identifier=cluster.id,
                instance_class=spec.instance_class,
                ca_cert_identifier=CA_CERTIFICATE,
                auto_minor_version_upgrade=True,
                promotion_tier=min(i, 15),
                preferred_maintenance_window=spec.maintenance_window,
                apply_immediately=False,
                opts=keep,
            )
        self.reader_host = cluster.reader_endpoint
        self.cluster_arn = cluster.arn
        self.subnet_group_name = subnets.name
        self._publish_managed(
            name,
            args.secret,
            args.kms_key_arn,
            f"Connection details of DocumentDB {args.cluster_identifier} (its credentials: the managed secret)",
            {
                "engine": "docdb",
                "host": cluster.endpoint,
                "readerHost": cluster.reader_endpoint,
                "port": cluster.port.apply(lambda p: int(p or PORT)),
                "tls": "true",
            },
            cluster.master_user_secrets,
            sg.id,
            URL_TEMPLATE,
            protect=args.protection.protect,
            reader_host=self.reader_host,
            cluster_arn=self.cluster_arn,
        )
