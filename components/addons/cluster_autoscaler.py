"""cluster-autoscaler (kubernetes/autoscaler, chart ``cluster-autoscaler``): grows and shrinks the
workers' node group, with an IAM role (IRSA) that may scale only this cluster's groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn
from components.contracts import ClusterIdentity
from infra.aws_context import AwsContext

PIN = ChartPin(
    chart="cluster-autoscaler",
    version="9.59.0",
    repository="https://kubernetes.github.io/autoscaler",
    app_version="1.35.0",
    known_keys=frozenset(
        {
            "cloudProvider",
            "awsRegion",
            "autoDiscovery.clusterName",
            "rbac.serviceAccount.create",
            "rbac.serviceAccount.name",
            "rbac.serviceAccount.annotations",
            "image.tag",
            "replicaCount",
            "extraArgs",
            "resources.requests.cpu",
            "resources.requests.memory",
            "resources.limits.cpu",
            "resources.limits.memory",
            "podDisruptionBudget.maxUnavailable",
            "priorityClassName",
            "securityContext",
            "containerSecurityContext",
            "serviceMonitor.enabled",
            "serviceMonitor.namespace",
            "serviceMonitor.interval",
        }
    ),
    free_form=frozenset(
        {"rbac.serviceAccount.annotations", "extraArgs", "securityContext", "containerSecurityContext"}
    ),
)
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
RELEASE = "cluster-autoscaler"
# The chart's pods, by its instance label (its name label is "<cloudProvider>-cluster-autoscaler"), and
# the port of its metrics (and probes): the chart's containerPort.
POD_LABELS = {"app.kubernetes.io/instance": RELEASE}
METRICS_PORT = 8085

# The autoscaler's minor must match the cluster's (its scheduler simulation is version-specific).
# Newest release of each line, from the autoscaler's release tags.
IMAGE_TAGS: dict[str, str] = {
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}


@dataclass(frozen=True)
class ClusterAutoscalerSettings:
    cluster_name: pulumi.Input[str]
    region: str
    kubernetes_version: str
    service_account: str
    role_arn: pulumi.Input[str]
    replicas: int = 1  # leader election makes a second replica idle; the PDB keeps one up

    def values(self) -> dict[str, Any]:
        try:
            tag = IMAGE_TAGS[self.kubernetes_version]
        except KeyError:
            raise ValueError(
                f"no cluster-autoscaler release is pinned for Kubernetes {self.kubernetes_version}"
            ) from None
        return {
            "cloudProvider": "aws",
            "awsRegion": self.region,
            "autoDiscovery": {"clusterName": self.cluster_name},
            "rbac": {
                "serviceAccount": {
                    "create": True,
                    "name": self.service_account,
                    "annotations": {"eks.amazonaws.com/role-arn": self.role_arn},
                }
            },
            "image": {"tag": tag},
            "replicaCount": self.replicas,
            "extraArgs": {
                "balance-similar-node-groups": True,
                "skip-nodes-with-system-pods": False,
                "expander": "least-waste",
            },
            "resources": {
                "requests": {"cpu": "100m", "memory": "300Mi"},
                "limits": {"cpu": "500m", "memory": "600Mi"},
            },
            "podDisruptionBudget": {"maxUnavailable": 1},
            "priorityClassName": "system-cluster-critical",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            # Its metrics (scale-ups, unschedulable pods, errors) through the chart's ServiceMonitor, kept
            # in the release's own namespace (the chart's default is "monitoring", made later); the
            # Prometheus Operator's CRDs exist first (the caller's depends_on).
            "serviceMonitor": {"enabled": True, "namespace": NAMESPACE, "interval": "30s"},
        }


def scaling_statements(cluster_name: str, aws: AwsContext) -> list[pulumi.Output[dict[str, Any]]]:
    """Read what the autoscaler simulates (the describe calls support no resource scoping); describe only
    this cluster's node groups; scale and terminate only Auto Scaling groups tagged as this cluster's
    (EKS tags a managed node group's group ``k8s.io/cluster-autoscaler/<cluster>: owned``)."""
    where = pulumi.Output.all(aws.partition, aws.account_id)
    return [
        pulumi.Output.from_input(
            {
                "Sid": "ReadWhatTheSimulationNeeds",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            }
        ),
        where.apply(
            lambda pa: {
                "Sid": "DescribeOnlyThisClustersNodeGroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": f"arn:{pa[0]}:eks:{aws.region}:{pa[1]}:nodegroup/{cluster_name}/*/*",
            }
        ),
        where.apply(
            lambda pa: {
                "Sid": "ScaleOnlyThisClustersGroups",
                "Effect": "Allow",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Resource": f"arn:{pa[0]}:autoscaling:{aws.region}:{pa[1]}:autoScalingGroup:*:autoScalingGroupName/*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                        "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                    }
                },
            }
        ),
    ]


@dataclass(frozen=True)
class ClusterAutoscalerArgs(AddOnArgs):
    identity: ClusterIdentity
    cluster_name: str  # the node groups carry k8s.io/cluster-autoscaler/<cluster_name>: owned
    region: str
    kubernetes_version: str
    aws: AwsContext  # the account whose groups it scales


class ClusterAutoscaler(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(NAMESPACE)
        self._role(
            name,
            args.identity,
            NAMESPACE,
            SERVICE_ACCOUNT,
            scaling_statements(args.cluster_name, args.aws),
            policy_name=name,
        )
        assert self.role_arn is not None
        settings = ClusterAutoscalerSettings(
            cluster_name=args.cluster_name,
            region=args.region,
            kubernetes_version=args.kubernetes_version,
            service_account=SERVICE_ACCOUNT,
            role_arn=self.role_arn,
        )
        self._install(name, RELEASE, settings.values())
        self._publish()
