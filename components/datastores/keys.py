"""Customer-managed KMS keys, one per data domain (users, processing, analytics).

A domain's key encrypts its datastores' storage, snapshots and Performance Insights, and the
Secrets Manager secrets that hold their credentials: revoking or auditing a domain is one key.
Symmetric AES-256 (``SYMMETRIC_DEFAULT``) keys with yearly automatic rotation, a 30-day deletion
window, and the account administering them through IAM (services use them through the deploying
principal's grants).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import iam
from infra.aws_context import AwsContext
from infra.config.workloads import ProtectionConfig

_DOMAIN = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


@dataclass(frozen=True)
class DataKeysArgs:
    prefix: str  # e.g. platform-prod: alias/<prefix>/<domain>
    domains: Sequence[str]
    aws: AwsContext
    protection: ProtectionConfig

    def __post_init__(self) -> None:
        if not self.domains or len(set(self.domains)) != len(self.domains):
            raise ValueError("give each data domain once")
        for domain in self.domains:
            if not _DOMAIN.match(domain):
                raise ValueError(f"{domain!r} is not a domain name like 'users'")


class DataKeys(pulumi.ComponentResource):
    key_arns: dict[str, pulumi.Output[str]]
    key_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DataKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:datastores:DataKeys", name, None, opts)
        self.key_arns = {}
        self.key_ids = {}
        for domain in args.domains:
            key = aws.kms.Key(
                f"{name}-{domain}",
                description=f"{args.prefix} data domain '{domain}': datastores, snapshots and their secrets",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=iam.key_policy(args.aws),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protection.protect),
            )
            aws.kms.Alias(
                f"{name}-{domain}",
                name=f"alias/{args.prefix}/{domain}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.key_arns[domain] = key.arn
            self.key_ids[domain] = key.key_id
        self.register_outputs({"key_arns": self.key_arns})
