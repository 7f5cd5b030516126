"""Configuration: tier defaults, validation, and the one-line errors of broken stack files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import (
    DEFAULT_INTERFACE_ENDPOINTS,
    ConfigError,
    Environment,
    NatStrategy,
    build_config,
    config_from_stack_file,
    platform_values,
    read_stack_file,
)

ROOT = Path(__file__).resolve().parents[2]
INVALID = sorted((ROOT / "tests" / "fixtures" / "invalid").glob("*.yaml"))


def expected_key(path: Path) -> str:
    first = path.read_bytes().splitlines()[0].decode()
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <key>'"
    return first.removeprefix("# expect: ")


def test_there_are_at_least_ten_broken_stack_files() -> None:
    assert len(INVALID) >= 10


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_broken_stack_file_is_rejected_with_one_line_naming_the_key(path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_stack_file(read_stack_file(path))
    message = str(caught.value)
    assert "\n" not in message
    assert expected_key(path) in message


@pytest.mark.parametrize("path", INVALID[:4] + INVALID[-3:], ids=lambda p: p.stem)
def test_cli_exits_2_with_one_line_and_no_traceback(path: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tools.cli", "plan", "--stack", "x", "--config-file", str(path), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected_key(path) in lines[0]
    assert "Traceback" not in run.stderr + run.stdout
    assert not (tmp_path / "plan.json").exists(), "nothing is written for a rejected config"


def test_missing_stack_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such stack file"):
        read_stack_file(tmp_path / "Pulumi.nope.yaml")


@pytest.mark.parametrize(
    ("env", "zones", "nat", "protect"),
    [
        ("dev", 2, NatStrategy.INSTANCE, False),
        ("staging", 3, NatStrategy.SINGLE, True),
        ("prod", 3, NatStrategy.ONE_PER_AZ, True),
    ],
)
def test_tier_defaults(env: str, zones: int, nat: NatStrategy, protect: bool) -> None:
    cfg = build_config({"environment": env})
    assert cfg.network.availability_zones == zones
    assert cfg.network.nat_gateways is nat
    assert cfg.protection.protect is protect
    assert cfg.cluster.node_group.min_size >= 2


@pytest.mark.parametrize(
    ("env", "endpoints", "zones", "capacity"),
    [
        ("dev", ("sts", "kms"), 1, "SPOT"),
        ("staging", DEFAULT_INTERFACE_ENDPOINTS, None, "ON_DEMAND"),
        ("prod", DEFAULT_INTERFACE_ENDPOINTS, None, "ON_DEMAND"),
    ],
)
def test_cost_settings_per_tier(env: str, endpoints: tuple[str, ...], zones: int | None, capacity: str) -> None:
    cfg = build_config({"environment": env})
    assert cfg.network.interface_endpoints == endpoints and cfg.network.endpoint_zones == zones
    assert cfg.cluster.node_group.capacity_type == capacity
    if capacity == "SPOT":
        assert len(cfg.cluster.node_group.instance_types) >= 2
    # Every tier's endpoints include what pods reach with no way to the internet (IRSA, the data keys).
    assert {"sts", "kms"} <= set(cfg.network.interface_endpoints)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"network": {"endpointZones": 3}}, r"platform:network\.endpointZones: 3 zones asked .* allowed: 1 to 2"),
        ({"network": {"endpointZones": 0}}, r"platform:network\.endpointZones"),
        ({"cluster": {"nodeGroup": {"instanceTypes": ["m5.xlarge"]}}}, r"capacityType SPOT with 1 instance type"),
        (
            {"cluster": {"nodeGroup": {"instanceTypes": ["m5.xlarge", "m5.large"]}}},
            r"platform:cluster\.nodeGroup\.instanceTypes: instance types of different sizes \(large, xlarge\)",
        ),
    ],
)
def test_bad_cost_settings_name_the_key(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config({"environment": "dev", **values})


def test_stack_values_override_tier_defaults_key_by_key() -> None:
    cfg = build_config({"environment": "prod", "cluster": {"nodeGroup": {"maxSize": 20}}})
    assert cfg.cluster.node_group.max_size == 20
    assert cfg.cluster.node_group.min_size == 3, "the tier default of a sibling key survives"


def test_values_arrive_as_the_pulumi_cli_passes_them() -> None:
    # The CLI hands objects as JSON text and scalars as strings.
    flat = {"platform:environment": "prod", "platform:network": '{"cidr": "10.9.0.0/16"}', "aws:region": "x"}
    cfg = build_config(platform_values(flat))
    assert cfg.environment is Environment.PROD and cfg.network.cidr == "10.9.0.0/16"


def test_secure_values_become_secret_placeholders(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.s.yaml"
    stack.write_text("config:\n  platform:environment: dev\n  platform:token:\n    secure: v1:abcdef\n")
    parsed = read_stack_file(stack)
    assert parsed.secret_keys == ("platform:token",)
    assert "v1:abcdef" not in parsed.config["platform:token"]


@pytest.mark.parametrize(
    ("cpu", "memory", "ok"),
    [
        ("500m", "512Mi", True),
        ("2", "2Gi", True),
        ("0.5", "1Gi", True),
        ("499m", "512Mi", False),
        ("2001m", "1Gi", False),
        ("1", "511Mi", False),
        ("1", "2049Mi", False),
        ("1", "3G", False),
    ],
)
def test_pod_resource_range(cpu: str, memory: str, ok: bool) -> None:
    values = {
        "environment": "dev",
        "workloads": {
            "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": "2", "memory": "2Gi"}}
        },
    }
    if ok:
        build_config(values)
    else:
        with pytest.raises(ConfigError, match=r"platform:workloads\.resources\.requests\.(cpu|memory)"):
            build_config(values)


def test_requests_may_not_exceed_limits() -> None:
    values = {
        "environment": "dev",
        "workloads": {
            "resources": {"requests": {"cpu": "1500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
        },
    }
    with pytest.raises(ConfigError, match=r"requests\.cpu 1500m exceeds limits\.cpu 1"):
        build_config(values)


def test_graviton_instances_get_the_arm_image() -> None:
    cfg = build_config({"environment": "prod", "cluster": {"nodeGroup": {"instanceTypes": ["m7g.large"]}}})
    assert cfg.cluster.node_group.ami_type == "AL2023_ARM_64_STANDARD"
    with pytest.raises(ConfigError, match="mix Graviton"):
        build_config({"environment": "prod", "cluster": {"nodeGroup": {"instanceTypes": ["m7g.large", "m6i.large"]}}})


def test_security_groups_for_pods_need_trunk_capable_instance_types() -> None:
    from infra.config import ClusterConfig, NodeGroupConfig

    with pytest.raises(ValueError, match=r"podSecurityGroups needs instance types with trunk ENIs; t3\.large"):
        ClusterConfig(pod_security_groups=True, node_group=NodeGroupConfig(instance_types=("t3.large",)))
    assert ClusterConfig(pod_security_groups=True).pod_security_groups is True
    assert ClusterConfig().creator_admin is True
    assert ClusterConfig(admin_role_arns=("arn:aws:iam::123456789012:role/ops",)).creator_admin is False
