"""Trust as code: GitHub Actions as an identity provider of the account, and the roles its jobs assume.

- The IAM OIDC provider for ``token.actions.githubusercontent.com`` (audience ``sts.amazonaws.com``),
  or the account's existing one by ARN (an account holds one provider per issuer).
- Per released service, a role only that service's repository can assume (an exact ``sub``: one
  repository and one branch or GitHub environment, ``StringEquals``; ``aud`` = ``sts.amazonaws.com``).
  It may push to that service's ECR repository, record the release in that service's SSM parameter,
  find the cluster, and, through an EKS access entry with a Kubernetes group and a Role, patch that
  service's Rollout (and its status, to promote) and read the analysis runs of the namespace. Nothing
  else: no other repository, no other Rollout, no cluster-wide access.
- The release record: an SSM parameter per service holding the image reference the last release
  rolled out. Its first value is the stack file's image; after that the release owns it
  (``ignore_changes``), and the service's Rollout takes its image from it, so a ``pulumi up --refresh``
  deploys exactly what runs and never rolls a release back.
- The infrastructure repository's roles: *deploy* (the pipeline's job in this stack's GitHub
  environment): the Pulumi state and secrets key, the managed policies the account keeps for what the
  stack creates, cluster admin through an access entry, and an explicit deny on changing itself;
  *preview* (pull requests): read the state, take its lock, view-only access to the account and the
  cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.parts import depends_on_of
from infra import iam
from infra.aws_context import AwsContext
from infra.config.delivery import (
    AUDIENCE,
    GITHUB_ISSUER,
    DeliveryConfig,
    release_parameter_name,
    release_role_name,
)

ROLLOUTS_GROUP = "argoproj.io"
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CLUSTER_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
# Pushing an image and reading it back by digest (ecr:GetAuthorizationToken has no resource: it is
# granted on "*" in a statement of its own).
ECR_PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImageScanFindings",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


def web_identity_trust(provider_arn: pulumi.Input[str], subject: str) -> pulumi.Output[str]:
    """Trust policy: GitHub Actions jobs whose token's ``sub`` is exactly ``subject``."""
    return iam.document(
        pulumi.Output.from_input(provider_arn).apply(
            lambda arn: {
                "Sid": "GithubActionsJob",
                "Effect": "Allow",
                "Principal": {"Federated": arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{GITHUB_ISSUER}:sub": subject, f"{GITHUB_ISSUER}:aud": AUDIENCE}},
            }
        )
    )


def release_statements(
    repository_arn: pulumi.Input[str], parameter_arn: pulumi.Input[str], cluster_arn: pulumi.Input[str]
) -> list[pulumi.Output[iam.Statement]]:
    """What a service's release role may do in AWS: push to one repository, record one release, find
    the cluster (its Kubernetes rights come from the access entry's group)."""
    return [
        pulumi.Output.from_input(
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
        ),
        pulumi.Output.from_input(repository_arn).apply(
            lambda arn: {
                "Sid": "PushOwnRepository",
                "Effect": "Allow",
                "Action": list(ECR_PUSH_ACTIONS),
                "Resource": arn,
            }
        ),
        pulumi.Output.from_input(parameter_arn).apply(
            lambda arn: {
                "Sid": "RecordOwnRelease",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:PutParameter"],
                "Resource": arn,
            }
        ),
        pulumi.Output.from_input(cluster_arn).apply(
            lambda arn: {"Sid": "FindCluster", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": arn}
        ),
    ]


def release_rules(rollout: str) -> list[k8s.rbac.v1.PolicyRuleArgs]:
    """Kubernetes rights of a release: its own Rollout (read, set the image, promote), the analyses."""
    return [
        k8s.rbac.v1.PolicyRuleArgs(
            api_groups=[ROLLOUTS_GROUP],
            resources=["rollouts"],
            resource_names=[rollout],
            verbs=["get", "watch", "patch"],
        ),
        k8s.rbac.v1.PolicyRuleArgs(
            api_groups=[ROLLOUTS_GROUP], resources=["rollouts/status"], resource_names=[rollout], verbs=["patch"]
        ),
        k8s.rbac.v1.PolicyRuleArgs(
            api_groups=[ROLLOUTS_GROUP], resources=["analysisruns"], verbs=["get", "list", "watch"]
        ),
    ]


@dataclass(frozen=True)
class ReleasedService:
    """A service whose repository releases it: its ECR repository and Rollout, and its first image."""

    repository_arn: pulumi.Input[str]
    rollout: str
    initial_reference: str  # the stack file's tag or digest: the record's first value


@dataclass(frozen=True)
class DeliveryArgs:
    spec: DeliveryConfig
    name_prefix: str
    aws: AwsContext
    cluster_name: pulumi.Input[str]
    namespace: pulumi.Input[str]  # where the services' Rollouts are
    kubernetes_provider: k8s.Provider
    services: Mapping[str, ReleasedService]
    protect: bool = False

    def __post_init__(self) -> None:
        missing = sorted(set(self.spec.github.services) - set(self.services))
        if missing:
            raise ValueError(f"delivery: no repository or Rollout given for service {missing[0]}")


class Delivery(pulumi.ComponentResource):
    oidc_provider_arn: pulumi.Output[str]
    release_role_arns: dict[str, pulumi.Output[str]]
    release_references: dict[str, pulumi.Output[str]]
    deploy_role_arn: pulumi.Output[str] | None
    preview_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: DeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:delivery:Delivery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        github = args.spec.github
        # Its Kubernetes objects wait for what the component was told to (the namespace).
        k8s_opts = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=depends_on_of(opts)
        )
        cluster_arn = pulumi.Output.format(
            "arn:{0}:eks:{1}:{2}:cluster/{3}",
            args.aws.partition,
            args.aws.region,
            args.aws.account_id,
            args.cluster_name,
        )

        if github.oidc_provider_arn is not None:
            provider_arn: pulumi.Output[str] = pulumi.Output.from_input(github.oidc_provider_arn)
        else:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=f"https://{GITHUB_ISSUER}",
                client_id_lists=[AUDIENCE],
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            provider_arn = provider.arn

        self.release_role_arns = {}
        self.release_references = {}
        for svc, subject in github.services.items():
            target = args.services[svc]
            record = aws.ssm.Parameter(
                f"{name}-{svc}-release",
                name=release_parameter_name(args.name_prefix, svc),
                type="String",
                insecure_value=target.initial_reference,  # not a secret: an image tag or digest
                description=f"The image reference (tag or digest) of {svc} that its last release rolled out",
                # The release writes it; Pulumi reads it back on refresh and never resets it.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["insecureValue"]),
            )
            role = aws.iam.Role(
                f"{name}-{svc}-release",
                name=release_role_name(args.name_prefix, svc),
                description=f"Release of {svc} from {subject.repository}: its ECR repository and its Rollout only",
                assume_role_policy=web_identity_trust(provider_arn, subject.subject),
                max_session_duration=args.spec.role_session_seconds,
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-{svc}-release",
                role=role.id,
                policy=iam.document(*release_statements(target.repository_arn, record.arn, cluster_arn)),
                opts=child,
            )
            group = f"release-{svc}"
            aws.eks.AccessEntry(
                f"{name}-{svc}-release",
                cluster_name=args.cluster_name,
                principal_arn=role.arn,
                kubernetes_groups=[group],
                type="STANDARD",
                opts=child,
            )
            rbac = k8s.rbac.v1.Role(
                f"{name}-{svc}-release",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{svc}-release", namespace=args.namespace),
                rules=release_rules(target.rollout),
                opts=k8s_opts,
            )
            k8s.rbac.v1.RoleBinding(
                f"{name}-{svc}-release",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{svc}-release", namespace=args.namespace),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="Role", name=f"{svc}-release"
                ),
                subjects=[k8s.rbac.v1.SubjectArgs(kind="Group", name=group, api_group="rbac.authorization.k8s.io")],
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[rbac])),
            )
            self.release_role_arns[svc] = role.arn
            self.release_references[svc] = record.insecure_value

        self.deploy_role_arn = None
        self.preview_role_arn = None
        infrastructure = github.infrastructure
        if infrastructure is not None:
            bucket = pulumi.Output.format("arn:{0}:s3:::{1}", args.aws.partition, infrastructure.state_bucket)
            deploy_name = f"{args.name_prefix}-pipeline-deploy"
            deploy_arn = pulumi.Output.format(
                "arn:{0}:iam::{1}:role/{2}", args.aws.partition, args.aws.account_id, deploy_name
            )
            deploy = aws.iam.Role(
                f"{name}-deploy",
                name=deploy_name,
                description=(
                    f"pulumi up of {args.name_prefix} from {infrastructure.repository} ({infrastructure.environment})"
                ),
                assume_role_policy=web_identity_trust(provider_arn, infrastructure.deploy.subject),
                max_session_duration=args.spec.role_session_seconds,
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-deploy",
                role=deploy.id,
                policy=iam.document(
                    *state_statements(bucket, infrastructure.secrets_key_arn, write=True),
                    deploy_arn.apply(
                        lambda arn: {
                            "Sid": "NeverChangeItself",
                            "Effect": "Deny",
                            "Action": "iam:*",
                            "Resource": arn,
                        }
                    ),
                ),
                opts=child,
            )
            for index, policy_arn in enumerate(infrastructure.deploy_policy_arns):
                aws.iam.RolePolicyAttachment(
                    f"{name}-deploy-{index}", role=deploy.name, policy_arn=policy_arn, opts=child
                )
            self._cluster_access(f"{name}-deploy", args.cluster_name, deploy.arn, CLUSTER_ADMIN_POLICY)
            self.deploy_role_arn = deploy.arn
            if infrastructure.preview:
                preview = aws.iam.Role(
                    f"{name}-preview",
                    name=f"{args.name_prefix}-pipeline-preview",
                    description=f"pulumi preview of {args.name_prefix} for pull requests of "
                    f"{infrastructure.repository}",
                    assume_role_policy=web_identity_trust(provider_arn, infrastructure.preview_subject),
                    max_session_duration=args.spec.role_session_seconds,
                    opts=child,
                )
                aws.iam.RolePolicy(
                    f"{name}-preview",
                    role=preview.id,
                    policy=iam.document(*state_statements(bucket, infrastructure.secrets_key_arn, write=False)),
                    opts=child,
                )
                aws.iam.RolePolicyAttachment(
                    f"{name}-preview-view",
                    role=preview.name,
                    policy_arn=pulumi.Output.format(
                        "arn:{0}:iam::aws:policy/job-function/ViewOnlyAccess", args.aws.partition
                    ),
                    opts=child,
                )
                self._cluster_access(f"{name}-preview", args.cluster_name, preview.arn, CLUSTER_VIEW_POLICY)
                self.preview_role_arn = preview.arn

        self.oidc_provider_arn = provider_arn
        self.register_outputs(
            {
                "oidc_provider_arn": self.oidc_provider_arn,
                "release_role_arns": self.release_role_arns,
                "deploy_role_arn": self.deploy_role_arn,
                "preview_role_arn": self.preview_role_arn,
            }
        )

    def _cluster_access(
        self, name: str, cluster_name: pulumi.Input[str], principal: pulumi.Input[str], policy_arn: str
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        entry = aws.eks.AccessEntry(
            name, cluster_name=cluster_name, principal_arn=principal, type="STANDARD", opts=child
        )
        aws.eks.AccessPolicyAssociation(
            name,
            cluster_name=cluster_name,
            principal_arn=principal,  # the role this component made (the policy pack checks where it comes from)
            policy_arn=policy_arn,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
        )


def state_statements(
    bucket_arn: pulumi.Output[str], secrets_key_arn: str, *, write: bool
) -> list[pulumi.Output[iam.Statement]]:
    """The Pulumi state backend: the bucket's objects under ``.pulumi/`` (all of them for a deploy, the
    locks only for a preview), and the secrets provider's key."""
    objects = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"]
    statements: list[pulumi.Output[iam.Statement]] = [
        bucket_arn.apply(
            lambda arn: {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn}
        ),
        bucket_arn.apply(
            lambda arn: {
                "Sid": "ReadWriteState" if write else "ReadState",
                "Effect": "Allow",
                "Action": objects,
                "Resource": f"{arn}/.pulumi/*",
            }
        ),
    ]
    if not write:
        statements.append(
            bucket_arn.apply(
                lambda arn: {
                    "Sid": "TakeTheLock",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{arn}/.pulumi/locks/*",
                }
            )
        )
    actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
    statements.append(
        pulumi.Output.from_input(
            {"Sid": "StackSecrets", "Effect": "Allow", "Action": actions, "Resource": secrets_key_arn}
        )
    )
    return statements
