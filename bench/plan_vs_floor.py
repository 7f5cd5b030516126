"""Benchmark: ``infra plan`` against the floor of Pulumi's mock runtime, side by side.

1. End to end, cold: ``infra plan --stack S`` as its own process, then ``bench/floor.py N`` as its own
   process with N = the number of resources the plan registered. Both start a fresh interpreter;
   the plan also pays for importing the typed SDK modules it uses (pulumi_aws, pulumi_kubernetes).
2. Warm, in one process: the plan run again with every module already imported, against the floor
   for the same N: the per-resource cost of the engine, components, wiring, export and manifests.

Prints both times and their ratios, and the plan's peak memory (max RSS of the plan process).
Target: ratio at most 5, peak memory under 500 MB; the verdict for each is printed (the command is a
measurement and exits 0 either way).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET_RATIO = 5.0
MEMORY_LIMIT_MB = 500


CPU_SECONDS: dict[str, list[float]] = {}


def _timed(cmd: list[str], label: str = "") -> tuple[float, float]:
    """Wall seconds and max RSS (MB) of one child process; its CPU seconds are kept under ``label``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if label:
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        CPU_SECONDS.setdefault(label, []).append(cpu)
    return elapsed, max(after.ru_maxrss, before.ru_maxrss) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench-plan-"))

    plan_cmd = [PYTHON, "-m", "tools.cli", "plan", "--stack", args.stack, "--out", str(out), "--quiet"]
    plan_runs = [_timed(plan_cmd, "plan") for _ in range(args.repeat)]
    plan_seconds = min(t for t, _ in plan_runs)
    plan_peak = max(m for _, m in plan_runs)
    resources = json.loads((out / "plan.json").read_text())["deployment"]["resources"]
    n = sum(1 for r in resources if r["type"] != "pulumi:pulumi:Stack")
    floor_seconds = min(
        _timed([PYTHON, str(ROOT / "bench" / "floor.py"), str(n)], "floor")[0] for _ in range(args.repeat)
    )

    # Warm: same process, modules imported, each measured once to warm up; then plan, floor and the
    # typed floor alternate, so a slow patch of the machine hits all three, and the median ratio is kept.
    sys.path.insert(0, str(ROOT))
    from bench.floor import register, register_typed
    from tools.plan import plan_stack

    plan_stack(args.stack, out=out)
    register(n)
    register_typed(n)
    plans, floors, typed = [], [], []
    for _ in range(max(args.repeat, 5)):
        plans.append(_in_process(lambda: plan_stack(args.stack, out=out)))
        floors.append(register(n))
        typed.append(register_typed(n))
    warm_plan, warm_floor, warm_typed = min(plans), min(floors), min(typed)
    warm_ratio = statistics.median(p / f for p, f in zip(plans, floors, strict=True))
    typed_ratio = statistics.median(t / f for t, f in zip(typed, floors, strict=True))

    ratio = plan_seconds / floor_seconds
    print(f"stack {args.stack}: {n} resources registered")
    print(
        f"end to end (fresh processes)  infra plan {plan_seconds:6.2f} s   floor {floor_seconds:6.2f} s   "
        f"ratio {ratio:4.1f}  (target <= {TARGET_RATIO:.0f})"
    )
    print(
        f"warm (modules imported)       infra plan {warm_plan:6.2f} s   floor {warm_floor:6.2f} s   "
        f"ratio {warm_ratio:4.1f} (median of {len(plans)})   {1000 * warm_plan / n:.1f} ms vs "
        f"{1000 * warm_floor / n:.1f} ms per resource"
    )
    print(
        f"  for reference, {n} typed aws.ec2.Subnet and nothing else: {warm_typed:.2f} s, {typed_ratio:.1f}x the "
        "floor (what the typed SDK classes cost before any component, wiring or export)"
    )
    plan_cpu, floor_cpu = min(CPU_SECONDS["plan"]), min(CPU_SECONDS["floor"])
    print(
        f"end to end, CPU seconds (steadier on a shared machine): infra plan {plan_cpu:.2f} s, floor "
        f"{floor_cpu:.2f} s, ratio {plan_cpu / floor_cpu:.1f}"
    )
    print(f"peak memory of infra plan: {plan_peak:.0f} MB (limit {MEMORY_LIMIT_MB} MB)")
    # The typed SDK modules the program imported: a fresh process that imports only them (no resource,
    # no engine) is the part of the end-to-end time no code of this project can remove.
    sdk = sorted(
        {
            ".".join(m.split(".")[:3] if m.startswith("pulumi_kubernetes.") else m.split(".")[:2])
            for m in sys.modules
            if m.startswith(("pulumi_aws.", "pulumi_kubernetes.", "pulumi_random"))
            and not m.split(".")[-1].startswith("_")
        }
    )
    import_seconds = min(_timed([PYTHON, "-c", "import pulumi, " + ", ".join(sdk)])[0] for _ in range(args.repeat))
    print(
        f"importing the {len(sdk)} typed SDK modules the program uses, nothing else: {import_seconds:.2f} s "
        f"({import_seconds / floor_seconds:.1f}x the floor); end to end beyond that: "
        f"{plan_seconds - import_seconds:.2f} s, {(plan_seconds - import_seconds) / floor_seconds:.1f}x the floor"
    )
    print(
        f"target ratio <= {TARGET_RATIO:.0f}: warm {'met' if warm_ratio <= TARGET_RATIO else 'NOT met'}, "
        f"end to end {'met' if ratio <= TARGET_RATIO else 'NOT met'}; "
        f"memory {'met' if plan_peak < MEMORY_LIMIT_MB else 'NOT met'}"
    )
    sys.stdout.flush()
    os._exit(0)


def _in_process(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
