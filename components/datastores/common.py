"""Pieces every datastore component uses: its security group, its generated credential and the
Secrets Manager secret that holds it, and the connection details it hands to the services.

These are helpers called from inside a component (children get ``parent=`` that component), not
components of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.parts import kms_key
from infra import iam
from infra.aws_context import AwsContext


@dataclass(frozen=True)
class Connection:
    """What a service needs to reach a datastore; the credential itself stays in the secret."""

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    secret_name: pulumi.Output[str]
    secret_arn: pulumi.Output[str]


class Datastore(pulumi.ComponentResource):
    """Base of the datastore components: what each publishes for the services (where it is, and where
    its credential is), set and registered in one place."""

    connection: Connection
    host: pulumi.Output[str]
    port: pulumi.Output[int]
    secret_arn: pulumi.Output[str]
    secret_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    # The secret the service itself keeps the master credentials in (``username``, ``password``) and
    # rotates (RDS and DocumentDB manage it); None where the credentials are in ``secret_arn`` itself.
    credentials_secret_arn: pulumi.Output[str] | None
    # Keys the delivered Kubernetes Secret gets from a template over the secrets' keys (the ``url``
    # built from the managed credentials), in External Secrets' template language.
    templates: Mapping[str, str]

    @property
    def readable_secret_arns(self) -> list[pulumi.Output[str]]:
        """Every secret the delivery of this datastore's credentials reads."""
        return [self.secret_arn, *([self.credentials_secret_arn] if self.credentials_secret_arn is not None else [])]

    def _publish_managed(
        self,
        name: str,
        secret: SecretSpec,
        kms_key_arn: pulumi.Input[str],
        description: str,
        details: Mapping[str, pulumi.Input[Any]],
        master_user_secrets: pulumi.Output[Any],
        security_group_id: pulumi.Output[str],
        url_template: str,
        protect: bool,
        **extra: pulumi.Output[Any],
    ) -> None:
        """Publish a datastore whose service keeps and rotates the master password itself (RDS's and
        DocumentDB's ``manage_master_user_password``), so Pulumi never sees it: the component's own
        secret (``<name>-credentials``) holds the connection ``details`` (``host`` and ``port`` among
        them) without a password; the delivery merges it with the service's managed secret (``username``,
        ``password``) and builds the ``url`` from ``url_template``."""
        stored = stored_secret(self, f"{name}-credentials", secret, kms_key_arn, description, details, protect=protect)
        self._publish(
            pulumi.Output.from_input(details["host"]),
            pulumi.Output.from_input(details["port"]),
            stored,
            security_group_id,
            credentials_secret_arn=master_user_secrets.apply(managed_secret_arn),
            templates={"url": url_template},
            **extra,
        )

    def _publish(
        self,
        host: pulumi.Output[str],
        port: pulumi.Output[int],
        secret: aws.secretsmanager.Secret,
        security_group_id: pulumi.Output[str],
        credentials_secret_arn: pulumi.Output[str] | None = None,
        templates: Mapping[str, str] | None = None,
        **extra: pulumi.Output[Any],
    ) -> None:
        """Set the connection attributes and register them, with the component's own ``extra`` outputs."""
        self.host = host
        self.port = port
        self.secret_arn = secret.arn
        self.secret_name = secret.name
        self.security_group_id = security_group_id
        self.credentials_secret_arn = credentials_secret_arn
        self.templates = dict(templates or {})
        if credentials_secret_arn is not None:
            extra = {**extra, "credentials_secret_arn": credentials_secret_arn}
        self.connection = Connection(self.host, self.port, self.secret_name, self.secret_arn)
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "secret_arn": self.secret_arn,
                "secret_name": self.secret_name,
                "security_group_id": self.security_group_id,
                **extra,
            }
        )


@dataclass(frozen=True)
class Placement:
    """Where a datastore lives and who may reach it (the same for every datastore)."""

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    # Security groups admitted on the datastore's port (the cluster's nodes and pods); nothing else.
    allowed_security_group_ids: Sequence[pulumi.Input[str]]

    def __post_init__(self) -> None:
        if not self.allowed_security_group_ids:
            raise ValueError("a datastore needs at least one security group to admit (or nobody can use it)")


@dataclass(frozen=True)
class DatastoreLogs:
    """Where a datastore's logs go: CloudWatch log groups made before the datastore (so the service
    writes into them, not into groups of its own), KMS-encrypted, kept ``retention_days``."""

    aws: AwsContext
    retention_days: int  # platform:datastores.logRetentionDays


