"""The accepted findings (``policies/accepted-findings.yaml``): each a scanner check that fails on
purpose, the resources or objects it fails on, and the written reason. A finding of ``infra scan``
that no entry accepts fails the scan; an entry that accepts nothing is stale.

An entry::

    - check: CKV_AWS_18                       # the scanner's check id
      target: aws                             # aws (the Terraform export), kubernetes (the plan's
                                              # objects) or rendered (what the charts render)
      resource: aws_s3_bucket.backups-*       # the finding's resource, a glob (fnmatch, case-sensitive)
      reason: Server access logs would ...    # why it is accepted: required, a sentence or more
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from infra import files
from infra.config.errors import escaped

TARGETS = ("aws", "kubernetes", "rendered")
KEYS = ("check", "target", "resource", "reason")
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")
MIN_REASON = 20  # characters: a reason is a sentence, not a word
MAX_FILE_BYTES = 2**20


class AcceptedInputError(ValueError):
    """The accepted-findings file is not of the documented shape. ``str(err)`` is one line."""


@dataclass(frozen=True)
class Accepted:
    check: str
    target: str
    resource: str
    reason: str
    line: int  # of the entry in the file, for messages

    def matches(self, check: str, target: str, resource: str) -> bool:
        return self.check == check and self.target == target and fnmatchcase(resource, self.resource)


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records each mapping's line."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load(path: Path) -> list[Accepted]:
    """The entries of ``path``; any problem is one line naming the entry and the key."""
    try:
        text = files.read_text_bounded(path, MAX_FILE_BYTES)
    except files.UnreadableFileError as problem:
        why = {
            files.Problem.MISSING: "no such file",
            files.Problem.NOT_A_FILE: "not a regular file",
            files.Problem.TOO_LARGE: f"larger than {MAX_FILE_BYTES // 2**20} MiB",
            files.Problem.NOT_UTF8: "not UTF-8 text",
        }.get(problem.problem, f"cannot read ({problem.detail})")
        raise AcceptedInputError(f"--accepted: {path}: {why}") from None
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise AcceptedInputError(f"--accepted: {path}: not YAML{where}") from None
    entries = document.get("accepted") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise AcceptedInputError(f"--accepted: {path}: expected a mapping with an 'accepted' list of entries")
    accepted: list[Accepted] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, entry in enumerate(entries):
        line = entry.get("__line__", 0) if isinstance(entry, dict) else 0
        where = f"{path}: accepted[{index}] (line {line})"
        if not isinstance(entry, dict):
            raise AcceptedInputError(f"{where}: expected a mapping with keys {', '.join(KEYS)}")
        unknown = sorted(k for k in entry if k not in (*KEYS, "__line__"))
        if unknown:
            raise AcceptedInputError(f"{where}: unknown key {escaped(str(unknown[0]))!r} (allowed: {', '.join(KEYS)})")
        for key in KEYS:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise AcceptedInputError(f"{where}: {key} is required (text)")
        check, target, resource = entry["check"].strip(), entry["target"].strip(), entry["resource"].strip()
        reason = " ".join(entry["reason"].split())
        if not CHECK_ID.match(check):
            raise AcceptedInputError(
                f"{where}: check {escaped(check)!r} is not a check id like CKV_AWS_18 or CKV2_K8S_6"
            )
        if target not in TARGETS:
            raise AcceptedInputError(
                f"{where}: target {escaped(target)!r} is not allowed (allowed: {', '.join(TARGETS)})"
            )
        if len(reason) < MIN_REASON:
            raise AcceptedInputError(f"{where}: reason must say why (at least {MIN_REASON} characters)")
        same = (check, target, resource)
        if same in seen:
            raise AcceptedInputError(f"{where}: the same check, target and resource as line {seen[same]}")
        seen[same] = line
        accepted.append(Accepted(check, target, resource, reason, line))
    return accepted


def acceptance(
    accepted: Sequence[Accepted], check: str, target: str, resource: str
) -> Accepted | None:  # fmt: skip
    """The first entry that accepts this finding, if any."""
    return next((a for a in accepted if a.matches(check, target, resource)), None)


def stale(accepted: Sequence[Accepted], used: Iterable[Accepted], scanned: Iterable[str]) -> list[Accepted]:
    """Entries of a scanned target that accepted no finding."""
    used_set, targets = set(used), set(scanned)
    return [a for a in accepted if a.target in targets and a not in used_set]
