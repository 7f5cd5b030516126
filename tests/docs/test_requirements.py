"""docs/requirements.md: one table row per requirement of the system, with where it is implemented, the
tests that prove it and its status. Every test the page names exists; every row has a status; a row
that is built, or partly built, names at least one test, and a row not built yet names none."""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "requirements.md"
HEADER = ("requirement", "where implemented", "proven by", "status")
NOT_BUILT = "not built yet"
STATUSES = (NOT_BUILT, "partly built", "built")  # longest first: "built" is a prefix of none of the others
TEST_REFERENCE = re.compile(r"`(tests/[^`:]+\.py)::([^`]+)`")
CELL_SPLIT = re.compile(r"(?<!\\)\|")

# What the system requires, as the requirement column must mention it (lower case).
REQUIRED_PHRASES = (
    "kong",
    "port 8000",
    "/health",
    "routes requests",
    "authenticates requests",
    "limits request rates",
    "port 8001",
    "postgresql",
    "redis",
    "rbac",
    "celery",
    "rabbitmq",
    "4 workers, configurable",
    "port 8002",
    "mongodb",
    "python/fastapi",
    "node.js/express",
    "documents",
    "reports",
    "real-time analytics",
    "3 nodes",
    "2 workers",
    "autoscaling",
    "cpu 500m-2000m",
    "memory 512mi-2gi",
    "nginx",
    "least connections",
    "let's encrypt",
    "prometheus",
    "grafana",
    "elasticsearch",
    "logstash",
    "kibana",
    "github actions",
    "unit tests",
    "docker images",
    "trivy",
    "integration tests",
    "end-to-end tests",
    "performance tests",
    "deploy to staging",
    "smoke tests",
    "manual approval",
    "blue-green",
    "zero-downtime",
    "automatic rollback",
    "oauth 2.0",
    "jwt",
    "15 minutes",
    "7 days",
    "aes-256",
    "tls 1.3",
    "vpc with private subnets",
    "least privilege",
    "waf",
    "daily at 02:00 utc",
    "kept 30 days",
    "full plus incremental",
    "1 hour",
    "4 hours",
    "s3 across regions",
)


@dataclass(frozen=True)
class Row:
    line: int
    requirement: str
    where: str
    proven_by: str
    status: str

    @property
    def tests(self) -> list[tuple[str, str]]:
        return TEST_REFERENCE.findall(self.proven_by)

    @property
    def state(self) -> str | None:
        text = self.status.lower()
        return next((s for s in STATUSES if text.startswith(s)), None)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in CELL_SPLIT.split(line.strip().strip("|"))]


@functools.cache
def rows() -> tuple[Row, ...]:
    """The body rows of every table on the page whose header is the requirement table's."""
    if not PAGE.is_file():
        return ()
    found: list[Row] = []
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        if tuple(c.lower() for c in _cells(lines[index])) == HEADER and lines[index].lstrip().startswith("|"):
            index += 2  # the header and its |---| line
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                cells = _cells(lines[index])
                cells += [""] * (len(HEADER) - len(cells))
                found.append(Row(index + 1, *cells[: len(HEADER)]))
                index += 1
        index += 1
    return tuple(found)


@functools.cache
def defined_tests(path: str) -> frozenset[str]:
    """Test functions of a file: ``name`` at module level, ``name`` and ``Class::name`` in classes."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    names.update({item.name, f"{node.name}::{item.name}"})
    return frozenset(names)


def references() -> list[tuple[str, str]]:
    return sorted({ref for row in rows() for ref in row.tests})


def test_the_page_has_the_requirement_tables() -> None:
    assert PAGE.is_file(), "docs/requirements.md is missing"
    assert len(rows()) >= 40, f"only {len(rows())} requirement rows"


def test_every_row_names_a_requirement_and_has_a_status() -> None:
    for row in rows():
        assert row.requirement, f"docs/requirements.md:{row.line}: no requirement"
        assert row.state is not None, (
            f"docs/requirements.md:{row.line}: status {row.status!r} does not start with one of {STATUSES}"
        )


def test_built_rows_name_a_test_and_rows_not_built_name_none() -> None:
    for row in rows():
        if row.state == NOT_BUILT:
            assert not row.tests, f"docs/requirements.md:{row.line}: not built yet, but names {row.tests}"
        else:
            assert row.tests, f"docs/requirements.md:{row.line}: {row.state}, but names no test"


@pytest.mark.parametrize(("path", "name"), references(), ids=lambda value: value)
def test_every_named_test_exists(path: str, name: str) -> None:
    assert (ROOT / path).is_file(), f"{path} does not exist"
    base = name.split("[", 1)[0]  # a parametrized test is named by its function
    assert base in defined_tests(path), f"{path} defines no test {base}"


def test_every_requirement_of_the_system_has_a_row() -> None:
    text = " ".join(row.requirement for row in rows()).lower()
    missing = [phrase for phrase in REQUIRED_PHRASES if phrase not in text]
    assert not missing, f"no row of docs/requirements.md mentions {missing}"


def test_the_parser_reads_names_with_classes_and_parameters() -> None:
    row = Row(1, "r", "w", "`tests/a.py::test_x[prod]`<br>`tests/b.py::Edge::test_y`", "built")
    assert row.tests == [("tests/a.py", "test_x[prod]"), ("tests/b.py", "Edge::test_y")]
    assert row.state == "built"
    assert Row(1, "r", "", "", "partly built: the rest").state == "partly built"
    assert Row(1, "r", "", "", "Not built yet").state == NOT_BUILT
    assert Row(1, "r", "", "", "planned").state is None
