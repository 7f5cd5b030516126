"""The network (``platform:network``): the VPC, its subnets in three tiers, NAT, endpoints and flow logs.

Subnet CIDRs are derived from the VPC block unless the stack gives all three lists; nodes in the
private subnets reach AWS through the interface endpoints (S3 is a gateway endpoint, always created).
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from infra.config.aws import PRIVATE_V4
from infra.config.base import Cidr, Environment, RetentionDays, _KeyedError, _Model

# Interface endpoints that nodes in private subnets use (image pulls, IRSA, logs, load balancers,
# the cluster autoscaler). S3 is a gateway endpoint and is always created.
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "logs",
    "elasticloadbalancing",
    "autoscaling",
    "kms",  # the token issuer signs with KMS; datastores' and volumes' keys are used through it too
)

_ENDPOINT_SERVICE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")


class NatStrategy(StrEnum):
    """``single``: one NAT gateway for the VPC (cheap, one AZ is a point of failure);
    ``onePerAz``: one per availability zone, each private route table uses its own zone's;
    ``instance``: one NAT instance (an EC2 instance that masquerades the private subnets' traffic) in
    place of a gateway: a tenth of the cost, one instance's bandwidth, a point of failure that EC2's
    automatic recovery restarts. Not for prod."""

    SINGLE = "single"
    ONE_PER_AZ = "onePerAz"
    INSTANCE = "instance"


# Graviton types: the NAT instance boots Amazon Linux 2023 for arm64.
_NAT_INSTANCE_TYPE = re.compile(r"^(t4g|c6g|c6gn|c7g|c7gn|m6g|m7g)\.(nano|micro|small|medium|large|xlarge)$")


class NatInstanceConfig(_Model):
    """The NAT instance of ``natGateways: instance``."""

    # t4g.micro: a baseline of about 64 Mbit/s with bursts up to 5 Gbit/s, enough for a dev cluster's
    # image pulls and API calls; t4g.nano halves the cost and the baseline.
    instance_type: str = "t4g.micro"
    root_volume_gb: int = Field(8, ge=8, le=64, description="the root volume, GB (8 to 64)")

    @field_validator("instance_type")
    @classmethod
    def _graviton(cls, value: str) -> str:
        if not _NAT_INSTANCE_TYPE.match(value):
            raise ValueError(
                f"{value!r} is not a Graviton type up to xlarge of t4g, c6g, c6gn, c7g, c7gn, m6g or m7g "
                "(the NAT instance runs Amazon Linux 2023 for arm64), e.g. t4g.micro"
            )
        return value


class FlowLogsConfig(_Model):
    retention_days: RetentionDays = 365
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"


class NetworkConfig(_Model):
    """The VPC. Subnet CIDRs are derived from ``cidr`` unless given explicitly (all three lists)."""

    cidr: Cidr = "10.0.0.0/16"
    availability_zones: int = Field(3, ge=2, le=6, description="how many AZs the VPC spans (2 to 6)")
    zone_names: tuple[str, ...] | None = None
    nat_gateways: NatStrategy = NatStrategy.ONE_PER_AZ
    nat_instance: NatInstanceConfig = NatInstanceConfig()
    public_subnet_cidrs: tuple[Cidr, ...] | None = None
    private_subnet_cidrs: tuple[Cidr, ...] | None = None
    data_subnet_cidrs: tuple[Cidr, ...] | None = None
    interface_endpoints: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS
    # How many zones hold the interface endpoints' network interfaces (the first N private subnets); None:
    # every zone. Fewer zones cost less (each endpoint is billed per zone) at the price of cross-zone
    # traffic and of AWS APIs unreachable from the whole VPC while that zone is down (private DNS names
    # the endpoint's interfaces only, so nothing falls back to the NAT gateway).
    endpoint_zones: int | None = Field(None, ge=1, le=6, description="zones with interface endpoints (1 to 6)")
    flow_logs: FlowLogsConfig = FlowLogsConfig()

    @field_validator("cidr")
    @classmethod
    def _vpc_size(cls, value: str) -> str:
        network = ipaddress.IPv4Network(value)
        if not any(network.subnet_of(private) for private in PRIVATE_V4):
            raise ValueError(
                f"{value} is not a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)"
            )
        prefix = network.prefixlen
        if not 16 <= prefix <= 21:
            raise ValueError(f"{value} has prefix /{prefix}; allowed: /16 to /21 (subnets need room in 3 tiers)")
        return value

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoint_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not _ENDPOINT_SERVICE.match(name) or name == "s3":
                raise ValueError(
                    f"{name!r} is not an interface endpoint service suffix like 'ecr.api' (s3 is a gateway endpoint)"
                )
        if len(set(value)) != len(value):
            raise ValueError("interface endpoints are listed twice")
        return value

    @model_validator(mode="after")
    def _subnets(self) -> NetworkConfig:
        if self.endpoint_zones is not None and self.endpoint_zones > self.availability_zones:
            raise _KeyedError(
                "endpointZones",
                f"{self.endpoint_zones} zones asked for the interface endpoints but the VPC spans "
                f"{self.availability_zones} (availabilityZones); allowed: 1 to {self.availability_zones}",
            )
        if self.zone_names is not None and len(self.zone_names) != self.availability_zones:
            raise _KeyedError(
                "zoneNames",
                f"zoneNames lists {len(self.zone_names)} zones but availabilityZones is {self.availability_zones}",
            )
        explicit = {
            "publicSubnetCidrs": self.public_subnet_cidrs,
            "privateSubnetCidrs": self.private_subnet_cidrs,
            "dataSubnetCidrs": self.data_subnet_cidrs,
        }
        given = [k for k, v in explicit.items() if v is not None]
        if given and len(given) != 3:
            missing = next(k for k in explicit if k not in given)
            raise _KeyedError(missing, "give all of publicSubnetCidrs, privateSubnetCidrs and dataSubnetCidrs, or none")
        if not given:
            return self
        vpc = ipaddress.IPv4Network(self.cidr)
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for key, cidrs in explicit.items():
            assert cidrs is not None
            if len(cidrs) != self.availability_zones:
                raise _KeyedError(key, f"{len(cidrs)} blocks given; one per AZ ({self.availability_zones}) is needed")
            for text in cidrs:
                net = ipaddress.IPv4Network(text)
                if not net.subnet_of(vpc):
                    raise _KeyedError(key, f"{net} is outside the VPC block {vpc}")
                if net.prefixlen > 28:
                    raise _KeyedError(key, f"{net} is smaller than /28, the smallest AWS subnet")
                for other_key, other in seen:
                    if net.overlaps(other):
                        raise _KeyedError(key, f"{net} overlaps {other} of {other_key}")
                seen.append((key, net))
        return self


# ``platform:network`` per environment, unless the stack file says otherwise.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    # dev: a NAT instance in place of a gateway (about $31 a month less; components/nat_instance.py); the
    # endpoints in one zone, and only those that pods reach without a way to the internet (STS for
    # IRSA, KMS for the services' data keys and the token issuer); the rest of the AWS APIs (image pulls,
    # EC2, Auto Scaling, ...) go through the NAT instance (docs/insights.md: what it costs, what it trades).
    Environment.DEV: {
        "availabilityZones": 2,
        "natGateways": "instance",
        "flowLogs": {"retentionDays": 30},
        "interfaceEndpoints": ["sts", "kms"],
        "endpointZones": 1,
    },
    Environment.STAGING: {"availabilityZones": 3, "natGateways": "single", "flowLogs": {"retentionDays": 90}},
    Environment.PROD: {"availabilityZones": 3, "natGateways": "onePerAz", "flowLogs": {"retentionDays": 365}},
}
