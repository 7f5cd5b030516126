"""RabbitMQ for the Data Processing Service: an Amazon MQ for RabbitMQ broker in the data subnets.

Not publicly accessible (it gets network interfaces in the data subnets and the security group
below), a three-node ``CLUSTER_MULTI_AZ`` or a ``SINGLE_INSTANCE`` from config, at-rest encryption
with the domain's customer-managed KMS key, general logs to CloudWatch Logs (the group MQ makes is
encrypted with a key of the broker's and expires: ``broker_logs.py``), and a generated
password kept in Secrets Manager. Amazon MQ for RabbitMQ speaks AMQP only over TLS (AMQPS, 5671);
that is the only port the security group opens to clients; the management API (443) is open to the
rotation function alone, which rotates the credential on a schedule by giving two users turns (the
previous user's password keeps working until the rotation after, so no client is cut off).
Amazon MQ has neither deletion protection nor final snapshots; ``protect`` guards the broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from components.datastores.broker_logs import govern_logs, publishing_policy
from components.datastores.common import (
    Datastore,
    DatastoreLogs,
    Placement,
    SecretSpec,
    password,
    security_group,
    stored_secret,
)
from components.datastores.rotation import CredentialRotation, InVpc, rotate
from infra.config.datastores import RabbitMqConfig
from infra.config.workloads import ProtectionConfig

PORT = 5671  # AMQPS
MANAGEMENT_PORT = 443  # the management API, opened to the rotation function only
CLUSTER_SUBNETS = 3  # a RabbitMQ cluster is three nodes, one per zone


@dataclass(frozen=True)
class RabbitMqArgs:
    spec: RabbitMqConfig
    broker_name: str  # physical name
    placement: Placement
    kms_key_arn: pulumi.Input[str]
    secret: SecretSpec
    protection: ProtectionConfig
    rotation: CredentialRotation
    # Where its logs are kept: MQ makes the groups itself; broker_logs.py puts this key and retention on them.
    logs: DatastoreLogs


def _host(instances: Sequence[Any]) -> str:
    """The broker's host from its first AMQPS endpoint (``amqps://b-….mq.<region>.on.aws:5671``)."""
    endpoint = instances[0]["endpoints"][0] if isinstance(instances[0], dict) else instances[0].endpoints[0]
    return urlsplit(endpoint).hostname or ""


class RabbitMq(Datastore):
    broker_arn: pulumi.Output[str]
    broker_id: pulumi.Output[str]

    def __init__(self, name: str, args: RabbitMqArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:datastores:RabbitMq", name, None, opts)
        spec = args.spec

        sg = security_group(self, f"{name}-sg", f"RabbitMQ {args.broker_name} (AMQPS)", args.placement, PORT)
        count = 1 if spec.deployment_mode == "SINGLE_INSTANCE" else CLUSTER_SUBNETS
        subnet_ids = pulumi.Output.from_input(args.placement.subnet_ids).apply(lambda ids: list(ids)[:count])
        # Amazon MQ passwords: 12+ characters, no commas, colons or equals signs.
        secret_password = password(self, f"{name}-password")
        # MQ may write its groups (this broker only) before the broker first starts.
        publishing = publishing_policy(self, name, args.broker_name, args.logs.aws)

        broker = aws.mq.Broker(
            f"{name}-broker",
            broker_name=args.broker_name,
            engine_type="RabbitMQ",
            engine_version=spec.engine_version,
            auto_minor_version_upgrade=True,
            host_instance_type=spec.instance_type,
            deployment_mode=spec.deployment_mode,
            publicly_accessible=False,
            subnet_ids=subnet_ids,
            security_groups=[sg.id],
            encryption_options=aws.mq.BrokerEncryptionOptionsArgs(use_aws_owned_key=False, kms_key_id=args.kms_key_arn),
            users=[aws.mq.BrokerUserArgs(username=spec.username, password=secret_password)],
            # Users are the rotation function's after creation (RabbitMQ's management API).
            logs=aws.mq.BrokerLogsArgs(general=True),
            maintenance_window_start_time=aws.mq.BrokerMaintenanceWindowStartTimeArgs(
                day_of_week=spec.maintenance_day, time_of_day=spec.maintenance_time, time_zone="UTC"
            ),
            apply_immediately=False,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protection.protect, ignore_changes=["users"], depends_on=[publishing]
            ),
        )
        govern_logs(
            self,
            name,
            args.broker_name,
            "RabbitMQ",
            broker,
            args.logs.aws,
            args.logs.retention_days,
            args.protection.protect,
        )
        host = broker.instances.apply(_host)
        port = pulumi.Output.from_input(PORT)
        secret = stored_secret(
            self,
            f"{name}-credentials",
            args.secret,
            args.kms_key_arn,
            f"Credentials of Amazon MQ RabbitMQ {args.broker_name}",
            {
                "engine": "rabbitmq",
                "host": host,
                "port": PORT,
                "username": spec.username,
                "password": secret_password,
                "url": pulumi.Output.format("amqps://{0}:{1}@{2}:{3}", spec.username, secret_password, host, PORT),
            },
            protect=args.protection.protect,
            rotated=True,
        )
        rotate(
            self,
            name,
            f"{args.broker_name}-rotation",
            "rabbitmq",
            secret,
            args.kms_key_arn,
            args.rotation,
            args.protection.protect,
            vpc=InVpc(args.placement.vpc_id, sg.id, MANAGEMENT_PORT, "the broker's management API (HTTPS)"),
        )

        self.broker_arn = broker.arn
        self.broker_id = broker.id
        self._publish(host, port, secret, sg.id, broker_arn=self.broker_arn)
