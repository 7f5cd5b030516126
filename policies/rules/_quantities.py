"""Kubernetes resource quantities (CPU and memory) as integers, for the rules that compare them.

The pack's own copy, so the pack depends on nothing of the project and can be published alone:
CPU ``500m``, ``0.5``, ``2`` -> millicores; memory ``512Mi``, ``2Gi``, ``1G`` or a byte count -> bytes.
Anything else raises ``ValueError`` (a rule reports it as outside the allowed range).
"""

from __future__ import annotations

import re
from decimal import Decimal

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
    """``"500m"`` -> 500, ``"2"`` -> 2000, ``0.5`` -> 500."""
    match = _CPU.match(str(quantity).strip())
    if not match:
        raise ValueError(f"{quantity!r} is not a CPU quantity")
    number = Decimal(match["num"])
    millis = number if match["unit"] == "m" else number * 1000
    if millis != millis.to_integral_value():
        raise ValueError(f"{quantity!r} is finer than 1m")
    return int(millis)


def memory_bytes(quantity: str | int) -> int:
    """``"512Mi"`` -> 536870912, ``"2Gi"`` -> 2147483648."""
    match = _MEM.match(str(quantity).strip())
    if not match:
        raise ValueError(f"{quantity!r} is not a memory quantity")
    value = Decimal(match["num"]) * _MEM_FACTORS[match["unit"]]
    if value != value.to_integral_value():
        raise ValueError(f"{quantity!r} is not a whole number of bytes")
    return int(value)
