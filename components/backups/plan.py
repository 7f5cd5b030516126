"""AWS Backup for the platform's data: the vaults, the daily plan with its cross-region copy, what it
selects, the role it runs as, and a restore testing plan that measures restores continuously.

- a vault in each region, encrypted with that region's backup key; in prod a vault lock whose minimum
  retention is the retention (nobody, the account's root included, deletes a recovery point earlier);
- one rule: daily at the configured schedule (``cron(0 2 * * ? *)``, UTC), kept ``retentionDays``,
  with continuous backup (point-in-time recovery for RDS and S3: the incremental part, a recovery point
  within minutes of any moment, which is how the RPO of 1 hour holds between daily snapshots), and a
  copy of every recovery point to the backup region's vault, kept as long;
- selections by tag: every resource tagged with ``selection_tags`` (the databases and the backup
  buckets), and the EBS volumes the CSI driver creates for Prometheus (tagged by it with their claim's
  namespace);
- restore testing (where config enables it): the newest recovery point of PostgreSQL and DocumentDB is
  restored on a schedule into an isolated security group, validated, and deleted after
  ``keepHours``; AWS records how long each restore took, the measured RTO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_aws import Provider as AwsProvider

from infra import iam
from infra.aws_context import AwsContext
from infra.config.backups import BackupsConfig
from infra.config.workloads import ProtectionConfig

# The tag the EBS CSI driver puts on a volume it creates for a claim (its namespace).
PVC_NAMESPACE_TAG = "kubernetes.io/created-for/pvc/namespace"
SERVICE_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


@dataclass(frozen=True)
class BackupPlanArgs:
    spec: BackupsConfig
    name_prefix: str
    aws: AwsContext
    replica_provider: AwsProvider  # the backup region's (the primary comes through opts)
    key_arn: pulumi.Input[str]  # the primary region's backup key
    replica_key_arn: pulumi.Input[str]  # the backup region's
    selection_tags: Mapping[str, str]
    protection: ProtectionConfig
    volume_namespaces: tuple[str, ...] = ("monitoring",)  # whose EBS volumes are backed up
    # Where restore tests put their copies: the VPC (for an isolated security group) and, per datastore
    # (postgres, documentdb), the subnet group to restore into.
    restore_vpc_id: pulumi.Input[str] | None = None
    restore_subnet_groups: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Resources without continuous backup (name -> ARN): an hourly snapshot, copied to the backup region.
    hourly_resources: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # RDS instances (name -> ARN) whose automated backups are replicated to the backup region as well:
    # point-in-time recovery there too, minutes behind the primary.
    replicated_instances: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


class BackupPlan(pulumi.ComponentResource):
    vault_arn: pulumi.Output[str]
    replica_vault_arn: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupPlanArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:backups:BackupPlan", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        in_replica = pulumi.ResourceOptions(parent=self, provider=args.replica_provider)
        protect = pulumi.ResourceOptions(protect=args.protection.protect)
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=f"{args.name_prefix}-backups",
            kms_key_arn=args.key_arn,
            opts=pulumi.ResourceOptions.merge(child, protect),
        )
        replica_vault = aws.backup.Vault(
            f"{name}-replica-vault",
            name=f"{args.name_prefix}-backups-copies",
            kms_key_arn=args.replica_key_arn,
            opts=pulumi.ResourceOptions.merge(in_replica, protect),
        )
        if spec.vault_lock:
            for suffix, target, where in (("vault", vault, child), ("replica-vault", replica_vault, in_replica)):
                aws.backup.VaultLockConfiguration(
                    f"{name}-{suffix}-lock",
                    backup_vault_name=target.name,
                    min_retention_days=spec.retention_days,
                    max_retention_days=max(spec.retention_days, 35) + 365,
                    changeable_for_days=3,  # a grace period to undo a mistake; then immutable
                    opts=where,
                )

        role = aws.iam.Role(
            f"{name}-role",
            description=f"AWS Backup for {args.name_prefix}: backups, copies, restores and restore tests",
            assume_role_policy=iam.service_assume_role(args.aws, "backup"),
            opts=child,
        )
        for policy in SERVICE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=pulumi.Output.concat("arn:", args.aws.partition, ":iam::aws:policy/", policy),
                opts=child,
            )
        copy = aws.backup.PlanRuleCopyActionArgs(
            destination_vault_arn=replica_vault.arn,
            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=spec.retention_days),
        )
        plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-daily",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily-with-continuous",
                    target_vault_name=vault.name,
                    schedule=spec.schedule,
                    schedule_expression_timezone="Etc/UTC",
                    start_window=spec.start_window_minutes,
                    completion_window=spec.completion_window_minutes,
                    enable_continuous_backup=spec.continuous_backup,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=spec.retention_days),
                    copy_actions=[copy],
                    recovery_point_tags={"platform:backup-plan": f"{args.name_prefix}-daily"},
                )
            ],
            opts=child,
        )
        aws.backup.Selection(
            f"{name}-tagged",
            name=f"{args.name_prefix}-tagged",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[
                aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key=key, value=value)
                for key, value in sorted(args.selection_tags.items())
            ],
            opts=child,
        )
        if args.volume_namespaces:
            aws.backup.Selection(
                f"{name}-volumes",
                name=f"{args.name_prefix}-volumes",
                plan_id=plan.id,
                iam_role_arn=role.arn,
                resources=[pulumi.Output.concat("arn:", args.aws.partition, ":ec2:*:*:volume/*")],
                conditions=[
                    aws.backup.SelectionConditionArgs(
                        string_equals=[
                            aws.backup.SelectionConditionStringEqualArgs(
                                key=f"aws:ResourceTag/{PVC_NAMESPACE_TAG}", value=namespace
                            )
                            for namespace in args.volume_namespaces
                        ]
                    )
                ],
                opts=child,
            )
        if args.hourly_resources:
            self._hourly(name, args, vault, replica_vault, role)
        if spec.restore_testing.enabled:
            self._restore_testing(name, args, vault, role)
        for label, instance_arn in sorted(args.replicated_instances.items()):
            aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-{label}-pitr-copy",
                source_db_instance_arn=instance_arn,
                kms_key_id=args.replica_key_arn,
                retention_period=min(spec.retention_days, 35),
                opts=in_replica,
            )

        self.vault_arn = vault.arn
        self.replica_vault_arn = replica_vault.arn
        self.plan_id = plan.id
        self.role_arn = role.arn
        self.register_outputs(
            {
                "vault_arn": self.vault_arn,
                "replica_vault_arn": self.replica_vault_arn,
                "plan_id": self.plan_id,
                "role_arn": self.role_arn,
            }
        )

    def _hourly(
        self,
        name: str,
        args: BackupPlanArgs,
        vault: aws.backup.Vault,
        replica_vault: aws.backup.Vault,
        role: aws.iam.Role,
    ) -> None:
        """Every hour a snapshot of what has no continuous backup, copied to the backup region: a recovery
        point there at most an hour (plus the copy) old."""
        child = pulumi.ResourceOptions(parent=self)
        days = args.spec.hourly_retention_days
        plan = aws.backup.Plan(
            f"{name}-hourly",
            name=f"{args.name_prefix}-hourly",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="hourly-copied",
                    target_vault_name=vault.name,
                    schedule="cron(0 * * * ? *)",
                    schedule_expression_timezone="Etc/UTC",
                    start_window=60,
                    completion_window=180,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=days),
                    copy_actions=[
                        aws.backup.PlanRuleCopyActionArgs(
                            destination_vault_arn=replica_vault.arn,
                            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=days),
                        )
                    ],
                    recovery_point_tags={"platform:backup-plan": f"{args.name_prefix}-hourly"},
                )
            ],
            opts=child,
        )
        aws.backup.Selection(
            f"{name}-hourly",
            name=f"{args.name_prefix}-hourly",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[args.hourly_resources[key] for key in sorted(args.hourly_resources)],
            opts=child,
        )

    def _restore_testing(self, name: str, args: BackupPlanArgs, vault: aws.backup.Vault, role: aws.iam.Role) -> None:
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec.restore_testing
        overrides: dict[str, pulumi.Input[str]] = {}
        if args.restore_vpc_id is not None:
            # A security group that admits nothing: the restored copy takes no traffic.
            isolated = aws.ec2.SecurityGroup(
                f"{name}-restore-tests",
                vpc_id=args.restore_vpc_id,
                description="Restore tests: copies restored here are reachable by nothing",
                ingress=[],
                egress=[],
                opts=child,
            )
            overrides["vpcSecurityGroupIds"] = isolated.id.apply(lambda i: f'["{i}"]')
        test_plan = aws.backup.RestoreTestingPlan(
            f"{name}-restore-testing",
            name=f"{args.name_prefix.replace('-', '_')}_restore_testing",
            schedule_expression=spec.schedule,
            schedule_expression_timezone="Etc/UTC",
            start_window_hours=1,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[vault.arn],
                recovery_point_types=["SNAPSHOT", "CONTINUOUS"],
                selection_window_days=7,
            ),
            opts=child,
        )
        for resource_type, label in (("RDS", "postgres"), ("DocumentDB", "documentdb")):
            aws.backup.RestoreTestingSelection(
                f"{name}-restore-testing-{label}",
                name=f"{label}_restore_test",
                restore_testing_plan_name=test_plan.name,
                protected_resource_type=resource_type,
                iam_role_arn=role.arn,
                protected_resource_conditions=aws.backup.RestoreTestingSelectionProtectedResourceConditionsArgs(
                    string_equals=[
                        aws.backup.RestoreTestingSelectionProtectedResourceConditionsStringEqualArgs(
                            key=f"aws:ResourceTag/{key}", value=value
                        )
                        for key, value in sorted(args.selection_tags.items())
                    ]
                ),
                restore_metadata_overrides=_with_subnet_group(overrides, args.restore_subnet_groups.get(label)),
                validation_window_hours=spec.keep_hours,
                opts=child,
            )


def _with_subnet_group(
    overrides: Mapping[str, pulumi.Input[str]], subnet_group: pulumi.Input[str] | None
) -> dict[str, pulumi.Input[str]] | None:
    result = dict(overrides)
    if subnet_group is not None:
        result["dbSubnetGroupName"] = subnet_group
    return result or None
