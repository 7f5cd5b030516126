"""The key that signs the platform's access tokens, and Kong's view of it.

The user service issues JWTs (OAuth 2.0); Kong verifies them. The signing key is an asymmetric KMS
key (RSA 2048, RS256): the private half never leaves KMS, the token issuer signs with ``kms:Sign``
through its IAM role, and Kong is given only the public half. Each Kong consumer (an OAuth client)
gets its JWT credential as a Secret labelled ``konghq.com/credential: jwt`` whose ``key`` is the
client's name: tokens carry it as ``iss``, which is how Kong finds the consumer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import iam
from infra.aws_context import AwsContext
from infra.config.edge import GatewayConsumerConfig
from infra.config.workloads import ProtectionConfig

ALGORITHM = "RS256"
KEY_SPEC = "RSA_2048"
SIGNING_ALGORITHM = "RSASSA_PKCS1_V1_5_SHA_256"  # RS256 in KMS's terms


@dataclass(frozen=True)
class TokenSigningArgs:
    key_alias: str  # alias/<...> for people reading the KMS console
    namespace: pulumi.Input[str]  # where the KongConsumers (and so their credential Secrets) live
    consumers: Sequence[GatewayConsumerConfig]  # each gets the public key as its JWT credential
    kubernetes_provider: k8s.Provider
    aws: AwsContext
    protection: ProtectionConfig
    # The roles of the services that issue tokens: the only principals the key lets sign.
    signer_role_arns: Sequence[pulumi.Input[str]] = ()


class TokenSigning(pulumi.ComponentResource):
    key_arn: pulumi.Output[str]
    public_key_pem: pulumi.Output[str]
    signer_statement: pulumi.Output[dict[str, object]]

    def __init__(self, name: str, args: TokenSigningArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:gateway:TokenSigning", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            description="Signs the platform's access tokens (RS256); the private key never leaves KMS",
            key_usage="SIGN_VERIFY",
            customer_master_key_spec=KEY_SPEC,
            # KMS rotates symmetric keys only; an asymmetric key is replaced by a new key and a new alias.
            deletion_window_in_days=30,
            # Administered by the named administrators; used by the token issuer alone (no account-wide use).
            policy=iam.key_policy(
                args.aws,
                *(iam.signer_only_statements(args.aws, args.signer_role_arns) if args.signer_role_arns else []),
                account_uses=False,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protection.protect),
        )
        aws.kms.Alias(
            f"{name}-alias", name=args.key_alias, target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self)
        )
        public_key = aws.kms.get_public_key_output(
            key_id=key.arn, opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[key])
        )
        for consumer in args.consumers:
            k8s.core.v1.Secret(
                f"{name}-{consumer.username}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=consumer.credential_secret,
                    namespace=args.namespace,
                    labels={"konghq.com/credential": "jwt"},
                ),
                type="Opaque",
                string_data={
                    "key": consumer.username,
                    "algorithm": ALGORITHM,
                    "rsa_public_key": public_key.public_key_pem,
                },
                opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider),
            )
        self.key_arn = key.arn
        self.public_key_pem = public_key.public_key_pem
        # What the token issuer's role needs: sign with this key, and read its public half (for JWKS).
        self.signer_statement = key.arn.apply(
            lambda arn: {"Effect": "Allow", "Action": ["kms:Sign", "kms:GetPublicKey"], "Resource": [arn]}
        )
        self.register_outputs({"key_arn": self.key_arn, "public_key_pem": self.public_key_pem})
