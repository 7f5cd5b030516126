"""What every mock answer is built from: the placeholder account, the partition, deterministic digests,
region codes."""

from __future__ import annotations

import hashlib

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
DEFAULT_REGION = "us-east-1"
# Route 53 zone ids of Application Load Balancers per region (ELB endpoints and quotas page).
ALB_HOSTED_ZONE_IDS = {"us-east-1": "Z35SXDOTRQ7X7K", "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2"}


_DIRECTIONS = {"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw", "central": "c"}


def region_code(region: str) -> str:
    """AWS's short form of a region in zone ids and ElastiCache endpoints: ``us-west-2`` -> ``usw2``,
    ``ap-southeast-2`` -> ``apse2``."""
    area, direction, number = region.rsplit("-", 2) if region.count("-") >= 2 else (region, "", "")
    return f"{area.replace('-gov', 'g').replace('-', '')}{_DIRECTIONS.get(direction, direction[:1])}{number}"


def digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]
