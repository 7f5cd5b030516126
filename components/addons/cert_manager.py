"""cert-manager (cert-manager/cert-manager, chart ``cert-manager``, strict values schema): issues the
edge's Let's Encrypt certificates through DNS-01 on Route 53, with an IAM role (IRSA) that may write
only the ``_acme-challenge`` TXT records of the public hostnames, in one zone."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import JOB, SMALL, AddOnArgs, ChartPin, HelmAddOn
from components.contracts import ClusterIdentity
from components.parts import CERT_MANAGER_API

PIN = ChartPin(
    chart="cert-manager",
    version="v1.21.1",
    repository="https://charts.jetstack.io",
    app_version="v1.21.1",
    known_keys=frozenset(
        {
            "crds.enabled",
            "resources",
            "webhook.resources",
            "cainjector.resources",
            "startupapicheck.resources",
            "crds.keep",
            "replicaCount",
            "podDisruptionBudget.enabled",
            "podDisruptionBudget.minAvailable",
            "serviceAccount.create",
            "serviceAccount.name",
            "serviceAccount.annotations",
            "webhook.replicaCount",
            "webhook.podDisruptionBudget.enabled",
            "webhook.podDisruptionBudget.minAvailable",
            "cainjector.replicaCount",
            "prometheus.enabled",
            "prometheus.servicemonitor.enabled",
            "dns01RecursiveNameserversOnly",
            "dns01RecursiveNameservers",
        }
    ),
    free_form=frozenset(
        {
            "serviceAccount.annotations",
            "resources",
            "webhook.resources",
            "cainjector.resources",
            "startupapicheck.resources",
        }
    ),
)
NAMESPACE = "cert-manager"
SERVICE_ACCOUNT = "cert-manager"
API_VERSION = CERT_MANAGER_API


@dataclass(frozen=True)
class CertManagerSettings:
    service_account: str
    role_arn: pulumi.Input[str]
    replicas: int = 1

    def values(self) -> dict[str, Any]:
        ha = self.replicas > 1
        return {
            "crds": {"enabled": True, "keep": True},
            "replicaCount": self.replicas,
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1} if ha else {"enabled": False},
            "serviceAccount": {
                "create": True,
                "name": self.service_account,
                "annotations": {"eks.amazonaws.com/role-arn": self.role_arn},
            },
            "resources": SMALL,
            "webhook": {
                "replicaCount": self.replicas,
                "resources": SMALL,
                "podDisruptionBudget": {"enabled": True, "minAvailable": 1} if ha else {"enabled": False},
            },
            "cainjector": {"replicaCount": self.replicas, "resources": SMALL},
            "startupapicheck": {"resources": JOB},
            # The controller's metrics, scraped through the chart's ServiceMonitor (the Prometheus
            # Operator's CRDs exist first: the caller's depends_on).
            "prometheus": {"enabled": True, "servicemonitor": {"enabled": True}},
            # DNS-01 self-checks ask public resolvers, not the VPC resolver (which may see a private zone).
            "dns01RecursiveNameserversOnly": True,
            "dns01RecursiveNameservers": "8.8.8.8:53,1.1.1.1:53",
        }


def dns01_statements(
    partition: pulumi.Input[str], zone_id: str, hostnames: Sequence[str]
) -> list[pulumi.Output[dict[str, Any]]]:
    """cert-manager's Route 53 rights: TXT records named _acme-challenge.<host> in one zone, nothing else."""

    def build(part: str) -> list[dict[str, Any]]:
        zone = f"arn:{part}:route53:::hostedzone/{zone_id}"
        return [
            {
                "Sid": "ReadChanges",
                "Effect": "Allow",
                "Action": "route53:GetChange",
                "Resource": f"arn:{part}:route53:::change/*",
            },
            {"Sid": "ListZoneRecords", "Effect": "Allow", "Action": "route53:ListResourceRecordSets", "Resource": zone},
            {
                "Sid": "AcmeChallengeRecordsOnly",
                "Effect": "Allow",
                "Action": "route53:ChangeResourceRecordSets",
                "Resource": zone,
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": sorted(
                            f"_acme-challenge.{h}" for h in hostnames
                        ),
                    }
                },
            },
        ]

    part = pulumi.Output.from_input(partition)
    return [part.apply(functools.partial(_nth, build=build, index=i)) for i in range(3)]


def _nth(part: str, build: Callable[[str], list[dict[str, Any]]], index: int) -> dict[str, Any]:
    return build(part)[index]


@dataclass(frozen=True)
class CertManagerArgs(AddOnArgs):
    identity: ClusterIdentity
    partition: pulumi.Input[str]
    dns_zone_id: str
    hostnames: Sequence[str]
    replicas: int = 1


class CertManager(HelmAddOn):
    """cert-manager and its CRDs (``cert-manager.io/v1``): ClusterIssuers and Certificates wait for
    ``release``."""

    PIN = PIN
    CRD_GROUPS = frozenset({"cert-manager.io", "acme.cert-manager.io"})

    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        namespace = self._namespace(f"{name}-ns", NAMESPACE, enforce="baseline")
        self._role(
            f"{name}-irsa",
            args.identity,
            NAMESPACE,
            SERVICE_ACCOUNT,
            dns01_statements(args.partition, args.dns_zone_id, args.hostnames),
            description="cert-manager: DNS-01 challenges in the public zone (IRSA)",
            policy_name=f"{name}-dns01",
        )
        assert self.role_arn is not None
        settings = CertManagerSettings(service_account=SERVICE_ACCOUNT, role_arn=self.role_arn, replicas=args.replicas)
        self._install(name, "cert-manager", settings.values(), depends_on=[namespace])
        self._publish()
