"""``infra graph``: the component tree and the dependency graph of a plan, as Mermaid (and SVG where
Graphviz's ``dot`` is installed).

- The tree: every component (``ComponentResource``) under its parent, with the number of resources
  it holds directly.
- The dependencies: one node per top-level component; an edge A --> B when a resource of A waits for
  one of B (declared dependencies and providers), labelled with how many such waits there are.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence

from tools.insights.plans import STACK_TYPE, Resource, components, name, provider_urn

BEGIN = "<!-- infra graph --stack prod: begin (generated; make graph-doc) -->"
END = "<!-- infra graph --stack prod: end -->"


def _id(text: str) -> str:
    if text.startswith("urn:pulumi:"):
        text = text.split("::", 2)[-1]  # without the stack and project: the same id in every stack
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", text)


def _label(text: str) -> str:
    return text.replace('"', "'")


def tree(resources: Sequence[Resource]) -> str:
    by_urn = {r["urn"]: r for r in resources}
    held = Counter(r.get("parent", "") for r in resources if r.get("custom"))
    lines = ["flowchart LR"]
    for r in resources:
        if r.get("custom"):
            continue
        kind = r["type"] if r["type"] != STACK_TYPE else "stack"
        label = f"{name(r['urn'])}<br/><small>{kind} · {held.get(r['urn'], 0)} resources</small>"
        lines.append(f'  {_id(r["urn"])}["{_label(label)}"]')
    for r in resources:
        parent = str(r.get("parent") or "")
        if not r.get("custom") and parent in by_urn:
            lines.append(f"  {_id(parent)} --> {_id(r['urn'])}")
    return "\n".join(lines) + "\n"


def _providers(resources: Sequence[Resource]) -> set[str]:
    """Top-level names that are providers (every resource waits for them: no information)."""
    owner = components(resources)
    return {
        owner[r["urn"]]
        for r in resources
        if str(r.get("type", "")).startswith("pulumi:providers:") and owner[r["urn"]] == name(r["urn"])
    }


def component_edges(resources: Sequence[Resource]) -> Counter[tuple[str, str]]:
    owner = components(resources)
    providers = _providers(resources)
    edges: Counter[tuple[str, str]] = Counter()
    for r in resources:
        if not r.get("custom"):
            continue
        needs = set(r.get("dependencies") or [])
        if provider_urn(r):
            needs.add(provider_urn(r))
        for need in needs:
            a, b = owner.get(r["urn"]), owner.get(need)
            if a and b and a != b and "(stack)" not in (a, b) and b not in providers:
                edges[(a, b)] += 1
    return edges


def dependencies(resources: Sequence[Resource]) -> str:
    owner = components(resources)
    tops = sorted({c for c in owner.values() if c != "(stack)"} - _providers(resources))
    lines = ["flowchart LR"]
    lines += [f'  {_id(c)}["{_label(c)}"]' for c in tops]
    for (a, b), count in sorted(component_edges(resources).items()):
        lines.append(f"  {_id(a)} -->|{count}| {_id(b)}")
    return "\n".join(lines) + "\n"


def dot(resources: Sequence[Resource]) -> str:
    owner = components(resources)
    tops = sorted({c for c in owner.values() if c != "(stack)"} - _providers(resources))
    lines = ["digraph components {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    lines += [f'  "{c}";' for c in tops]
    lines += [f'  "{a}" -> "{b}" [label="{n}"];' for (a, b), n in sorted(component_edges(resources).items())]
    return "\n".join([*lines, "}"]) + "\n"


def svg(resources: Sequence[Resource]) -> str | None:
    """The dependency graph as SVG, or None when Graphviz is not installed."""
    binary = shutil.which("dot")
    if binary is None:
        return None
    done = subprocess.run([binary, "-Tsvg"], input=dot(resources), capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def markdown(resources: Sequence[Resource]) -> str:
    return "\n".join(
        [
            BEGIN,
            "Components (each under its parent):",
            "",
            "```mermaid",
            tree(resources).rstrip(),
            "```",
            "",
            "What waits for what (top-level components; the edge's number: how many resources wait):",
            "",
            "```mermaid",
            dependencies(resources).rstrip(),
            "```",
            END,
        ]
    )


def replace_block(document: str, block: str) -> str:
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return document.rstrip("\n") + "\n\n" + block + "\n"
