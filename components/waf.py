"""The public ALB's web application firewall (WAFv2), part of the ingress component."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.parts import encrypted_log_group
from infra.config.edge import WAF_MANAGED_RULE_GROUPS

if TYPE_CHECKING:
    from components.ingress import IngressArgs

AWS_MANAGED_RULE_GROUPS = WAF_MANAGED_RULE_GROUPS


def web_acl(parent: pulumi.Resource, name: str, args: IngressArgs, alb: aws.lb.LoadBalancer) -> aws.wafv2.WebAcl:
    """The WAF in front of the public ALB: AWS managed rule groups (each blocking, or counting where
    ``wafCountOnly`` names it), a per-IP rate limit, and its logs in a KMS-encrypted log group with
    token headers redacted."""
    child = pulumi.ResourceOptions(parent=parent)

    def visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
        return aws.wafv2.WebAclRuleVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
        )

    rules = [
        aws.wafv2.WebAclRuleArgs(
            name=group,
            priority=i,
            override_action=(
                aws.wafv2.WebAclRuleOverrideActionArgs(count=aws.wafv2.WebAclRuleOverrideActionCountArgs())
                if group in args.spec.waf_count_only
                else aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs())
            ),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    vendor_name="AWS", name=group
                )
            ),
            visibility_config=visibility(group),
        )
        for i, group in enumerate(AWS_MANAGED_RULE_GROUPS)
    ]
    rules.append(
        aws.wafv2.WebAclRuleArgs(
            name="rate-limit-per-ip",
            priority=len(rules),
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    aggregate_key_type="IP", limit=args.spec.waf_rate_limit, evaluation_window_sec=300
                )
            ),
            visibility_config=visibility("rate-limit-per-ip"),
        )
    )
    acl = aws.wafv2.WebAcl(
        f"{name}-waf",
        name=f"{args.name_prefix}-edge",
        description="Public ALB: AWS managed rule groups and a per-IP rate limit",
        scope="REGIONAL",
        default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
        rules=rules,
        visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, metric_name=f"{args.name_prefix}-edge", sampled_requests_enabled=True
        ),
        opts=child,
    )
    aws.wafv2.WebAclAssociation(f"{name}-waf", resource_arn=alb.arn, web_acl_arn=acl.arn, opts=child)

    # WAF logs: a KMS-encrypted log group whose name WAF requires to start with aws-waf-logs-.
    group_name = f"aws-waf-logs-{args.name_prefix}-edge"
    group = encrypted_log_group(
        f"{name}-waf-logs",
        group_name,
        f"WAF logs of {args.name_prefix}",
        args.aws,
        args.spec.waf_log_retention_days,
        parent,
        args.protection.protect,
    )
    aws.wafv2.WebAclLoggingConfiguration(
        f"{name}-waf-logs",
        resource_arn=acl.arn,
        log_destination_configs=[group.arn],
        # Bearer tokens and cookies never reach the logs.
        redacted_fields=[
            aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
            )
            for header in ("authorization", "cookie")
        ],
        opts=child,
    )
    return acl
