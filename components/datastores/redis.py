"""Redis for the User Service: an ElastiCache for Redis OSS replication group in the data subnets.

Encrypted at rest with the domain's KMS key and in transit (TLS required: ``transit_encryption_mode``
``required`` on Redis 7, the only mode on 6; the service's minimum is TLS 1.2 and has no setting),
slow and engine logs in JSON to KMS-encrypted log groups with the configured retention, an AUTH
token generated and kept in Secrets Manager and rotated on a schedule by a rotation function
(ElastiCache's ``ROTATE`` strategy keeps the previous token valid beside the new one, so no client is
cut off), automatic failover and Multi-AZ from config, daily snapshots in a window from config (the
system's 02:00 UTC) kept for the configured days, and a final snapshot when the group is deleted.
ElastiCache has no deletion-protection flag; ``protect`` guards it instead.

Restored instead of created empty when ``restore`` is set (``platform:restore.redis``): the group
starts from a named ElastiCache snapshot in this region, encrypted with this stack's key; the snapshot
matters at creation only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.datastores.common import (
    Datastore,
    DatastoreLogs,
    Placement,
    SecretSpec,
    log_groups,
    password,
    security_group,
    stored_secret,
)
from components.datastores.rotation import CredentialRotation, rotate
from infra.config.backups import DatabaseRestore
from infra.config.datastores import RedisConfig
from infra.config.workloads import ProtectionConfig

PORT = 6379
# ElastiCache's log types and the name of each log group (slow queries; the engine's own log).
LOG_TYPES = {"slow-log": "slow", "engine-log": "engine"}


@dataclass(frozen=True)
class RedisArgs:
    spec: RedisConfig
    replication_group_id: str  # physical name
    placement: Placement
    kms_key_arn: pulumi.Input[str]
    secret: SecretSpec
    protection: ProtectionConfig
    logs: DatastoreLogs
    rotation: CredentialRotation
    restore: DatabaseRestore | None = None  # platform:restore.redis: a named snapshot (config refuses "latest")


class Redis(Datastore):
    reader_host: pulumi.Output[str]
    replication_group_arn: pulumi.Output[str]
    replication_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:datastores:Redis", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)

        sg = security_group(self, f"{name}-sg", f"Redis {args.replication_group_id}", args.placement, PORT)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=args.replication_group_id,
            description=f"Data subnets of {args.replication_group_id}",
            subnet_ids=args.placement.subnet_ids,
            opts=child,
        )
        # ElastiCache AUTH tokens: 16-128 printable characters; letters and digits avoid every excluded one.
        token = password(self, f"{name}-auth-token", length=64)
        groups = log_groups(
            self,
            name,
            f"/aws/elasticache/{args.replication_group_id}",
            tuple(LOG_TYPES.values()),
            args.logs,
            args.protection.protect,
        )

        group = aws.elasticache.ReplicationGroup(
            f"{name}-group",
            replication_group_id=args.replication_group_id,
            description=f"Redis of the User Service ({args.replication_group_id})",
            engine="redis",
            engine_version=spec.engine_version,
            auto_minor_version_upgrade=True,
            node_type=spec.node_type,
            num_cache_clusters=spec.num_cache_clusters,
            automatic_failover_enabled=spec.automatic_failover,
            multi_az_enabled=spec.multi_az,
            port=PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[sg.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_arn,
            transit_encryption_enabled=True,
            # Redis 7 can also run TLS "preferred"; pin "required". Redis 6 has no mode: TLS is always required.
            transit_encryption_mode=None if spec.engine_version.startswith("6.") else "required",
            auth_token=token,
            snapshot_retention_limit=spec.snapshot_retention_days,
            snapshot_window=spec.snapshot_window,
            maintenance_window=spec.maintenance_window,
            final_snapshot_identifier=f"{args.replication_group_id}-final",
            snapshot_name=args.restore.snapshot if args.restore is not None else None,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=groups[stream].name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type=log_type,
                )
                for log_type, stream in LOG_TYPES.items()
            ],
            apply_immediately=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protection.protect,
                # The rotation function owns the token after creation (ElastiCache's ROTATE strategy).
                ignore_changes=["authToken", *(["snapshotName"] if args.restore is not None else [])],
            ),
        )
        port = group.port.apply(lambda p: int(p or PORT))
        secret = stored_secret(
            self,
            f"{name}-credentials",
            args.secret,
            args.kms_key_arn,
            f"AUTH token of ElastiCache Redis {args.replication_group_id}",
            {
                "engine": "redis",
                "host": group.primary_endpoint_address,
                "readerHost": group.reader_endpoint_address,
                "port": port,
                "tls": "true",
                "password": token,
                "url": pulumi.Output.format("rediss://:{0}@{1}:{2}/0", token, group.primary_endpoint_address, port),
            },
            protect=args.protection.protect,
            rotated=True,
        )
        rotate(
            self,
            name,
            f"{args.replication_group_id}-rotation",
            "redis",
            secret,
            args.kms_key_arn,
            args.rotation,
            args.protection.protect,
            environment={"REPLICATION_GROUP_ID": group.replication_group_id},
            statements=[
                group.arn.apply(
                    lambda arn: {
                        "Sid": "SetThisGroupsToken",
                        "Effect": "Allow",
                        "Action": ["elasticache:DescribeReplicationGroups", "elasticache:ModifyReplicationGroup"],
                        "Resource": arn,
                    }
                )
            ],
            timeout=900,  # ROTATE applies in minutes; the test step waits for it
        )

        self.reader_host = group.reader_endpoint_address
        self.replication_group_arn = group.arn
        self.replication_group_id = group.replication_group_id
        self._publish(group.primary_endpoint_address, port, secret, sg.id, reader_host=self.reader_host)
