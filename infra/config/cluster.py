"""The cluster (``platform:cluster``): EKS, its Kubernetes version, API access and the managed node group.

The node group holds the system's workers (at least two); the master is EKS's control plane.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from infra.config.aws import public_addresses, world_like
from infra.config.base import Cidr, Environment, RetentionDays, _KeyedError, _Model

# EKS versions this platform is built and tested for (standard or extended support on EKS when the
# pinned pulumi-aws was released); keep in step with the EKS Kubernetes versions page. The offline
# schema validation of manifests uses the same list.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|\d*xlarge|metal)$")


def _is_arm(instance_type: str) -> bool:
    """Graviton families carry a ``g`` right after the generation digit (m7g, c6gn, t4g, r8gd)."""
    family = instance_type.split(".", 1)[0]
    return bool(re.match(r"^[a-z]+\d+g", family)) and not family.startswith(("g", "p", "inf", "trn", "dl"))


class NodeGroupConfig(_Model):
    """The managed node group of workers (the system's 2 workers; the master is EKS's control plane)."""

    instance_types: tuple[str, ...] = ("m6i.large",)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    min_size: int = Field(2, ge=2, le=100, description="at least the system's 2 workers")
    desired_size: int = Field(2, ge=2, le=100)
    max_size: int = Field(6, ge=2, le=100)
    disk_size_gib: int = Field(50, ge=20, le=1000)

    @field_validator("instance_types")
    @classmethod
    def _types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one instance type is needed")
        for item in value:
            if not _INSTANCE_TYPE.match(item):
                raise ValueError(f"{item!r} is not an EC2 instance type like m6i.large")
        if len({_is_arm(t) for t in value}) > 1:
            raise ValueError("instance types mix Graviton (arm64) and x86_64; one node group runs one architecture")
        return value

    @property
    def ami_type(self) -> str:
        """The EKS-optimised Amazon Linux 2023 image for the instance types' architecture."""
        return "AL2023_ARM_64_STANDARD" if _is_arm(self.instance_types[0]) else "AL2023_x86_64_STANDARD"

    @model_validator(mode="after")
    def _spot(self) -> NodeGroupConfig:
        if self.capacity_type == "SPOT" and len(self.instance_types) < 2:
            raise _KeyedError(
                "instanceTypes",
                f"capacityType SPOT with {len(self.instance_types)} instance type: list at least 2 of one size "
                "(Spot capacity of a single type runs out), e.g. [m5.xlarge, m6a.xlarge]",
            )
        sizes = sorted({t.split(".", 1)[1] for t in self.instance_types})
        if len(sizes) > 1:
            raise _KeyedError(
                "instanceTypes",
                f"instance types of different sizes ({', '.join(sizes)}): the cluster autoscaler sizes new nodes "
                "after one type, so list types of one size",
            )
        return self

    @model_validator(mode="after")
    def _sizes(self) -> NodeGroupConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize <= desiredSize <= maxSize, got {self.min_size}, {self.desired_size}, {self.max_size}"
            )
        if self.max_size == self.min_size:
            raise ValueError(f"maxSize ({self.max_size}) must exceed minSize so the group can autoscale")
        return self


class ClusterConfig(_Model):
    kubernetes_version: str = "1.35"
    endpoint_public_access_cidrs: tuple[Cidr, ...] = ()
    service_cidr: Cidr = "172.20.0.0/16"
    node_group: NodeGroupConfig = NodeGroupConfig()
    log_retention_days: RetentionDays = 90
    admin_role_arns: tuple[str, ...] = ()
    # Pods that reach the datastores get the datastores' client security group (EKS security groups for
    # pods: trunk and branch ENIs) instead of sharing the cluster security group with every other pod.
    pod_security_groups: bool = False

    @property
    def creator_admin(self) -> bool:
        """The cluster creator keeps EKS's bootstrap cluster-admin only while no access entry names an
        administrator (the identity that runs ``pulumi up`` must be one of ``adminRoleArns``)."""
        return not self.admin_role_arns

    @model_validator(mode="after")
    def _trunk_capable(self) -> ClusterConfig:
        if self.pod_security_groups:
            burstable = [t for t in self.node_group.instance_types if re.match(r"^t\d", t)]
            if burstable:
                raise ValueError(
                    f"podSecurityGroups needs instance types with trunk ENIs; {', '.join(burstable)} (the t family) "
                    "has none: choose e.g. m6i.large or turn podSecurityGroups off"
                )
        return self

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f'{value!r} must be a quoted string like "1.35"')
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(f"{value!r} is not supported (allowed: {', '.join(SUPPORTED_KUBERNETES_VERSIONS)})")
        return value

    @field_validator("endpoint_public_access_cidrs")
    @classmethod
    def _no_world(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if world_like(value):
            raise ValueError(
                f"{', '.join(value)} together admit {public_addresses(value):,} public addresses (more than a /16 "
                "is treated as the internet); list your admin networks"
            )
        return value

    @field_validator("service_cidr")
    @classmethod
    def _service_cidr(cls, value: str) -> str:
        net = ipaddress.IPv4Network(value)
        if not (
            net.subnet_of(ipaddress.IPv4Network("10.0.0.0/8"))
            or net.subnet_of(ipaddress.IPv4Network("172.16.0.0/12"))
            or net.subnet_of(ipaddress.IPv4Network("192.168.0.0/16"))
        ):
            raise ValueError(f"{value} is not in an RFC 1918 range, as EKS requires")
        if not 12 <= net.prefixlen <= 24:
            raise ValueError(f"{value} has prefix /{net.prefixlen}; EKS allows /12 to /24")
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$", arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN")
        return value


# ``platform:cluster`` per environment, unless the stack file says otherwise.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    # dev: Spot, three x86_64 types of 4 vCPU / 16 GiB from three families (Spot capacity of one type in one
    # zone runs out); two such nodes hold what dev requests (docs/insights.md: the arithmetic).
    Environment.DEV: {
        "nodeGroup": {
            "minSize": 2,
            "desiredSize": 2,
            "maxSize": 4,
            "capacityType": "SPOT",
            "instanceTypes": ["m5.xlarge", "m6a.xlarge", "m7i-flex.xlarge"],
        },
        "logRetentionDays": 30,
    },
    Environment.STAGING: {
        "nodeGroup": {"minSize": 2, "desiredSize": 3, "maxSize": 6},
        "logRetentionDays": 90,
        "podSecurityGroups": True,
    },
    Environment.PROD: {
        "nodeGroup": {"minSize": 3, "desiredSize": 3, "maxSize": 10},
        "logRetentionDays": 365,
        "podSecurityGroups": True,
    },
}
