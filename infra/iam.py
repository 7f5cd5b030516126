"""IAM and KMS policy documents as plain data, built in one place.

Documents are returned as ``pulumi.Output[str]`` (JSON) so ARNs known only after deployment can be
used; nothing here calls an AWS API (no ``get_policy_document`` invoke), so the offline plan sees the
exact document ``pulumi up`` would send.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from infra.aws_context import AwsContext

Statement = Mapping[str, Any]


def document(*statements: pulumi.Input[Statement]) -> pulumi.Output[str]:
    """A policy document from statements that may contain Outputs."""
    return pulumi.Output.all(*statements).apply(
        lambda resolved: json.dumps({"Version": "2012-10-17", "Statement": list(resolved)}, sort_keys=True)
    )


def service_assume_role(
    aws: AwsContext, service: str, *, tag_session: bool = False, confused_deputy_guard: bool = True
) -> pulumi.Output[str]:
    """Trust policy for one AWS service (``eks``, ``ec2``, ``vpc-flow-logs`` ...).

    ``confused_deputy_guard`` adds ``aws:SourceAccount`` so the service may assume the role only on
    behalf of this account; EKS and EC2 do not send that key, so they turn it off.
    """
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else ["sts:AssumeRole"]

    def statement(account: str) -> Statement:
        result: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"Service": aws.service_principal(service)},
            "Action": actions,
        }
        if confused_deputy_guard:
            result["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
        return result

    return document(pulumi.Output.from_input(aws.account_id).apply(statement))


def irsa_assume_role(
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    namespace: pulumi.Input[str],
    service_account: str,
) -> pulumi.Output[str]:
    """Trust policy that lets exactly one Kubernetes service account assume the role (IRSA)."""

    def statement(args: Sequence[str]) -> Statement:
        arn, issuer, namespace = args
        host = issuer.removeprefix("https://")
        return {
            "Effect": "Allow",
            "Principal": {"Federated": arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{host}:aud": "sts.amazonaws.com",
                }
            },
        }

    return document(pulumi.Output.all(oidc_provider_arn, oidc_issuer_url, namespace).apply(statement))


# What administering a key takes, and nothing that uses it (no Encrypt, Decrypt, Sign ...).
KEY_ADMINISTRATION_ACTIONS: tuple[str, ...] = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:GetPublicKey", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)  # fmt: skip
# What a principal of the account may do with a symmetric key when IAM grants it.
KEY_USE_ACTIONS: tuple[str, ...] = (
    "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*",
)  # fmt: skip
KEY_GRANT_ACTIONS: tuple[str, ...] = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")


def _account_root(aws: AwsContext) -> pulumi.Output[str]:
    return pulumi.Output.all(aws.partition, aws.account_id).apply(lambda pa: f"arn:{pa[0]}:iam::{pa[1]}:root")


def key_policy(
    aws: AwsContext, *service_statements: pulumi.Input[Statement], account_uses: bool = True
) -> pulumi.Output[str]:
    """A KMS key policy that names who administers the key and who uses it; nobody gets ``kms:*``.

    - administrators: the configured roles (``aws.key_administrators``), or, when none are configured,
      the account through IAM; either way only the management actions, never the key's use;
    - users (``account_uses``): principals of this account that IAM lets use the key (the datastores'
      services, the roles that read the secrets), for the symmetric actions only and only as callers
      from this account, and grants only for AWS resources (the way RDS, EBS and the others use a key);
    - ``service_statements``: the services named for their part (CloudWatch Logs, Auto Scaling, ...).
    """
    root = _account_root(aws)
    administrators: pulumi.Input[Any] = list(aws.key_administrators) if aws.key_administrators else root
    statements: list[pulumi.Input[Statement]] = [
        pulumi.Output.from_input(administrators).apply(
            lambda who: {
                "Sid": "KeyAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": who},
                "Action": list(KEY_ADMINISTRATION_ACTIONS),
                "Resource": "*",
            }
        )
    ]
    if account_uses:
        statements += [
            pulumi.Output.all(root, aws.account_id).apply(
                lambda ra: {
                    "Sid": "AccountPrincipalsUseKeyThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": ra[0]},
                    "Action": list(KEY_USE_ACTIONS),
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": ra[1]}},
                }
            ),
            pulumi.Output.all(root, aws.account_id).apply(
                lambda ra: {
                    "Sid": "AccountPrincipalsGrantForAwsResources",
                    "Effect": "Allow",
                    "Principal": {"AWS": ra[0]},
                    "Action": list(KEY_GRANT_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:CallerAccount": ra[1]},
                        "Bool": {"kms:GrantIsForAWSResource": True},
                    },
                }
            ),
        ]
    return document(*statements, *service_statements)


def signer_only_statements(
    aws: AwsContext, signer_role_arns: Sequence[pulumi.Input[str]]
) -> list[pulumi.Output[Statement]]:
    """An asymmetric signing key's users: only the roles ``signer_role_arns`` may sign (and read the public
    half); every other principal is denied ``kms:Sign``, whatever IAM says."""
    root = _account_root(aws)
    signers = pulumi.Output.all(*signer_role_arns)
    allow = pulumi.Output.all(root, signers).apply(
        lambda rs: {
            "Sid": "OnlyTheTokenIssuerSigns",
            "Effect": "Allow",
            "Principal": {"AWS": rs[0]},
            "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": list(rs[1])}},
        }
    )
    deny = signers.apply(
        lambda signer: {
            "Sid": "NobodyElseSigns",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:Sign",
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": list(signer)}},
        }
    )
    return [allow, deny]


def logs_key_statement(aws: AwsContext, log_group_pattern: str) -> pulumi.Output[Statement]:
    """Lets CloudWatch Logs use the key for log groups matching ``log_group_pattern`` (only)."""
    return pulumi.Output.all(aws.partition, aws.account_id).apply(
        lambda pa: {
            "Sid": "CloudWatchLogsUseKey",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{aws.region}.{aws.dns_suffix}"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{pa[0]}:logs:{aws.region}:{pa[1]}:log-group:{log_group_pattern}"
                    )
                }
            },
        }
    )


def autoscaling_key_statements(aws: AwsContext) -> list[pulumi.Output[Statement]]:
    """EC2 Auto Scaling's service-linked role must use the key of encrypted node volumes, or the node
    group's instances fail to launch."""
    role = pulumi.Output.all(aws.partition, aws.account_id).apply(
        lambda pa: (
            f"arn:{pa[0]}:iam::{pa[1]}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        )
    )
    use = role.apply(
        lambda arn: {
            "Sid": "AutoScalingUsesKey",
            "Effect": "Allow",
            "Principal": {"AWS": arn},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
        }
    )
    grant = role.apply(
        lambda arn: {
            "Sid": "AutoScalingGrantsForResources",
            "Effect": "Allow",
            "Principal": {"AWS": arn},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}},
        }
    )
    return [use, grant]
