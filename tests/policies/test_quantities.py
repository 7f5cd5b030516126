"""The pack's own quantity parser reads every quantity as the configuration's does (infra.quantities),
so a rule and the config validation never disagree about a range."""

from __future__ import annotations

import pytest

from infra import quantities as config_quantities
from policies.rules import _quantities as pack_quantities

CPU = ["500m", "2000m", "0.5", "2", 1, 0.25, " 750m ", "1.5"]
MEMORY = ["512Mi", "2Gi", "1G", "1000", 1048576, "1.5Gi", "64k", "1Ti"]
NOT_CPU = ["", "1.2345", "0.0005", "2 cores", "500M", "-1", None, "1e3"]
NOT_MEMORY = ["", "512MB", "0.5", "1.5k3", "Gi", "-1Mi", None, "1.0000001Ki"]


@pytest.mark.parametrize("quantity", CPU)
def test_cpu_reads_as_the_configuration_reads_it(quantity: str) -> None:
    assert pack_quantities.cpu_millis(quantity) == config_quantities.cpu_millis(quantity)


@pytest.mark.parametrize("quantity", MEMORY)
def test_memory_reads_as_the_configuration_reads_it(quantity: str) -> None:
    assert pack_quantities.memory_bytes(quantity) == config_quantities.memory_bytes(quantity)


@pytest.mark.parametrize("quantity", NOT_CPU)
def test_what_is_not_a_cpu_quantity_is_rejected_by_both(quantity: str) -> None:
    for parse in (pack_quantities.cpu_millis, config_quantities.cpu_millis):
        with pytest.raises(ValueError):
            parse(quantity)  # type: ignore[arg-type]


@pytest.mark.parametrize("quantity", NOT_MEMORY)
def test_what_is_not_a_memory_quantity_is_rejected_by_both(quantity: str) -> None:
    for parse in (pack_quantities.memory_bytes, config_quantities.memory_bytes):
        with pytest.raises(ValueError):
            parse(quantity)  # type: ignore[arg-type]
