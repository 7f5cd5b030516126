"""``infra diff OLD NEW``: what changes between two plans (or ``pulumi stack export`` files).

Resources are matched by URN without its stack segment (so two stacks compare), or through the new
resource's ``aliases`` (a moved resource is the same resource). For each resource changed: the input
paths that differ (a secret's value is never shown), whether the change forces a replacement
(``tools.insights.replacements``), and whether the resource holds state. Stateful replacements come
first. The cost delta comes from ``tools.insights.cost``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.insights import cost
from tools.insights.plans import Resource, name, stack_name
from tools.insights.replacements import STATEFUL_TYPES, replacing_paths

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
MASK = "[secret]"


def key(urn: str) -> str:
    """The URN without ``urn:pulumi:<stack>::``: the same resource in two stacks has the same key."""
    return urn.split("::", 1)[1] if "::" in urn else urn


def _secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any


def changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """The leaf paths whose values differ; below a secret only the path (values masked)."""
    if _secret(old) or _secret(new):
        if old != new or (_secret(old) != _secret(new)):
            return [Change(path, MASK if _secret(old) else _shown(old), MASK if _secret(new) else _shown(new))]
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[Change] = []
        for k in sorted(set(old) | set(new)):
            sub = f"{path}.{k}" if path else k
            if k not in old:
                found += changes(None, new[k], sub)
            elif k not in new:
                found += changes(old[k], None, sub)
            else:
                found += changes(old[k], new[k], sub)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found += changes(a, b, f"{path}[{i}]")
        return found
    if old == new:
        return []
    return [Change(path, _shown(old), _shown(new))]


def _shown(value: Any) -> Any:
    """A value as printed: secrets inside it masked."""
    if _secret(value):
        return MASK
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


@dataclass(frozen=True)
class Changed:
    urn: str
    type: str
    paths: list[Change]
    replaces: list[str]  # the paths that force a replacement
    stateful: bool
    moved_from: str | None = None  # the old URN, when matched through an alias
    protect_changed: bool = False

    @property
    def replacement(self) -> bool:
        return bool(self.replaces)


@dataclass
class PlanDiff:
    old_stack: str
    new_stack: str
    added: list[Resource] = field(default_factory=list)
    removed: list[Resource] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    cost_old: float = 0.0
    cost_new: float = 0.0
    cost_components: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def replacements(self) -> list[Changed]:
        return [c for c in self.changed if c.replacement]

    @property
    def stateful_replacements(self) -> list[Changed]:
        return [c for c in self.changed if c.replacement and c.stateful]

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": self.old_stack,
            "new": self.new_stack,
            "added": [r["urn"] for r in self.added],
            "removed": [r["urn"] for r in self.removed],
            "changed": [
                {
                    "urn": c.urn,
                    "type": c.type,
                    "replacement": c.replacement,
                    "stateful": c.stateful,
                    "replacedBy": c.replaces,
                    "movedFrom": c.moved_from,
                    "paths": [{"path": x.path, "old": x.old, "new": x.new} for x in c.paths],
                }
                for c in self.changed
            ],
            "cost": {"oldMonthlyUsd": self.cost_old, "newMonthlyUsd": self.cost_new,
                     "deltaMonthlyUsd": round(self.cost_new - self.cost_old, 2)},
        }  # fmt: skip


def stateful(r: Resource) -> bool:
    return r["type"] in STATEFUL_TYPES or bool(r.get("protect"))


def diff(old: Sequence[Resource], new: Sequence[Resource], with_cost: bool = True) -> PlanDiff:
    result = PlanDiff(stack_name(old), stack_name(new))
    old_by = {key(r["urn"]): r for r in old if r.get("custom")}
    matched: set[str] = set()
    for r in new:
        if not r.get("custom"):
            continue
        k = key(r["urn"])
        before, moved = old_by.get(k), None
        if before is None:
            for alias in r.get("aliases") or []:
                if key(alias) in old_by and key(alias) not in matched:
                    before, moved = old_by[key(alias)], old_by[key(alias)]["urn"]
                    break
        if before is None:
            result.added.append(r)
            continue
        matched.add(key(before["urn"]))
        paths = changes(before.get("inputs") or {}, r.get("inputs") or {})
        protect_changed = bool(before.get("protect")) != bool(r.get("protect"))
        if paths or protect_changed or moved or before["type"] != r["type"]:
            replaces = replacing_paths(r["type"], [c.path for c in paths])
            if before["type"] != r["type"]:
                replaces = [*replaces, "type"]
            result.changed.append(
                Changed(r["urn"], r["type"], paths, replaces, stateful(r) or stateful(before), moved, protect_changed)
            )
    result.removed = [r for k, r in old_by.items() if k not in matched]
    result.changed.sort(key=lambda c: (not (c.replacement and c.stateful), not c.replacement, c.urn))
    if with_cost:
        before_cost, after_cost = cost.estimate(old, result.old_stack), cost.estimate(new, result.new_stack)
        result.cost_old, result.cost_new = before_cost.total, after_cost.total
        a, b = before_cost.by_component(), after_cost.by_component()
        result.cost_components = {
            c: (a.get(c, 0.0), b.get(c, 0.0)) for c in sorted(set(a) | set(b)) if a.get(c, 0.0) != b.get(c, 0.0)
        }
    return result


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def format_text(d: PlanDiff) -> str:
    lines = [
        f"Diff {d.old_stack or 'old'} -> {d.new_stack or 'new'}: {len(d.added)} added, {len(d.removed)} removed, "
        f"{len(d.changed)} changed ({len(d.replacements)} replaced, {len(d.stateful_replacements)} of them stateful)"
    ]
    for c in d.changed:
        mark = "REPLACE (stateful)" if c.replacement and c.stateful else "replace" if c.replacement else "update"
        moved = f" (moved from {c.moved_from})" if c.moved_from else ""
        lines.append(f"  {mark:<18} {name(c.urn)} ({c.type}){moved}")
        for x in c.paths:
            forced = "  [forces replacement]" if x.path in c.replaces else ""
            lines.append(f"      {x.path}: {_value(x.old)} -> {_value(x.new)}{forced}")
        if c.protect_changed:
            lines.append("      protect changed")
    lines += [f"  add                {name(r['urn'])} ({r['type']})" for r in d.added]
    lines += [f"  remove             {name(r['urn'])} ({r['type']})" for r in d.removed]
    lines.append(_cost_line(d))
    return "\n".join(lines)


def _cost_line(d: PlanDiff) -> str:
    delta = d.cost_new - d.cost_old
    return f"Monthly cost: ${d.cost_old:,.2f} -> ${d.cost_new:,.2f} ({'+' if delta >= 0 else '-'}${abs(delta):,.2f})"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(d: PlanDiff, title: str | None = None) -> str:
    lines = [
        f"### {title or f'Plan diff: {d.old_stack} -> {d.new_stack}'}",
        "",
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed "
        f"(**{len(d.replacements)} replaced, {len(d.stateful_replacements)} of them stateful**). {_cost_line(d)}",
        "",
    ]
    if d.changed:
        lines += ["| | resource | type | changed inputs |", "|---|---|---|---|"]
        for c in d.changed:
            mark = ":warning: **replace, stateful**" if c.replacement and c.stateful else (
                "replace" if c.replacement else "update")  # fmt: skip
            paths = "<br>".join(
                _md(
                    f"`{x.path}`: {_value(x.old)} → {_value(x.new)}"
                    + (" (forces replacement)" if x.path in c.replaces else "")
                )
                for x in c.paths
            )
            if c.moved_from:
                paths = (paths + "<br>" if paths else "") + _md(f"moved from `{c.moved_from}`")
            lines.append(f"| {mark} | `{name(c.urn)}` | `{c.type}` | {paths} |")
        lines.append("")
    for label, items in (("Added", d.added), ("Removed", d.removed)):
        if items:
            lines.append(f"{label}: " + ", ".join(f"`{name(r['urn'])}` ({r['type']})" for r in items))
            lines.append("")
    if d.cost_components:
        lines += ["| component | old | new | delta |", "|---|---:|---:|---:|"]
        for component, (a, b) in d.cost_components.items():
            lines.append(f"| {component} | ${a:,.2f} | ${b:,.2f} | {b - a:+,.2f} |")
        lines.append("")
    return "\n".join(lines)


def format_json(d: PlanDiff) -> str:
    return json.dumps(d.as_dict(), indent=2, sort_keys=True)
