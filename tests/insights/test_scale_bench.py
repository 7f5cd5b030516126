"""The scaling benchmark's generated stack files are valid prod configurations with N times the services."""

from __future__ import annotations

from bench.scale import scaled_stack


def test_twenty_times_the_services_is_a_valid_prod_config() -> None:
    document = scaled_stack(20)
    values = {k.removeprefix("platform:"): v for k, v in document["config"].items() if k.startswith("platform:")}
    from infra.config.platform import build_config

    cfg = build_config(values)
    assert len(cfg.services.enabled) == 60
    ports = [s.port for s in cfg.services.enabled.values() if s.port is not None]
    assert len(ports) == len(set(ports)) == 40
