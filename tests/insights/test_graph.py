"""`infra graph`: Mermaid that parses, and the docs' picture is the one the prod plan gives."""

from __future__ import annotations

import re

from tests.support import ROOT
from tools.insights import graph

NODE = re.compile(r'^  n_[A-Za-z0-9_]+\["[^"\n]*"\]$')
EDGE = re.compile(r"^  n_[A-Za-z0-9_]+ -->(\|\d+\|)? n_[A-Za-z0-9_]+$")


def parses(text: str) -> bool:
    """The subset of Mermaid's flowchart grammar the graph writes: a header, nodes, then edges between
    declared nodes."""
    lines = text.rstrip("\n").split("\n")
    if lines[0] != "flowchart LR":
        return False
    declared = {line.split("[", 1)[0].strip() for line in lines[1:] if NODE.match(line)}
    for line in lines[1:]:
        if NODE.match(line):
            continue
        if not EDGE.match(line):
            return False
        ends = re.findall(r"n_[A-Za-z0-9_]+", line)
        if not set(ends) <= declared:
            return False
    return True


def test_the_graphs_of_prod_parse(planned) -> None:  # type: ignore[no-untyped-def]
    resources = planned("prod")[1]
    tree, deps = graph.tree(resources), graph.dependencies(resources)
    assert parses(tree) and parses(deps)
    assert "n_cluster -->" in deps and "n_network" in deps
    assert tree.count("-->") == sum(1 for r in resources if not r["custom"]) - 1  # every component but the stack


def test_the_parser_rejects_broken_mermaid() -> None:
    assert not parses('flowchart LR\n  n_a["a"]\n  n_a --> n_b\n')
    assert not parses('flowchart LR\n  n_a["a "b""]\n')


def test_the_architecture_picture_is_generated_from_the_prod_plan(planned) -> None:  # type: ignore[no-untyped-def]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert graph.markdown(planned("prod")[1]) in page, "regenerate it: make graph-doc"
