"""Benchmark: the prod plan with 1x, 10x and 20x its services (a generated stack file).

Each size is planned in its own process: the plan once to import everything it uses, then again,
timed; the figure kept is the second plan's seconds per registered resource, and the process's peak
memory (max RSS). Copies of each of prod's services get their own name and port (``<service>-c<k>``);
everything else is prod's stack file unchanged.

Targets: seconds per resource at 20x at most 1.1 times that at 1x; peak memory at 20x under 500 MB.
Prints the figures and the verdicts; exits 0 either way (a measurement).
"""

from __future__ import annotations

import argparse
import copy
import json
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
import json, resource, sys, time
from pathlib import Path
from tools.plan import plan_stack
stack, config, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
plan_stack(stack, config, out)
started = time.perf_counter()
result = plan_stack(stack, config, out)
seconds = time.perf_counter() - started
n = sum(1 for r in result.resources if r["type"] != "pulumi:pulumi:Stack")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"resources": n, "seconds": seconds, "peak_mb": peak}))
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


def measure(times: int, folder: Path) -> dict[str, Any]:
    config = folder / f"Pulumi.prod-x{times}.yaml"
    config.write_text(yaml.safe_dump(scaled_stack(times), sort_keys=False), encoding="utf-8")
    out = folder / f"plan-x{times}"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, f"prod-x{times}", str(config), str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the plan at {times}x failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["times"] = times
    result["ms_per_resource"] = 1000 * result["seconds"] / result["resources"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,20", help="multiples of the services, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        rows = [measure(times, Path(folder)) for times in sizes]
    base = rows[0]["ms_per_resource"]
    print("Scaling: prod with more services (second plan in a process, imports done)")
    print(f"{'services':>9} {'resources':>9} {'plan s':>8} {'ms/resource':>12} {'x of 1x':>8} {'peak MB':>8}")
    for row in rows:
        ratio = row["ms_per_resource"] / base
        print(f"{row['times'] * 3:>9} {row['resources']:>9} {row['seconds']:>8.2f} {row['ms_per_resource']:>12.2f} "
              f"{ratio:>8.2f} {row['peak_mb']:>8.0f}")  # fmt: skip
    last = rows[-1]
    ratio = last["ms_per_resource"] / base
    print(f"per-resource time {last['times']}x / 1x: {ratio:.2f} (target <= {RATIO_LIMIT}): "
          f"{'met' if ratio <= RATIO_LIMIT else 'NOT met'}")  # fmt: skip
    print(f"peak memory at {last['times']}x: {last['peak_mb']:.0f} MB (target < {MEMORY_LIMIT_MB}): "
          f"{'met' if last['peak_mb'] < MEMORY_LIMIT_MB else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
