"""Regenerate the generated picture of docs/architecture.md from a fresh offline plan of prod."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tools.insights import graph
from tools.plan import plan_stack


def main(page: str) -> int:
    with tempfile.TemporaryDirectory(prefix="graph-doc-") as folder:
        resources = plan_stack("prod", out=Path(folder) / "prod").resources
    path = Path(page)
    path.write_text(graph.replace_block(path.read_text(encoding="utf-8"), graph.markdown(resources)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/architecture.md"))
