"""Workloads and protection (``platform:workloads``, ``platform:protection``).

The defaults every workload of the platform starts from (its pod's requests and limits, inside the
system's per-pod range), and how hard stateful resources are to lose.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, model_validator

from infra.config.base import Environment, _Model
from infra.quantities import cpu_millis, memory_bytes

# The system's per-pod resource range.
POD_CPU_MIN_MILLIS = 500
POD_CPU_MAX_MILLIS = 2000
POD_MEMORY_MIN_BYTES = 512 * 2**20
POD_MEMORY_MAX_BYTES = 2 * 2**30


def _cpu(value: str) -> str:
    millis = cpu_millis(value)
    if not POD_CPU_MIN_MILLIS <= millis <= POD_CPU_MAX_MILLIS:
        raise ValueError(f"{value} is outside the per-pod CPU range 500m to 2000m")
    return value


def _memory(value: str) -> str:
    size = memory_bytes(value)
    if not POD_MEMORY_MIN_BYTES <= size <= POD_MEMORY_MAX_BYTES:
        raise ValueError(f"{value} is outside the per-pod memory range 512Mi to 2Gi")
    return value


CpuQuantity = Annotated[str, AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]


class ResourceAmounts(_Model):
    cpu: CpuQuantity
    memory: MemoryQuantity


class PodResources(_Model):
    """Requests and limits of a pod's container, inside the system's range (CPU 500m-2000m, memory 512Mi-2Gi)."""

    requests: ResourceAmounts = ResourceAmounts(cpu="500m", memory="512Mi")
    limits: ResourceAmounts = ResourceAmounts(cpu="2000m", memory="2Gi")

    @model_validator(mode="after")
    def _ordered(self) -> PodResources:
        if cpu_millis(self.requests.cpu) > cpu_millis(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        if memory_bytes(self.requests.memory) > memory_bytes(self.limits.memory):
            raise ValueError(f"requests.memory {self.requests.memory} exceeds limits.memory {self.limits.memory}")
        return self


class WorkloadsConfig(_Model):
    """Defaults every workload of the platform starts from."""

    resources: PodResources = PodResources()


class ProtectionConfig(_Model):
    """How hard stateful resources are to lose. Prod: everything on; dev may relax it by config."""

    protect: bool = True
    deletion_protection: bool = True


# ``platform:protection`` per environment, unless the stack file says otherwise (``platform:workloads``
# has no tier defaults: every environment starts from the models' defaults).
PROTECTION_TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {"protect": False, "deletionProtection": False},
    Environment.STAGING: {"protect": True, "deletionProtection": True},
    Environment.PROD: {"protect": True, "deletionProtection": True},
}
