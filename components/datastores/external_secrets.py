"""Delivery of the datastores' secrets into the cluster: the External Secrets Operator.

- the operator (Helm chart ``external-secrets``, pinned in ``infra/charts.py``) in its own namespace;
- an IAM role for its service account (IRSA) that may read exactly the given secrets
  (``secretsmanager:GetSecretValue`` / ``DescribeSecret`` on their ARNs) and decrypt with exactly the
  given keys, only through Secrets Manager;
- a ``ClusterSecretStore`` (``external-secrets.io/v1``) for AWS Secrets Manager that authenticates
  with a token of the operator's service account (JWT) and serves only the services' namespace;
- the services' namespace and one ``ExternalSecret`` per datastore in it, which the operator turns
  into a Kubernetes Secret of the same name holding the secret's JSON keys (host, port, username,
  password, url ...).

Nothing secret passes through Pulumi here: the objects carry secret *names*, never values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import iam
from infra.aws_context import AwsContext
from infra.charts import EXTERNAL_SECRETS, ExternalSecretsSettings, helm_release

OPERATOR_NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"
STORE_NAME = "aws-secrets-manager"
API_VERSION = "external-secrets.io/v1"


@dataclass(frozen=True)
class DeliveredSecret:
    """One Secrets Manager secret to mirror into the services' namespace as ``kubernetes_name``."""

    kubernetes_name: str
    secret_name: pulumi.Input[str]
    secret_arn: pulumi.Input[str]


@dataclass(frozen=True)
class ExternalSecretsArgs:
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    aws: AwsContext
    namespace: str  # where the services run and their Secrets appear
    secrets: Sequence[DeliveredSecret]
    kms_key_arns: Sequence[pulumi.Input[str]]  # the keys those secrets are encrypted with
    refresh_interval: str = "1h"

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ValueError("no secrets to deliver")
        names = [s.kubernetes_name for s in self.secrets]
        if len(set(names)) != len(names):
            raise ValueError("two secrets would land under the same Kubernetes name")
        if not self.kms_key_arns:
            raise ValueError("the secrets' KMS keys are needed for kms:Decrypt")


def _restricted_namespace(name: str, enforce: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=name,
        labels={
            "pod-security.kubernetes.io/enforce": enforce,
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        },
    )


class ExternalSecrets(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    store_name: str
    role_arn: pulumi.Output[str]
    # Kubernetes Secret name in ``namespace`` per datastore secret (by its kubernetes_name).
    kubernetes_secret_names: dict[str, str]

    def __init__(self, name: str, args: ExternalSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:datastores:ExternalSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        in_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)

        role = aws.iam.Role(
            f"{name}-operator",
            description="External Secrets Operator: reads the platform's datastore secrets",
            assume_role_policy=iam.irsa_assume_role(
                args.oidc_provider_arn, args.oidc_issuer_url, OPERATOR_NAMESPACE, SERVICE_ACCOUNT
            ),
            opts=child,
        )
        secret_arns = pulumi.Output.all(*[s.secret_arn for s in args.secrets])
        key_arns = pulumi.Output.all(*args.kms_key_arns)
        policy = aws.iam.RolePolicy(
            f"{name}-operator",
            role=role.id,
            policy=iam.document(
                secret_arns.apply(
                    lambda arns: {
                        "Sid": "ReadTheDatastoreSecrets",
                        "Effect": "Allow",
                        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                        "Resource": sorted(arns),
                    }
                ),
                key_arns.apply(
                    lambda arns: {
                        "Sid": "DecryptThemThroughSecretsManager",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": sorted(arns),
                        "Condition": {
                            "StringEquals": {
                                "kms:ViaService": f"secretsmanager.{args.aws.region}.{args.aws.dns_suffix}"
                            }
                        },
                    }
                ),
            ),
            opts=child,
        )

        operator_ns = k8s.core.v1.Namespace(
            f"{name}-operator",
            # The chart's pods run as non-root with a read-only root; enforce baseline, report restricted.
            metadata=_restricted_namespace(OPERATOR_NAMESPACE, enforce="baseline"),
            opts=in_cluster,
        )
        settings = ExternalSecretsSettings(service_account=SERVICE_ACCOUNT, role_arn=role.arn)
        release = helm_release(
            f"{name}-operator",
            EXTERNAL_SECRETS,
            "external-secrets",
            operator_ns.metadata.name,
            settings.values(),
            pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[policy]),
        )

        apps_ns = k8s.core.v1.Namespace(
            f"{name}-apps",
            metadata=_restricted_namespace(args.namespace, enforce="restricted"),
            opts=in_cluster,
        )
        store = k8s.apiextensions.CustomResource(
            f"{name}-store",
            api_version=API_VERSION,
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=STORE_NAME),
            spec={
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": args.aws.region,
                        "auth": {
                            "jwt": {"serviceAccountRef": {"name": SERVICE_ACCOUNT, "namespace": OPERATOR_NAMESPACE}}
                        },
                    }
                },
                # Only the services' namespace may pull through this store.
                "conditions": [{"namespaces": [args.namespace]}],
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[release]),
        )
        self.kubernetes_secret_names = {}
        for delivered in args.secrets:
            k8s.apiextensions.CustomResource(
                f"{name}-{delivered.kubernetes_name}",
                api_version=API_VERSION,
                kind="ExternalSecret",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=delivered.kubernetes_name, namespace=apps_ns.metadata.name),
                spec={
                    "refreshInterval": args.refresh_interval,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": STORE_NAME},
                    "target": {
                        "name": delivered.kubernetes_name,
                        "creationPolicy": "Owner",
                        "deletionPolicy": "Retain",
                    },
                    "dataFrom": [{"extract": {"key": delivered.secret_name}}],
                },
                opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[store]),
            )
            self.kubernetes_secret_names[delivered.kubernetes_name] = delivered.kubernetes_name

        self.namespace = apps_ns.metadata.name
        self.store_name = STORE_NAME
        self.role_arn = role.arn
        self.register_outputs(
            {
                "namespace": self.namespace,
                "store_name": self.store_name,
                "role_arn": self.role_arn,
                "kubernetes_secret_names": self.kubernetes_secret_names,
            }
        )