@dataclass(frozen=True)
class SecretSpec:
    """Where the generated credential is stored."""

    name: str  # Secrets Manager secret name, e.g. platform-prod/datastores/postgres
    recovery_window_days: int  # platform:datastores.secretRecoveryWindowDays


def security_group(
    parent: pulumi.Resource, name: str, description: str, placement: Placement, port: int
) -> aws.ec2.SecurityGroup:
    """The datastore's own security group: its one port from the given groups only, no egress.

    The admitting rules are separate resources: the group (and so the datastore, which takes 10-20
    minutes to create) does not wait for the admitted groups' owners (the EKS cluster); only the
    rules do. The group itself manages egress (none) and leaves ingress to those rules.
    """
    group = aws.ec2.SecurityGroup(
        name,
        vpc_id=placement.vpc_id,
        description=description,
        egress=[],  # a managed datastore initiates nothing; clients connect to it
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for i, admitted in enumerate(placement.allowed_security_group_ids):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-{i}",
            security_group_id=group.id,
            referenced_security_group_id=admitted,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{description}: port {port} from an admitted security group",
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return group


def password(parent: pulumi.Resource, name: str, length: int = 40) -> pulumi.Output[str]:
    """A generated password of letters and digits only: every engine here accepts it, and it needs
    no escaping in a connection URL. 40 alphanumerics are about 238 bits.

    The result is marked secret explicitly: the engine marks ``RandomPassword.result`` secret, but a
    value nested in a non-secret input (Amazon MQ's ``users`` list) would otherwise be written in
    plain text wherever the mark is lost (the mock runtime does not apply it).
    """
    generated = random.RandomPassword(
        name,
        length=length,
        special=False,
        min_lower=4,
        min_upper=4,
        min_numeric=4,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return pulumi.Output.secret(generated.result)


def stored_secret(
    parent: pulumi.Resource,
    name: str,
    spec: SecretSpec,
    kms_key_arn: pulumi.Input[str],
    description: str,
    content: Mapping[str, pulumi.Input[Any]],
    protect: bool,
    rotated: bool = False,
) -> aws.secretsmanager.Secret:
    """A Secrets Manager secret encrypted with the domain's key, holding ``content`` as JSON.

    The version's ``secret_string`` is built from the password's secret output and marked secret
    again explicitly, so it is hidden in state and plan whatever else it contains. A ``rotated``
    secret's first version is the program's only: later versions are the rotation function's, and the
    program never writes its generated value over them.
    """
    secret = aws.secretsmanager.Secret(
        name,
        name=spec.name,
        description=description,
        kms_key_id=kms_key_arn,
        recovery_window_in_days=spec.recovery_window_days,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    document: pulumi.Input[str] = pulumi.Output.json_dumps(dict(content))
    aws.secretsmanager.SecretVersion(
        name,
        secret_id=secret.id,
        secret_string=pulumi.Output.secret(document),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["secretString"] if rotated else None),
    )
    return secret


def log_groups(
    parent: pulumi.Resource,
    name: str,
    prefix: str,
    streams: Sequence[str],
    logs: DatastoreLogs,
    protect: bool,
) -> dict[str, aws.cloudwatch.LogGroup]:
    """The log groups ``<prefix>/<stream>`` the service writes to, encrypted with one KMS key of the
    datastore's that CloudWatch Logs may use for these groups only; the key is protected as asked."""
    key = kms_key(
        f"{name}-logs",
        f"Logs of {prefix}",
        iam.key_policy(logs.aws, iam.logs_key_statement(logs.aws, f"{prefix}/*")),
        pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    return {
        stream: aws.cloudwatch.LogGroup(
            f"{name}-{stream}-logs",
            name=f"{prefix}/{stream}",
            kms_key_id=key.arn,
            retention_in_days=logs.retention_days,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for stream in streams
    }


def managed_secret_arn(secrets: Any) -> str:
    """The ARN of the secret RDS or DocumentDB keeps the master credentials in (``master_user_secrets[0]``)."""
    first = (secrets or [None])[0]
    if isinstance(first, dict):
        arn = first.get("secret_arn") or first.get("secretArn")
    else:
        arn = getattr(first, "secret_arn", None)
    if not arn:
        raise pulumi.RunError("the service returned no managed master user secret")
    return str(arn)
