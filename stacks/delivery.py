"""The composition of delivery: GitHub Actions' roles for the released services and the pipeline
(``platform:delivery``), and the release records the services' Rollouts take their images from."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.cluster import Cluster
from components.delivery import Delivery, DeliveryArgs, ReleasedService
from components.workload_namespace import WorkloadNamespace
from infra.aws_context import AwsContext
from infra.config import PlatformConfig


def ecr_repository_name(cfg: PlatformConfig, service: str) -> str:
    """A service's ECR repository in this stack (the name ``ServiceDeployment`` gives it)."""
    return f"{cfg.name_prefix}/{service}"


def build_delivery(
    cfg: PlatformConfig, context: AwsContext, cluster: Cluster, apps: WorkloadNamespace, primary: aws.Provider
) -> Delivery | None:
    """Nothing when the stack names no repository; otherwise the OIDC trust and the roles."""
    github = cfg.delivery.github
    if not github.services and github.infrastructure is None:
        return None
    services = cfg.services.enabled
    released = {
        name: ReleasedService(
            repository_arn=pulumi.Output.format(
                "arn:{0}:ecr:{1}:{2}:repository/{3}",
                context.partition,
                context.region,
                context.account_id,
                ecr_repository_name(cfg, name),
            ),
            rollout=name,
            initial_reference=services[name].image.reference,
        )
        for name in github.services
    }
    delivery = Delivery(
        "delivery",
        DeliveryArgs(
            spec=cfg.delivery,
            name_prefix=cfg.name_prefix,
            aws=context,
            cluster_name=cluster.cluster_name,
            namespace=apps.name,
            kubernetes_provider=cluster.provider,
            services=released,
            protect=cfg.protection.protect,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": primary}, depends_on=list(apps.ready)),
    )
    pulumi.export("githubOidcProviderArn", delivery.oidc_provider_arn)
    pulumi.export("releaseRoles", delivery.release_role_arns)
    if delivery.deploy_role_arn is not None:
        pulumi.export("pipelineDeployRoleArn", delivery.deploy_role_arn)
    if delivery.preview_role_arn is not None:
        pulumi.export("pipelinePreviewRoleArn", delivery.preview_role_arn)
    return delivery
