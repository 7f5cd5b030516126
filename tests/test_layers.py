"""The floors, one way only: every import of every module, read with ``ast`` (also imports inside
functions, relative imports and ``importlib.import_module("...")``), points down or sideways, never up.

    tools        may import everything below
    stacks       components, infra
    components   infra
    infra        (nothing of the project above it)
    policies     nothing of the project: the standard library, pulumi_policy and itself
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN: dict[str, frozenset[str]] = {
    "policies": frozenset({"infra", "components", "stacks", "tools"}),
    "infra": frozenset({"tools", "policies", "components", "stacks"}),
    "components": frozenset({"tools", "policies", "stacks"}),
    "stacks": frozenset({"tools", "policies"}),
}
POLICY_PACK_MAY_IMPORT = frozenset(sys.stdlib_module_names) | {"pulumi_policy", "policies"}
_DYNAMIC = {"import_module", "run_module", "__import__"}  # importlib.import_module, runpy.run_module


def modules_of(folder: str, root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (root / folder).rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in ``path``, wherever it stands, in line order."""
    return sorted(_imports(path, root))


def _imports(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if node.module:
                yield node.lineno, module
            else:  # from . import a, b: the submodules a and b
                for alias in node.names:
                    yield node.lineno, f"{module}.{alias.name}" if module else alias.name
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _DYNAMIC and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def violations(folder: str, forbidden: frozenset[str], root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line} imports {module} ({folder}/ may not import {module.split('.')[0]}/)"
        for path in modules_of(folder, root)
        for line, module in imports(path, root)
        if module.split(".")[0] in forbidden
    ]


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_floor_imports_from_a_floor_above_it(folder: str) -> None:
    assert modules_of(folder), f"{folder}/ has no modules: the test would prove nothing"
    found = violations(folder, FORBIDDEN[folder])
    assert not found, "\n".join(found)


def test_the_policy_pack_imports_only_the_standard_library_pulumi_policy_and_itself() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module} (the pack may import only the standard library, "
        "pulumi_policy and policies)"
        for path in modules_of("policies")
        for line, module in imports(path)
        if module.split(".")[0] not in POLICY_PACK_MAY_IMPORT
    ]
    assert not found, "\n".join(found)


def test_an_upward_import_anywhere_in_a_module_is_found(tmp_path: Path) -> None:
    rules = tmp_path / "policies" / "rules"
    rules.mkdir(parents=True)
    (rules / "clean.py").write_text("from __future__ import annotations\nimport re\nfrom . import _base\n")
    (rules / "bad.py").write_text(
        "import json\n"
        "from infra.quantities import cpu_millis\n"
        "def parse() -> None:\n"
        "    import tools.check\n"
        "    from ... import stacks\n"
        "    from ...components import network\n"
        "class Rule:\n"
        "    def run(self) -> None:\n"
        "        importlib.import_module('infra.config')\n"
    )
    assert violations("policies", FORBIDDEN["policies"], tmp_path) == [
        "policies/rules/bad.py:2 imports infra.quantities (policies/ may not import infra/)",
        "policies/rules/bad.py:4 imports tools.check (policies/ may not import tools/)",
        "policies/rules/bad.py:5 imports stacks (policies/ may not import stacks/)",
        "policies/rules/bad.py:6 imports components (policies/ may not import components/)",
        "policies/rules/bad.py:9 imports infra.config (policies/ may not import infra/)",
    ]
