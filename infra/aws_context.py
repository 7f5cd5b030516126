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

    def service_principal(self, service: str) -> str:
        return f"{service}.{self.dns_suffix}"
