"""The External Secrets Operator (external-secrets/external-secrets, chart ``external-secrets``): turns
Secrets Manager secrets into Kubernetes Secrets. Its IAM role (IRSA) may read exactly the secrets it is
given and decrypt with exactly their keys, only through Secrets Manager. The chart brings its CRDs
(``external-secrets.io/v1``, and the generators): stores, ExternalSecrets and generators wait for
``release``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import SMALL, AddOnArgs, ChartPin, HelmAddOn
from components.contracts import ClusterIdentity

PIN = ChartPin(
    chart="external-secrets",
    version="2.9.0",
    repository="https://charts.external-secrets.io",
    app_version="v2.9.0",
    known_keys=frozenset(
        {
            "installCRDs",
            "replicaCount",
            "serviceAccount.create",
            "serviceAccount.name",
            "serviceAccount.annotations",
            "resources.requests.cpu",
            "resources.requests.memory",
            "resources.limits.cpu",
            "resources.limits.memory",
            "webhook.create",
            "webhook.replicaCount",
            "certController.create",
            "certController.replicaCount",
            "livenessProbe.enabled",
            "readinessProbe.enabled",
            "webhook.resources",
            "certController.resources",
            "serviceMonitor.enabled",
            "serviceMonitor.renderMode",
        }
    ),
    free_form=frozenset({"serviceAccount.annotations", "webhook.resources", "certController.resources"}),
)
NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"


@dataclass(frozen=True)
class ExternalSecretsSettings:
    """CRDs come with the chart (``installCRDs``), so ``external-secrets.io/v1`` exists before any store."""

    service_account: str
    role_arn: pulumi.Input[str]
    replicas: int = 1  # one active controller; Kubernetes restarts it, secrets already synced stay
    # The controller's, the webhook's and the cert controller's ServiceMonitors: the Prometheus
    # Operator's CRDs exist first (give their release in opts.depends_on).
    service_monitor: bool = True

    def values(self) -> dict[str, Any]:
        return {
            "installCRDs": True,
            "replicaCount": self.replicas,
            "serviceAccount": {
                "create": True,
                "name": self.service_account,
                "annotations": {"eks.amazonaws.com/role-arn": self.role_arn},
            },
            "resources": {
                "requests": {"cpu": "50m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "512Mi"},
            },
            # The controller's health server and both probes (off in the chart by default).
            "livenessProbe": {"enabled": True},
            "readinessProbe": {"enabled": True},
            "webhook": {"create": True, "replicaCount": 1, "resources": SMALL},
            "certController": {"create": True, "replicaCount": 1, "resources": SMALL},
            # failIfMissing: a missing ServiceMonitor CRD fails the install instead of skipping the
            # ServiceMonitors without a word (the chart's default, skipIfMissing).
            "serviceMonitor": {"enabled": self.service_monitor, "renderMode": "failIfMissing"},
        }


@dataclass(frozen=True)
class ExternalSecretsOperatorArgs(AddOnArgs):
    identity: ClusterIdentity
    region: str
    dns_suffix: str
    secret_arns: Sequence[pulumi.Input[str]]  # the secrets it may read
    kms_key_arns: Sequence[pulumi.Input[str]]  # the keys those secrets are encrypted with
    # Secrets the platform's operators create (Alertmanager's receivers), by ARN or ARN pattern; they
    # are encrypted with Secrets Manager's AWS-managed key, which needs no kms:Decrypt grant here.
    operator_secret_arns: Sequence[pulumi.Input[str]] = ()

    def __post_init__(self) -> None:
        if not self.secret_arns:
            raise ValueError("no secrets to deliver")
        if not self.kms_key_arns:
            raise ValueError("the secrets' KMS keys are needed for kms:Decrypt")


class ExternalSecretsOperator(HelmAddOn):
    PIN = PIN
    CRD_GROUPS = frozenset({"external-secrets.io", "generators.external-secrets.io"})

    def __init__(
        self, name: str, args: ExternalSecretsOperatorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, args, opts)
        # The chart's pods run as non-root with a read-only root; enforce baseline, report restricted.
        self._namespace(name, NAMESPACE, enforce="baseline", audit="restricted")
        secret_arns = pulumi.Output.all(*args.secret_arns)
        key_arns = pulumi.Output.all(*args.kms_key_arns)
        policy = self._role(
            name,
            args.identity,
            NAMESPACE,
            SERVICE_ACCOUNT,
            [
                secret_arns.apply(
                    lambda arns: {
                        "Sid": "ReadTheDatastoreSecrets",
                        "Effect": "Allow",
                        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                        "Resource": sorted(arns),
                    }
                ),
                *(
                    [
                        pulumi.Output.all(*args.operator_secret_arns).apply(
                            lambda arns: {
                                "Sid": "ReadTheOperatorsSecrets",
                                "Effect": "Allow",
                                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                                "Resource": sorted(arns),
                            }
                        )
                    ]
                    if args.operator_secret_arns
                    else []
                ),
                key_arns.apply(
                    lambda arns: {
                        "Sid": "DecryptThemThroughSecretsManager",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": sorted(arns),
                        "Condition": {
                            "StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.{args.dns_suffix}"}
                        },
                    }
                ),
            ],
            description="External Secrets Operator: reads the platform's datastore secrets",
        )
        assert self.role_arn is not None
        settings = ExternalSecretsSettings(service_account=SERVICE_ACCOUNT, role_arn=self.role_arn)
        self._install(name, "external-secrets", settings.values(), depends_on=[policy])
        self._publish()
