"""What components need to know about the AWS account they build in, handed to them in their Args."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class AwsContext:
    """Account, partition and region of a provider. Looked up once in ``stacks/``, never in components."""

    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: str
    dns_suffix: str = "amazonaws.com"
    # The IAM roles that administer the account's KMS keys (``platform:cluster.adminRoleArns``); none: the
    # account administers them through IAM (management actions only, never their use).
    key_administrators: tuple[str, ...] = ()

    def service_principal(self, service: str) -> str:
        return f"{service}.{self.dns_suffix}"

    def secret_arn_pattern(self, name: str) -> pulumi.Output[str]:
        """The ARN of the Secrets Manager secret ``name`` made outside this program, for IAM: Secrets
        Manager appends ``-`` and six random characters to the name."""
        return pulumi.Output.format(
            "arn:{0}:secretsmanager:{1}:{2}:secret:{3}-??????", self.partition, self.region, self.account_id, name
        )
