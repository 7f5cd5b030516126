"""Kubernetes resource quantities (CPU and memory), parsed exactly.

Kubernetes accepts ``500m``, ``0.5`` and ``2`` for CPU and ``512Mi``, ``2Gi``, ``1G`` or a plain byte
count for memory. Configuration is validated against the system's per-pod range, so both are turned
into integers (millicores, bytes) once, here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_CPU = re.compile(r"^(?P<num>\d+(\.\d+)?)(?P<unit>m?)$")
_MEM = re.compile(r"^(?P<num>\d+(\.\d+)?)(?P<unit>Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEM_FACTORS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def cpu_millis(quantity: str | int | float) -> int:
    """``"500m"`` -> 500, ``"2"`` -> 2000, ``0.5`` -> 500. Raises ValueError on anything else."""
    text = str(quantity).strip()
    match = _CPU.match(text)
    if not match:
        raise ValueError(f"{quantity!r} is not a CPU quantity (use millicores like 500m, or cores like 2)")
    try:
        number = Decimal(match["num"])
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise ValueError(f"{quantity!r} is not a CPU quantity") from exc
    millis = number if match["unit"] == "m" else number * 1000
    if millis != millis.to_integral_value():
        raise ValueError(f"{quantity!r} is finer than 1m")
    return int(millis)


def memory_bytes(quantity: str | int) -> int:
    """``"512Mi"`` -> 536870912, ``"2Gi"`` -> 2147483648. Raises ValueError on anything else."""
    text = str(quantity).strip()
    match = _MEM.match(text)
    if not match:
        raise ValueError(f"{quantity!r} is not a memory quantity (use Mi or Gi, like 512Mi or 2Gi)")
    value = Decimal(match["num"]) * _MEM_FACTORS[match["unit"]]
    if value != value.to_integral_value():
        raise ValueError(f"{quantity!r} is not a whole number of bytes")
    return int(value)
