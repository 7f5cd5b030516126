"""The plan pipeline as a library function: one stack, planned offline, written to a folder.

``plan_stack`` validates the stack file (before anything is registered), runs the unchanged stack
program under Pulumi's mock runtime, exports the recording in the ``pulumi stack export`` shape and
writes ``plan.json``, ``manifests/``, ``helm/`` and ``graph.dot``; then it checks what the program
declared (manifests of built-in kinds against the cluster version's schema, no Kubernetes object
declared twice). It prints nothing and exits nothing; it raises:

- ``ConfigError`` (from ``infra.config``) for bad input: the stack file or a configuration value,
  also when the program itself rejects its configuration (it raises ``pulumi.RunError`` for that);
- ``PlanError`` when the plan fails: the program asked for something the offline engine cannot
  answer, or declared something invalid.

The stack name and the output folder are checked before anything runs (``tools.plan_folder``); the
plan is written to a temporary folder and moved into place only when complete and checked, so a
failed plan leaves no half plan, and the older plan in the folder is removed rather than left looking
current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.config import ConfigError, PlatformConfig, StackFile, config_from_stack_file, read_stack_file
from tools.offline.estimate import Estimate
from tools.plan_folder import check_out, check_stack_name, remove_plan, staged

__all__ = ["ConfigError", "PlanError", "PlanResult", "plan_stack", "project_name", "project_root"]


class PlanError(RuntimeError):
    """The plan failed. ``str(err)`` is one line; ``problems`` holds every problem, one line each."""

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems or ("the plan failed",)
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more)" if more else ""))


@dataclass(frozen=True)
class PlanResult:
    stack: str
    out: Path  # the folder holding plan.json, manifests/, helm/, graph.dot
    resources: list[dict[str, Any]]  # plan.json's deployment.resources, in its order
    objects: int  # Kubernetes objects written to manifests/
    releases: int  # Helm releases written to helm/
    estimate: Estimate  # duration of `pulumi up` from scratch and its critical path
    kubernetes_version: str  # the version the manifests were validated against
    seconds: float  # wall time of the whole pipeline


def project_root() -> Path:
    """The folder holding ``Pulumi.yaml``: the current one or an ancestor, else this checkout."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    return Path(__file__).resolve().parent.parent


def project_name(root: Path) -> str:
    document = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    return str(document.get("name", "platform"))


def plan_stack(
    stack: str, config_file: Path | None = None, out: Path | None = None, root: Path | None = None
) -> PlanResult:
    """Plan ``stack`` offline from ``config_file`` (default ``<root>/stacks/Pulumi.<stack>.yaml``)
    into ``out`` (default ``<root>/build/plan/<stack>``); ``root`` defaults to ``project_root()``."""
    started = time.perf_counter()
    root = root or project_root()
    check_stack_name(stack)
    target = check_out(out or root / "build" / "plan" / stack, root)  # before anything runs
    try:
        stack_file = read_stack_file(config_file or root / "stacks" / f"Pulumi.{stack}.yaml")
        cfg = config_from_stack_file(stack_file)  # reject bad config before anything is registered
    except ConfigError:
        remove_plan(target)  # the older plan there no longer describes this stack file
        raise
    with staged(target) as stage:
        return _plan(stack, stack_file, cfg, root, target, stage, started)


def _plan(
    stack: str, stack_file: StackFile, cfg: PlatformConfig, root: Path, target: Path, stage: Path, started: float
) -> PlanResult:
    import pulumi

    from tools.offline import estimate, export, manifests, schema
    from tools.offline.engine import run_program
    from tools.offline.mocks import OfflineError

    try:
        recording = run_program(stack_file, stack, project_name(root))
    except pulumi.RunError as error:  # the program's own verdict on its configuration
        raise ConfigError(str(error)) from None
    except OfflineError as error:
        raise PlanError(str(error)) from None
    document = export.deployment(recording, aliases=True)
    resources = document["deployment"]["resources"]
    try:
        (stage / "plan.json").write_text(export.dumps(document), encoding="utf-8")
        made = manifests.objects_of(resources)
        objects, releases = manifests.write(resources, stage, made)
        (stage / "graph.dot").write_text(estimate.dot(resources), encoding="utf-8")
    except OSError as error:
        raise PlanError(f"cannot write the plan under {target.parent} ({error.strerror or error})") from None
    timing = estimate.estimate(resources)
    version = cfg.cluster.kubernetes_version
    problems = [
        f"manifest does not match the Kubernetes {version} schema: {problem}"
        for problem in (
            schema.validate(manifests.for_validation(r, made[r["urn"]]), version) for r in resources if r["urn"] in made
        )
        if problem is not None
    ]
    problems += [
        f"{len(urns)} resources declare the Kubernetes object {key}: {', '.join(urns)}"
        for key, urns in sorted(manifests.duplicates(resources, made).items())
    ]
    if problems:
        raise PlanError(*problems)
    return PlanResult(
        stack=stack,
        out=target,
        resources=resources,
        objects=objects,
        releases=releases,
        estimate=timing,
        kubernetes_version=version,
        seconds=time.perf_counter() - started,
    )
