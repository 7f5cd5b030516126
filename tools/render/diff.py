"""The rendered diff of every release between two ``infra render`` folders (base and change): what
``helm diff`` would show, as Markdown for a CI job summary.

    python -m tools.render.diff BASE_DIR HEAD_DIR [--title TEXT] [--max-lines N]

Objects are matched by their file under ``<release>/`` (kind, namespace, name); each release gets a
line (objects added, removed, changed, or unchanged) and a unified diff of what changed, cut at
``--max-lines`` lines per release so the summary stays readable.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path


def _objects(folder: Path) -> dict[str, dict[str, str]]:
    """release -> {file name: text}; a missing folder is empty (a release new or gone)."""
    found: dict[str, dict[str, str]] = {}
    if not folder.is_dir():
        return found
    for release in sorted(p for p in folder.iterdir() if p.is_dir()):
        found[release.name] = {f.name: f.read_text(encoding="utf-8") for f in sorted(release.glob("*.yaml"))}
    return found


def diff(base: Path, head: Path, title: str = "Rendered diff", max_lines: int = 400) -> str:
    before, after = _objects(base), _objects(head)
    lines = [f"### {title}", ""]
    if not before and not after:
        return "\n".join([*lines, "No rendered releases on either side."])
    for release in sorted(set(before) | set(after)):
        old, new = before.get(release, {}), after.get(release, {})
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        changed = sorted(f for f in set(old) & set(new) if old[f] != new[f])
        if not (added or removed or changed):
            lines.append(f"- `{release}`: unchanged ({len(new)} objects)")
            continue
        lines.append(f"- `{release}`: {len(added)} added, {len(removed)} removed, {len(changed)} changed")
        body: list[str] = []
        for name in sorted({*added, *removed, *changed}):
            body += difflib.unified_diff(
                old.get(name, "").splitlines(), new.get(name, "").splitlines(),
                f"base/{release}/{name}", f"change/{release}/{name}", lineterm="",
            )  # fmt: skip
        shown = body[:max_lines]
        if len(body) > max_lines:
            shown.append(f"... {len(body) - max_lines} more lines")
        lines += ["", "  <details><summary>diff</summary>", "", "```diff", *shown, "```", "", "  </details>"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rendered diff of two infra render folders, as Markdown.")
    parser.add_argument("base", type=Path)
    parser.add_argument("head", type=Path)
    parser.add_argument("--title", default="Rendered diff")
    parser.add_argument("--max-lines", type=int, default=400)
    args = parser.parse_args(argv)
    print(diff(args.base, args.head, args.title, args.max_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
