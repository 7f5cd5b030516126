"""The rendered diff the pipeline posts on pull requests (tools/render/diff.py, .github/scripts/render-diff.sh)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tools.render.diff import diff

SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "scripts" / "render-diff.sh"


def write(root: Path, release: str, name: str, text: str) -> None:
    (root / release).mkdir(parents=True, exist_ok=True)
    (root / release / name).write_text(text, encoding="utf-8")


def test_each_release_gets_its_counts_and_a_unified_diff(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "nginx", "configmap_a_conf.yaml", "data:\n  lb-method: round_robin\n")
    write(head, "nginx", "configmap_a_conf.yaml", "data:\n  lb-method: least_conn\n")
    write(base, "kong", "deployment_k_kong.yaml", "image: kong:3.9\n")
    write(head, "kong", "deployment_k_kong.yaml", "image: kong:3.9\n")
    write(head, "kong", "service_k_proxy.yaml", "port: 8000\n")
    write(base, "gone", "job_x_once.yaml", "kind: Job\n")
    text = diff(base, head, "prod")
    assert "- `nginx`: 0 added, 0 removed, 1 changed" in text
    assert "-  lb-method: round_robin" in text and "+  lb-method: least_conn" in text
    assert "- `kong`: 1 added, 0 removed, 0 changed" in text and "+port: 8000" in text
    assert "- `gone`: 0 added, 1 removed, 0 changed" in text
    assert "deployment_k_kong" not in text  # unchanged objects are not shown


def test_unchanged_releases_say_so_and_long_diffs_are_cut(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "same", "a.yaml", "x: 1\n")
    write(head, "same", "a.yaml", "x: 1\n")
    write(head, "big", "b.yaml", "".join(f"line{i}: {i}\n" for i in range(50)))
    text = diff(base, head, max_lines=10)
    assert "- `same`: unchanged (1 objects)" in text
    assert "more lines" in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_the_script_parses() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0


def test_pull_requests_render_and_check_every_release_and_post_the_rendered_diff() -> None:
    import yaml

    pipeline = yaml.safe_load((SCRIPT.parents[1] / "workflows" / "pipeline.yml").read_text(encoding="utf-8"))
    steps = pipeline["jobs"]["integration"]["steps"]
    (step,) = [s for s in steps if "render-diff.sh" in str(s.get("run", ""))]
    assert step["if"] == "github.event_name == 'pull_request'"
    assert "make helm" in step["run"] and "dev staging prod" in step["run"]
    ci_run = (SCRIPT.parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert ci_run.index("make helm") < ci_run.index("make test")
