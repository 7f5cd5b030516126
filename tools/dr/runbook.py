"""``infra dr plan``: the runbook for losing the primary region, timed against the RTO.

The DR stack is the stack's own program pointed at the backup region with ``platform:restore`` set, so
the plan of the stack is the plan of its DR stack: its ``pulumi up`` is estimated over the same graph
with the datastores weighted by their restore times (``tools.offline.estimate.RESTORE_SECONDS``). The
steps around it come from ``RECOVERY_STEP_SECONDS``. The steps run one after the other; inside
``pulumi up`` Pulumi creates in parallel what does not wait on something else, so each phase is shown
with the minute it is done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tools.offline.estimate import RECOVERY_STEP_SECONDS, RESTORED_SECONDS, estimate, schedule

# The top-level component's module (its type token platform:<module>:<Class>) -> the runbook's phase.
PHASES: dict[str, str] = {
    "network": "network",
    "cluster": "cluster",
    "addons": "cluster add-ons",
    "monitoring": "cluster add-ons",
    "workload_namespace": "cluster add-ons",
    "datastores": "datastores restored from the copies, in parallel",
    "ingress": "edge",
    "gateway": "edge",
    "service": "services",
}
PHASE_ORDER = ("network", "cluster", "cluster add-ons", PHASES["datastores"], "edge", "services")


@dataclass(frozen=True)
class Step:
    title: str
    minutes: float
    detail: str = ""
    phases: tuple[tuple[str, float], ...] = ()  # inside `pulumi up`: (phase, minute it is done)


@dataclass(frozen=True)
class Runbook:
    stack: str
    region: str
    backup_region: str
    rto_minutes: int
    steps: tuple[Step, ...]
    critical_path: tuple[str, ...]  # logical names, first to last, inside `pulumi up`

    @property
    def total_minutes(self) -> float:
        return sum(step.minutes for step in self.steps)

    @property
    def within(self) -> bool:
        return self.total_minutes <= self.rto_minutes


def _phase_of(resources: list[dict[str, Any]]) -> dict[str, str]:
    by_urn = {r["urn"]: r for r in resources}
    stack_urn = resources[0]["urn"] if resources else ""
    phases: dict[str, str] = {}
    for r in resources:
        node: dict[str, Any] | None = r
        phase = ""
        while node is not None:
            if node.get("parent") == stack_urn and not node.get("custom"):
                module = node["type"].split(":")[1] if node["type"].count(":") >= 2 else ""
                phase = PHASES.get(module, "other")
                break
            node = by_urn.get(node.get("parent", ""))
        if phase:
            phases[r["urn"]] = phase
    return phases


def runbook(stack: str, resources: list[dict[str, Any]], region: str, backup_region: str, rto_minutes: int) -> Runbook:
    timing = estimate(resources, RESTORED_SECONDS)
    finish, _ = schedule(resources, RESTORED_SECONDS)
    done: dict[str, float] = {}
    for urn, phase in _phase_of(resources).items():
        if urn in finish:
            done[phase] = max(done.get(phase, 0.0), finish[urn])
    order = [p for p in PHASE_ORDER if p in done] + sorted(set(done) - set(PHASE_ORDER))
    up = Step(
        f"`pulumi up` of the DR stack in {backup_region} from the copies",
        timing.total_seconds / 60,
        "network, cluster, datastores restored from snapshots in parallel, edge, services",
        tuple((p, done[p] / 60) for p in order),
    )
    steps = (
        Step(
            f"declare {region} lost; switch the DR stack's config",
            RECOVERY_STEP_SECONDS["switch-config"] / 60,
            f"platform:region: {backup_region}; platform:restore: postgres and documentdb from latest, "
            "redis from its newest snapshot, bucketsFromReplica: true",
        ),
        up,
        Step(
            "DNS cut-over",
            RECOVERY_STEP_SECONDS["dns-cut-over"] / 60,
            "the DR stack's alias record for the hostnames: Route 53 propagation + the alias TTL",
        ),
        Step("verify", RECOVERY_STEP_SECONDS["verify"] / 60, "`infra dr verify --stack <dr stack>`, smoke checks"),
    )
    path = tuple(urn.rsplit("::", 1)[-1] for urn in timing.critical_path)
    return Runbook(stack, region, backup_region, rto_minutes, steps, path)


def format_text(book: Runbook) -> str:
    lines = [f"Recovery runbook of stack {book.stack!r}: losing {book.region}, recovering in {book.backup_region}"]
    for number, step in enumerate(book.steps, start=1):
        lines.append(f"{number}. {step.title}: {step.minutes:.0f} min")
        if step.detail:
            lines.append(f"     {step.detail}")
        for phase, minute in step.phases:
            lines.append(f"     - {phase}: done at minute {minute:.0f}")
        if step.phases:
            lines.append(f"     critical path: {' -> '.join(book.critical_path)}")
    verdict = "within" if book.within else "OVER"
    lines.append(f"Estimated recovery: {book.total_minutes:.0f} min, {verdict} the RTO of {book.rto_minutes} min")
    return "\n".join(lines)


def format_json(book: Runbook) -> str:
    return json.dumps(
        {
            "stack": book.stack,
            "region": book.region,
            "backupRegion": book.backup_region,
            "rtoMinutes": book.rto_minutes,
            "totalMinutes": round(book.total_minutes, 1),
            "within": book.within,
            "steps": [
                {
                    "title": s.title,
                    "minutes": round(s.minutes, 1),
                    "detail": s.detail,
                    "phases": [{"phase": p, "doneAtMinute": round(m, 1)} for p, m in s.phases],
                }
                for s in book.steps
            ],
            "criticalPath": list(book.critical_path),
        },
        indent=2,
    )
