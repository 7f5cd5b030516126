"""A plan's AWS resources as a Terraform plan (``terraform show -json`` shape), for scanners that read
Terraform plans (checkov's ``terraform_plan`` framework and the like).

pulumi-aws is a bridge over the Terraform AWS provider, so each Pulumi type is one Terraform type and
its inputs are the Terraform arguments, renamed: camelCase for snake_case, a block of at most one item
flattened to an object, a repeated block's singular name made plural (``rules`` for ``rule``). The
export undoes that: ``planned_values.root_module.resources[]`` holds each resource with its Terraform
``type``, an ``address`` ``<type>.<name>`` and its ``values`` in snake_case with every nested block a
list of objects; ``configuration.root_module.resources[]`` holds, from the plan's
``propertyDependencies``, which argument refers to which other resource (``expressions.<arg>.
references``), which is how a scanner connects a bucket to its versioning, encryption or public
access block resources. Pure Python: no Terraform, no provider.

A Pulumi type without a known Terraform type is not exported and is listed in ``unmapped``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.check_input import ARCHIVE_SIG, ASSET_SIG, SIG_KEY, _reveal

TERRAFORM_VERSION = "1.9.8"  # the plan format written is 1.2, which Terraform 1.3 and later write
PROVIDER = "registry.terraform.io/hashicorp/aws"

# Pulumi type -> Terraform type, for every AWS type the platform's plans hold (pulumi-aws 7).
TERRAFORM_TYPES: dict[str, str] = {
    "aws:acm/certificate:Certificate": "aws_acm_certificate",
    "aws:acm/certificateValidation:CertificateValidation": "aws_acm_certificate_validation",
    "aws:autoscaling/attachment:Attachment": "aws_autoscaling_attachment",
    "aws:backup/plan:Plan": "aws_backup_plan",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "aws_backup_restore_testing_plan",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": "aws_backup_restore_testing_selection",
    "aws:backup/selection:Selection": "aws_backup_selection",
    "aws:backup/vault:Vault": "aws_backup_vault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "aws_backup_vault_lock_configuration",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "aws_cloudwatch_log_resource_policy",
    "aws:docdb/cluster:Cluster": "aws_docdb_cluster",
    "aws:docdb/clusterInstance:ClusterInstance": "aws_docdb_cluster_instance",
    "aws:docdb/clusterParameterGroup:ClusterParameterGroup": "aws_docdb_cluster_parameter_group",
    "aws:docdb/subnetGroup:SubnetGroup": "aws_docdb_subnet_group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/networkInterface:NetworkInterface": "aws_network_interface",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "aws_ecr_lifecycle_policy",
    "aws:ecr/repository:Repository": "aws_ecr_repository",
    "aws:eks/accessEntry:AccessEntry": "aws_eks_access_entry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "aws_eks_access_policy_association",
    "aws:eks/addon:Addon": "aws_eks_addon",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:elasticache/subnetGroup:SubnetGroup": "aws_elasticache_subnet_group",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:lambda/function:Function": "aws_lambda_function",
    "aws:lambda/invocation:Invocation": "aws_lambda_invocation",
    "aws:lambda/permission:Permission": "aws_lambda_permission",
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "aws:mq/broker:Broker": "aws_mq_broker",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
        "aws_db_instance_automated_backups_replication"
    ),
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:route53/record:Record": "aws_route53_record",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketNotification:BucketNotification": "aws_s3_bucket_notification",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "aws_s3_bucket_object_lock_configuration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:scheduler/schedule:Schedule": "aws_scheduler_schedule",
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:secretsmanager/secretRotation:SecretRotation": "aws_secretsmanager_secret_rotation",
    "aws:secretsmanager/secretVersion:SecretVersion": "aws_secretsmanager_secret_version",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "aws:wafv2/webAcl:WebAcl": "aws_wafv2_web_acl",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "aws_wafv2_web_acl_association",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "aws_wafv2_web_acl_logging_configuration",
}

# Pulumi's plural names of repeated blocks, back to Terraform's (per Terraform type; "*" for any),
# as pulumi-aws names them. Keys are the snake_case of the Pulumi name.
PLURAL_BLOCKS: dict[str, dict[str, str]] = {
    "aws_s3_bucket_lifecycle_configuration": {"rules": "rule"},
    "aws_s3_bucket_server_side_encryption_configuration": {"rules": "rule"},
    "aws_s3_bucket_replication_configuration": {"rules": "rule"},
    "aws_backup_plan": {
        "rules": "rule",
        "copy_actions": "copy_action",
        "advanced_backup_settings": "advanced_backup_setting",
    },
    "aws_backup_selection": {"selection_tags": "selection_tag"},
    "aws_wafv2_web_acl": {"rules": "rule", "custom_response_bodies": "custom_response_body"},
    "aws_lb_listener": {"default_actions": "default_action"},
    "aws_lb": {"subnet_mappings": "subnet_mapping"},
    "aws_ecr_repository": {"encryption_configurations": "encryption_configuration"},
    "aws_db_parameter_group": {"parameters": "parameter"},
    "aws_docdb_cluster_parameter_group": {"parameters": "parameter"},
    "aws_mq_broker": {"users": "user"},
    "aws_iam_openid_connect_provider": {"client_id_lists": "client_id_list", "thumbprint_lists": "thumbprint_list"},
    "aws_elasticache_replication_group": {"log_delivery_configurations": "log_delivery_configuration"},
    "aws_s3_bucket_notification": {"lambda_functions": "lambda_function", "queues": "queue", "topics": "topic"},
}

# Arguments that are maps (attribute of type map), not blocks: kept as objects, their keys as written.
MAP_ARGUMENTS = frozenset(
    {"tags", "tags_all", "labels", "variables", "recovery_point_tags", "triggers", "restore_metadata_overrides"}
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NAME = re.compile(r"[^A-Za-z0-9_-]")


def snake(name: str) -> str:
    """``kmsKeyId`` -> ``kms_key_id``, ``cidrIpv4`` -> ``cidr_ipv4``, ``multiAz`` -> ``multi_az``."""
    return _CAMEL.sub("_", name).lower()


@dataclass
class Export:
    """The Terraform plan document, which Pulumi resource each address stands for, and what was not exported."""

    document: dict[str, Any]
    addresses: dict[str, str] = field(default_factory=dict)  # Terraform address -> Pulumi URN
    unmapped: dict[str, int] = field(default_factory=dict)  # AWS Pulumi type without a Terraform type -> count

    @property
    def resource_count(self) -> int:
        return len(self.addresses)


def _is_asset(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) in (ASSET_SIG, ARCHIVE_SIG)


def _values(value: Any, tf_type: str, key: str | None = None) -> Any:
    """Pulumi input values in Terraform's shape: snake_case keys, each object a one-item block list,
    except maps (``MAP_ARGUMENTS``) whose keys are data."""
    if isinstance(value, list):
        return [_values(item, tf_type) for item in value if not _is_asset(item)]
    if not isinstance(value, dict):
        return value
    if key in MAP_ARGUMENTS:
        return dict(value)
    renames = PLURAL_BLOCKS.get(tf_type, {})
    block: dict[str, Any] = {}
    for name, item in value.items():
        if _is_asset(item):
            continue
        tf_name = snake(name)
        tf_name = renames.get(tf_name, tf_name)
        converted = _values(item, tf_type, tf_name)
        if isinstance(item, dict) and tf_name not in MAP_ARGUMENTS:
            converted = [converted]
        block[tf_name] = converted
    return block


def _logical_name(urn: str) -> str:
    name = _NAME.sub("_", urn.rsplit("::", 1)[-1]) or "resource"
    return name if name[0].isalpha() or name[0] == "_" else f"_{name}"


def export(resources: Sequence[Mapping[str, Any]]) -> Export:
    """The Terraform plan of ``resources`` (a plan.json's or a stack export's)."""
    chosen: list[tuple[Mapping[str, Any], str, str]] = []
    address_of: dict[str, str] = {}
    taken: set[str] = set()
    unmapped: dict[str, int] = {}
    for resource in resources:
        pulumi_type = str(resource.get("type", ""))
        if not pulumi_type.startswith("aws:") or not resource.get("custom", True):
            continue
        tf_type = TERRAFORM_TYPES.get(pulumi_type)
        if tf_type is None:
            unmapped[pulumi_type] = unmapped.get(pulumi_type, 0) + 1
            continue
        base = _logical_name(str(resource["urn"]))
        name, n = base, 1
        while f"{tf_type}.{name}" in taken:
            n += 1
            name = f"{base}_{n}"
        address = f"{tf_type}.{name}"
        taken.add(address)
        address_of[str(resource["urn"])] = address
        chosen.append((resource, tf_type, name))

    planned: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    for resource, tf_type, name in chosen:
        urn = str(resource["urn"])
        inputs = {k: _reveal(v, f"{urn}: inputs.{k}") for k, v in dict(resource.get("inputs") or {}).items()}
        values = _values(inputs, tf_type)
        renames = PLURAL_BLOCKS.get(tf_type, {})
        expressions: dict[str, Any] = {}
        for prop, urns in sorted(dict(resource.get("propertyDependencies") or {}).items()):
            targets = sorted({address_of[u] for u in urns if u in address_of})
            if targets:
                tf_name = renames.get(snake(prop), snake(prop))
                expressions[tf_name] = {"references": [ref for t in targets for ref in (f"{t}.id", t)]}
        address = f"{tf_type}.{name}"
        planned.append(
            {"address": address, "mode": "managed", "type": tf_type, "name": name, "provider_name": PROVIDER,
             "schema_version": 0, "values": values, "sensitive_values": {}}
        )  # fmt: skip
        configured.append(
            {"address": address, "mode": "managed", "type": tf_type, "name": name, "provider_config_key": "aws",
             "expressions": expressions, "schema_version": 0}
        )  # fmt: skip
    document = {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": [
            {
                "address": r["address"],
                "mode": "managed",
                "type": r["type"],
                "name": r["name"],
                "provider_name": PROVIDER,
                "change": {"actions": ["create"], "before": None, "after": r["values"], "after_unknown": {}},
            }
            for r in planned
        ],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER}},
            "root_module": {"resources": configured},
        },
    }
    addresses = {address: urn for urn, address in address_of.items()}
    return Export(document, addresses, dict(sorted(unmapped.items())))
