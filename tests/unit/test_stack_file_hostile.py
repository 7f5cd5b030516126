"""Hostile and careless stack files: every one is refused through the command with exit 2 and one line
naming the key, nothing written, in bounded time and memory; the strict reading keeps what is valid."""

from __future__ import annotations

import itertools
import os
import re
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from infra.config import ConfigError, config_from_stack_file, read_stack_file, stack_yaml
from tests.support import ROOT
from tools.cli import app

INVALID = sorted((ROOT / "tests" / "fixtures" / "invalid").glob("*.yaml"))
runner = CliRunner()


def expected(path: Path) -> str:
    return path.read_bytes().splitlines()[0].decode().removeprefix("# expect: ")


def refused(config_file: Path, tmp_path: Path) -> str:
    """Plan ``config_file`` through the command; assert the property; return the one line."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", "--stack", "corpus", "--config-file", str(config_file), "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.stdout)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), "no traceback"
    assert not out.exists(), "nothing is written for a refused stack file"
    return lines[0]


def test_the_corpus_is_wide() -> None:
    assert len(INVALID) >= 140


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_every_broken_stack_file_exits_2_with_one_line_naming_the_key(path: Path, tmp_path: Path) -> None:
    assert expected(path) in refused(path, tmp_path)


# A matrix of typed settings against values of every other type: none is coerced.
TYPED: list[tuple[str, str, Any]] = [
    ("platform:protection", "protect", True),
    ("platform:protection", "deletionProtection", True),
    ("platform:services", "autoPromotion", False),
    ("platform:backups", "rpoMinutes", 60),
    ("platform:backups", "continuousBackup", True),
    ("platform:network", "availabilityZones", 3),
    ("platform:network", "cidr", "10.0.0.0/16"),
    ("platform:cluster", "logRetentionDays", 90),
    ("platform:cluster", "endpointPublicAccessCidrs", []),
    ("platform:datastores", "namespace", "apps"),
    ("platform:gateway", "replicas", 2),
]
WRONG: list[Any] = [True, 0, 1, 2.5, "true", "false", "3", [], {}, ["x"]]


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        (s, k, w)
        for (s, k, good), w in itertools.product(TYPED, WRONG)
        if type(w) is not type(good) and not (isinstance(good, list) and w == [])
    ],
    ids=repr,
)
def test_no_value_is_coerced_to_another_type(section: str, key: str, value: Any, tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.typed.yaml"
    stack.write_text(yaml.safe_dump({"config": {"platform:environment": "prod", section: {key: value}}}))
    assert f"{section}.{key}" in refused(stack, tmp_path)


@pytest.mark.parametrize("char", ["\n", "\r", "\x00", "\t", "\x1b", "\u2028", "\x85"], ids=repr)
@pytest.mark.parametrize("where", ["top", "nested", "value"])
def test_control_characters_are_shown_escaped_on_one_line(char: str, where: str, tmp_path: Path) -> None:
    entries: dict[str, Any] = {"platform:environment": "prod"}
    if where == "top":
        entries[f"platform:net{char}work"] = {}
    elif where == "nested":
        entries["platform:tags"] = {f"Te{char}am": "x"}
    else:
        entries["platform:region"] = f"us-east{char}-1"
    stack = tmp_path / "Pulumi.escape.yaml"
    stack.write_text(yaml.safe_dump({"config": entries}, allow_unicode=False))
    line = refused(stack, tmp_path)
    assert char not in line
    shown = char.encode("unicode_escape").decode()
    assert shown in line or where == "value"


def test_a_file_over_the_size_bound_is_refused_unread(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.big.yaml"
    stack.write_text("config:\n  platform:environment: prod\n" + "# padding\n" * 30_000)
    assert "larger than 256 KiB" in refused(stack, tmp_path)


@pytest.mark.parametrize("kind", ["device", "directory", "fifo", "missing"])
def test_what_is_not_a_regular_file_is_refused(kind: str, tmp_path: Path) -> None:
    target = {"device": Path("/dev/zero"), "directory": tmp_path, "missing": tmp_path / "nope.yaml"}.get(kind)
    if kind == "fifo":
        target = tmp_path / "pipe.yaml"
        os.mkfifo(target)
    assert target is not None
    line = refused(target, tmp_path)
    assert ("no such stack file" if kind == "missing" else "not a regular file") in line


def laughs(levels: int, width: int = 10) -> str:
    rows = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(rows) + f"\nconfig:\n  platform:environment: prod\n  platform:tags: {{x: *l{levels - 1}}}\n"


def test_a_billion_laughs_fails_fast_in_bounded_memory(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.laughs.yaml"
    stack.write_text(laughs(9))  # 10**9 values once expanded
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="once aliases are expanded"):
        read_stack_file(stack)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 10 * 2**20, (seconds, peak)


def test_a_flood_of_brackets_fails_fast(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.deep.yaml"
    stack.write_text("config:\n  platform:tags: " + "[" * 200_000 + "\n")
    started = time.perf_counter()
    assert "nested deeper than 16 levels" in refused(stack, tmp_path)
    assert time.perf_counter() - started < 2.0


def test_the_bounds_are_stated_in_the_configuration_reference() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    for bound in (
        f"{stack_yaml.MAX_FILE_BYTES // 1024} KiB",
        f"{stack_yaml.MAX_DEPTH} levels",
        f"{stack_yaml.MAX_NODES:,} values",
        f"{stack_yaml.MAX_SCALAR_CHARS:,} characters",
        f"{stack_yaml.MAX_KEY_CHARS} characters",
    ):
        assert bound in page, bound


def test_aliases_within_the_bounds_are_read(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.alias.yaml"
    stack.write_text(
        "config:\n  platform:environment: dev\n  platform:tags: &team {TEAM: payments}\n"
        "  platform:services:\n    deployments:\n      analytics:\n        env: *team\n"
    )
    cfg = config_from_stack_file(read_stack_file(stack))
    assert cfg.tags == {"TEAM": "payments"} and cfg.services.deployments["analytics"].env["TEAM"] == "payments"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"yes"', "yes"),
        ("'0755'", "0755"),
        ("'2026-01-01'", "2026-01-01"),
        ("!!str 1.35", "1.35"),
        ("payments team", "payments team"),
        ("v1.2.3", "v1.2.3"),
        ("02:00", "02:00"),
    ],
)
def test_quoted_and_unambiguous_text_is_kept(text: str, value: str, tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.ok.yaml"
    stack.write_text(f"config:\n  platform:environment: dev\n  platform:tags:\n    Note: {text}\n")
    assert config_from_stack_file(read_stack_file(stack)).tags == {"Note": value}


def test_a_nested_null_unsets_an_optional_value(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.unset.yaml"
    stack.write_text(
        "config:\n  platform:environment: dev\n  platform:services:\n    deployments:\n"
        "      user-service:\n        image: {blue: '1.0.0', green: null}\n"
    )
    service = config_from_stack_file(read_stack_file(stack)).services.deployments["user-service"]
    assert service.image.green is None


def test_every_committed_stack_file_reads_strictly() -> None:
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config_from_stack_file(read_stack_file(path))


def test_messages_name_the_line(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.dup.yaml"
    stack.write_text("config:\n  platform:environment: prod\n\n  platform:environment: dev\n")
    assert re.search(r"platform:environment: .*given twice.* line 4\)", refused(stack, tmp_path))
