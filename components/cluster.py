"""The EKS cluster: managed control plane plus a managed node group of workers in private subnets.

The system's "3 nodes (1 master, 2 workers)" becomes EKS's managed control plane (the master role,
run highly available by AWS) and a managed node group of at least 2 workers that the cluster
autoscaler grows up to a configured maximum.

Also here, because every later component depends on them: KMS envelope encryption of Kubernetes
secrets, control-plane logging to an encrypted log group, the IAM OIDC provider for IAM roles for
service accounts (IRSA), IMDSv2-only nodes with encrypted gp3 volumes, the core EKS add-ons (VPC CNI
with network-policy enforcement, CoreDNS, kube-proxy, EBS CSI driver), an encrypted gp3 default
StorageClass, and the Kubernetes provider later components use. The cluster autoscaler is an add-on
(``components/addons/cluster_autoscaler.py``) given this cluster's identity.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.contracts import ClusterIdentity
from components.parts import kms_key
from infra import iam
from infra.aws_context import AwsContext
from infra.config.cluster import ClusterConfig
from infra.config.workloads import ProtectionConfig
from infra.providers import kubeconfig, kubernetes_provider

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
VPC_CNI_SERVICE_ACCOUNT = "aws-node"  # the VPC CNI's DaemonSet, in kube-system
# The EBS CSI driver's controller pods in kube-system (the add-on's label): they call EC2 (and STS for
# their role). The node plugin (app: ebs-csi-node) needs the API only. Neither runs on the host network.
EBS_CSI_CONTROLLER_PODS = {"app": "ebs-csi-controller"}
# What the workers' own role keeps: joining the cluster, pulling images, and Session Manager (the only way
# onto a node: no SSH keys, no bastion; every session is logged). The VPC CNI has its own role (IRSA).
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore")
DEFAULT_STORAGE_CLASS = "gp3-encrypted"


@dataclass(frozen=True)
class ClusterArgs:
    spec: ClusterConfig
    cluster_name: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    aws: AwsContext
    protection: ProtectionConfig


class Cluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    identity: ClusterIdentity
    cluster_security_group_id: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    storage_class_name: pulumi.Output[str]
    node_autoscaling_group_name: pulumi.Output[str]
    provider: k8s.Provider
    network_addon: aws.eks.Addon

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec
        keep = pulumi.ResourceOptions(parent=self, protect=args.protection.protect)
        log_group_name = f"/aws/eks/{args.cluster_name}/cluster"

        secrets_key = kms_key(
            f"{name}-secrets",
            f"Envelope encryption of Kubernetes secrets in {args.cluster_name}",
            iam.key_policy(args.aws),
            keep,
        )
        logs_key = kms_key(
            f"{name}-logs",
            f"Control-plane logs of {args.cluster_name}",
            iam.key_policy(args.aws, iam.logs_key_statement(args.aws, log_group_name)),
            keep,
        )
        volumes_key = kms_key(
            f"{name}-volumes",
            f"EBS volumes of {args.cluster_name} (nodes and persistent volumes)",
            iam.key_policy(args.aws, *iam.autoscaling_key_statements(args.aws)),
            keep,
        )
        # Created before the cluster so EKS writes into an encrypted group with a retention period.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=log_group_name,
            kms_key_id=logs_key.arn,
            retention_in_days=spec.log_retention_days,
            opts=child,
        )

        cluster_role = aws.iam.Role(
            f"{name}-cluster",
            assume_role_policy=iam.service_assume_role(args.aws, "eks", tag_session=True, confused_deputy_guard=False),
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn=pulumi.Output.concat("arn:", args.aws.partition, ":iam::aws:policy/AmazonEKSClusterPolicy"),
            opts=child,
        )

        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=spec.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.private_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=bool(spec.endpoint_public_access_cidrs),
                public_access_cidrs=list(spec.endpoint_public_access_cidrs) or None,
            ),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                service_ipv4_cidr=spec.service_cidr, ip_family="ipv4"
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            # Administrators come from config as access entries (below); the creator keeps EKS's bootstrap
            # admin only while config names none. EKS sets this at creation only: a cluster made before
            # keeps its creator entry until `aws eks delete-access-entry` removes it (see docs/security.md).
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=spec.creator_admin
            ),
            deletion_protection=args.protection.deletion_protection,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protection.protect,
                depends_on=[cluster_policy, log_group],
                ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions"],  # never a replacement
            ),
        )
        self._pod_eni_policy: list[pulumi.Resource] = []
        if spec.pod_security_groups:  # EKS manages the trunk and branch ENIs of security groups for pods
            self._pod_eni_policy.append(
                aws.iam.RolePolicyAttachment(
                    f"{name}-cluster-vpc-resource-controller",
                    role=cluster_role.name,
                    policy_arn=pulumi.Output.concat(
                        "arn:", args.aws.partition, ":iam::aws:policy/AmazonEKSVPCResourceController"
                    ),
                    opts=child,
                )
            )

        oidc_issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer or "")  # type: ignore[index]
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=oidc_issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child,
        )

        # Cluster administration: one role this plan creates, which the configured roles may assume (the one
        # that runs `pulumi up` among them: the Kubernetes provider's token is for this role).
        admin_role: aws.iam.Role | None = None
        if spec.admin_role_arns:
            admin_role = aws.iam.Role(
                f"{name}-administrators",
                description=f"Administrators of the {args.cluster_name} cluster (EKS access entry, no IAM permissions)",
                assume_role_policy=iam.document(
                    {
                        "Sid": "ConfiguredAdministratorsAssume",
                        "Effect": "Allow",
                        "Principal": {"AWS": list(spec.admin_role_arns)},
                        "Action": "sts:AssumeRole",
                    }
                ),
                opts=child,
            )
            entry = aws.eks.AccessEntry(
                f"{name}-administrators",
                cluster_name=cluster.name,
                principal_arn=admin_role.arn,
                type="STANDARD",
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-administrators",
                cluster_name=cluster.name,
                principal_arn=admin_role.arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )

        node_group = self._node_group(name, args, cluster, volumes_key)
        addons = self._addons(name, args, cluster, oidc, oidc_issuer, volumes_key, node_group)
        self.network_addon = addons[0]  # the VPC CNI: what NetworkPolicies and SecurityGroupPolicies need

        config = kubeconfig(
            cluster.name,
            cluster.endpoint,
            cluster.certificate_authority.data,
            args.aws.region,
            role_arn=admin_role.arn if admin_role is not None else None,
        )
        provider = kubernetes_provider(
            f"{name}-k8s",
            config,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[node_group]),
        )
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": volumes_key.arn, "fsType": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Retain",  # a deleted claim never takes its data with it
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=addons),
        )

        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.data
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer_url = oidc_issuer
        self.identity = ClusterIdentity(oidc_provider_arn=oidc.arn, oidc_issuer_url=oidc_issuer)
        self.cluster_security_group_id = cluster.vpc_config.cluster_security_group_id
        self.node_role_arn = node_group.node_role_arn
        self.kubeconfig = config
        self.storage_class_name = storage_class.metadata.name
        self.provider = provider
        # The workers' Auto Scaling group, for load balancer target groups that register nodes (the edge).
        self.node_autoscaling_group_name = node_group.resources.apply(
            lambda r: str(r[0].autoscaling_groups[0].name)  # type: ignore[index]
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "cluster_security_group_id": self.cluster_security_group_id,
                "storage_class_name": self.storage_class_name,
            }
        )

    def _node_group(
        self, name: str, args: ClusterArgs, cluster: aws.eks.Cluster, volumes_key: aws.kms.Key
    ) -> aws.eks.NodeGroup:
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec.node_group
        node_role = aws.iam.Role(
            f"{name}-nodes",
            assume_role_policy=iam.service_assume_role(args.aws, "ec2", confused_deputy_guard=False),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-nodes-{policy}",
                role=node_role.name,
                policy_arn=pulumi.Output.concat("arn:", args.aws.partition, f":iam::aws:policy/{policy}"),
                opts=child,
            )
            for policy in NODE_POLICIES
        ]
        template = aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            description=f"Workers of {args.cluster_name}: IMDSv2 only, encrypted gp3 root volume",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                # 1 hop: pods (not on the host network) cannot reach the node's credentials; they use IRSA.
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=spec.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=volumes_key.arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags={"Name": f"{args.cluster_name}-worker"}
                )
            ],
            opts=child,
        )
        return aws.eks.NodeGroup(
            f"{name}-workers",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=args.private_subnet_ids,
            ami_type=spec.ami_type,
            capacity_type=spec.capacity_type,
            instance_types=list(spec.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=spec.min_size, desired_size=spec.desired_size, max_size=spec.max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={"platform/role": "worker"},
            tags={
                "k8s.io/cluster-autoscaler/enabled": "true",
                f"k8s.io/cluster-autoscaler/{args.cluster_name}": "owned",
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=attachments,
                # The cluster autoscaler owns the desired size once the group exists.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _irsa_role(
        self,
        name: str,
        oidc: aws.iam.OpenIdConnectProvider,
        issuer: pulumi.Input[str],
        namespace: str,
        service_account: str,
    ) -> aws.iam.Role:
        return aws.iam.Role(
            name,
            assume_role_policy=iam.irsa_assume_role(oidc.arn, issuer, namespace, service_account),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _addons(
        self,
        name: str,
        args: ClusterArgs,
        cluster: aws.eks.Cluster,
        oidc: aws.iam.OpenIdConnectProvider,
        issuer: pulumi.Output[str],
        volumes_key: aws.kms.Key,
        node_group: aws.eks.NodeGroup,
    ) -> list[aws.eks.Addon]:
        child = pulumi.ResourceOptions(parent=self)
        ebs_role = self._irsa_role(f"{name}-ebs-csi", oidc, issuer, "kube-system", EBS_CSI_SERVICE_ACCOUNT)
        aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi",
            role=ebs_role.name,
            policy_arn=pulumi.Output.concat(
                "arn:", args.aws.partition, ":iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-ebs-csi-kms",
            role=ebs_role.id,
            policy=iam.document(
                volumes_key.arn.apply(
                    lambda arn: {
                        "Sid": "UseTheVolumesKey",
                        "Effect": "Allow",
                        "Action": [
                            "kms:Decrypt",
                            "kms:DescribeKey",
                            "kms:Encrypt",
                            "kms:GenerateDataKeyWithoutPlaintext",
                            "kms:ReEncryptFrom",
                            "kms:ReEncryptTo",
                        ],
                        "Resource": arn,
                    }
                ),
                volumes_key.arn.apply(
                    lambda arn: {
                        "Sid": "GrantsOnlyForEbsVolumes",
                        "Effect": "Allow",
                        "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                        "Resource": arn,
                        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                    }
                ),
            ),
            opts=child,
        )
        # The VPC CNI's own role: only aws-node may assign addresses and ENIs (the nodes' role may not).
        cni_role = self._irsa_role(f"{name}-vpc-cni", oidc, issuer, "kube-system", VPC_CNI_SERVICE_ACCOUNT)
        cni_policy = aws.iam.RolePolicyAttachment(
            f"{name}-vpc-cni",
            role=cni_role.name,
            policy_arn=pulumi.Output.concat("arn:", args.aws.partition, ":iam::aws:policy/AmazonEKS_CNI_Policy"),
            opts=child,
        )
        cni_settings: dict[str, object] = {"enableNetworkPolicy": "true"}  # the policy agent enforces them
        if args.spec.pod_security_groups:
            cni_settings.update(
                {
                    # Branch ENIs for pods a SecurityGroupPolicy selects; "standard" keeps NetworkPolicies,
                    # kube-proxy Services and kubelet probes working for those pods.
                    "env": {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"},
                    "init": {"env": {"DISABLE_TCP_EARLY_DEMUX": "true"}},  # kubelet probes reach branch ENIs
                }
            )

        def addon(
            addon_name: str,
            after: Sequence[pulumi.Resource],
            configuration_values: str | None = None,
            service_account_role_arn: pulumi.Input[str] | None = None,
        ) -> aws.eks.Addon:
            return aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=cluster.name,
                addon_name=addon_name,
                configuration_values=configuration_values,
                service_account_role_arn=service_account_role_arn,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
            )

        return [
            # Network policies are enforced by the VPC CNI's policy agent.
            addon(
                "vpc-cni",
                [cni_policy, *self._pod_eni_policy],
                configuration_values=json.dumps(cni_settings, sort_keys=True),
                service_account_role_arn=cni_role.arn,
            ),
            addon("kube-proxy", []),
            addon("coredns", [node_group]),
            addon("aws-ebs-csi-driver", [node_group], service_account_role_arn=ebs_role.arn),
        ]
