"""Benchmark: the prod plan with 1x, 10x and 20x its services (a generated stack file).

Each size is planned in processes of its own: each process plans once to import everything it uses
(not timed), then ``--repeat`` more times, timed, each into a new folder (so no timed plan pays for
removing an earlier one). Sizes are interleaved over ``--rounds`` rounds (1x, 10x, 20x, 1x, 10x,
20x, ...), so a busy spell on the shared machine hits every size alike. The figure kept for a size is
the median over its timed plans of the CPU seconds per registered resource (the process's CPU time:
every thread, not the other processes on the machine, so it is steadier than wall time, which is shown
too), and the largest peak memory (max RSS) of its processes.

Targets: CPU seconds per resource at 20x at most 1.1 times that at 1x; peak memory at 20x under 500 MB.
Prints the figures and the verdicts; exits 0 either way (a measurement).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RATIO_LIMIT = 1.1
MEMORY_LIMIT_MB = 500

_CHILD = """
import gc, json, resource, sys, time
from pathlib import Path
from tools.plan import plan_stack
stack, config, out, repeat = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
full = [0]
gc.callbacks.append(lambda phase, info: full.__setitem__(0, full[0] + (phase == "start" and info["generation"] == 2)))
plan_stack(stack, config, out / "warm-up")
runs = []
for k in range(repeat):
    before, cpu, wall = full[0], time.process_time(), time.perf_counter()
    result = plan_stack(stack, config, out / f"run-{k}")
    runs.append({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall, "full_gc": full[0] - before})
n = sum(1 for r in result.resources if r["type"] != "pulumi:pulumi:Stack")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"resources": n, "runs": runs, "peak_mb": peak}))
"""


def scaled_stack(times: int) -> dict[str, Any]:
    """prod's stack file with each service copied so there are ``times`` of each."""
    from infra.config.services import DEFAULT_SERVICES

    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8"))
    config = document["config"]
    services = config.setdefault("platform:services", {}).setdefault("deployments", {})
    own = {name: {**copy.deepcopy(DEFAULT_SERVICES[name]), **copy.deepcopy(spec)} for name, spec in services.items()}
    for k in range(1, times):
        for name, spec in own.items():
            clone = copy.deepcopy(spec)
            clone.pop("tokens", None)  # one token issuer (the gateway's consumers trust one)
            if "port" in clone:
                clone["port"] = int(clone["port"]) + 100 * k
                clone["args"] = [a.replace(str(spec["port"]), str(clone["port"])) for a in clone.get("args", [])]
            if "metricsPort" in clone:
                clone["metricsPort"] = int(clone["metricsPort"]) + 10 * k
                clone["env"] = {**clone.get("env", {}), "WORKER_HEALTH_PORT": str(clone["metricsPort"])}
            clone["image"] = {"blue": str(spec.get("image", {}).get("blue", "1.0.0"))}
            services[f"{name}-c{k}"] = clone
    return document


def measure(times: int, folder: Path, repeat: int) -> dict[str, Any]:
    """One process planning the ``times``x stack: a warm-up plan, then ``repeat`` timed ones."""
    config = folder / f"Pulumi.prod-x{times}.yaml"
    if not config.exists():
        config.write_text(yaml.safe_dump(scaled_stack(times), sort_keys=False), encoding="utf-8")
    out = Path(tempfile.mkdtemp(prefix=f"plan-x{times}-", dir=folder))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, f"prod-x{times}", str(config), str(out), str(repeat)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the plan at {times}x failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(times: int, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The median figures of one size over all its processes' timed plans."""
    resources = samples[0]["resources"]
    runs = [run for sample in samples for run in sample["runs"]]
    return {
        "times": times,
        "resources": resources,
        "plans": len(runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu_ms": 1000 * statistics.median(r["cpu"] for r in runs) / resources,
        "cpu_ms_range": (
            1000 * min(r["cpu"] for r in runs) / resources,
            1000 * max(r["cpu"] for r in runs) / resources,
        ),
        "wall_ms": 1000 * statistics.median(r["wall"] for r in runs) / resources,
        "full_gc": statistics.median(r["full_gc"] for r in runs),
        "peak_mb": max(sample["peak_mb"] for sample in samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,20", help="multiples of the services, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="processes per size, interleaved (default 2)")
    parser.add_argument("--repeat", type=int, default=2, help="timed plans per process (default 2)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    samples: dict[int, list[dict[str, Any]]] = {times: [] for times in sizes}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        for _ in range(args.rounds):
            for times in sizes:
                samples[times].append(measure(times, Path(folder), args.repeat))
    rows = [summary(times, samples[times]) for times in sizes]
    base = rows[0]
    print(f"Scaling: prod with more services (median of {rows[0]['plans']} timed plans per size, imports done)")
    print(f"{'services':>9} {'resources':>9} {'CPU s':>7} {'CPU ms/res':>11} {'(min-max)':>12} {'x of 1x':>8} "
          f"{'wall ms/res':>12} {'x of 1x':>8} {'full GCs':>9} {'peak MB':>8}")  # fmt: skip
    for row in rows:
        low, high = row["cpu_ms_range"]
        print(f"{row['times'] * 3:>9} {row['resources']:>9} {row['cpu']:>7.2f} {row['cpu_ms']:>11.2f} "
              f"{f'{low:.2f}-{high:.2f}':>12} {row['cpu_ms'] / base['cpu_ms']:>8.2f} {row['wall_ms']:>12.2f} "
              f"{row['wall_ms'] / base['wall_ms']:>8.2f} {row['full_gc']:>9.0f} {row['peak_mb']:>8.0f}")  # fmt: skip
    last = rows[-1]
    ratio = last["cpu_ms"] / base["cpu_ms"]
    print(f"CPU time per resource {last['times']}x / 1x: {ratio:.2f} (target <= {RATIO_LIMIT}): "
          f"{'met' if ratio <= RATIO_LIMIT else 'NOT met'}")  # fmt: skip
    print(f"peak memory at {last['times']}x: {last['peak_mb']:.0f} MB (target < {MEMORY_LIMIT_MB}): "
          f"{'met' if last['peak_mb'] < MEMORY_LIMIT_MB else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
