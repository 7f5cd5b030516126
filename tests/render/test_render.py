"""infra render over a chart written for the tests (tests/fixtures/charts/demo-0.1.0), and the rules
over what it renders."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.cli import run
from tools.render import charts, exceptions, rendered_check
from tools.render.exceptions import RuleException
from tools.render.render import read_rendered, render
from tools.render.values import unknown_keys

CHARTS = Path(__file__).resolve().parents[1] / "fixtures" / "charts"
STACK = "urn:pulumi:test::platform"
GOOD_VALUES: dict[str, Any] = {
    "replicaCount": 2,
    "config": {"greeting": "hello", "anything-at-all": "accepted"},  # an open map
    "podAnnotations": {"example.com/owner": "platform"},
    "server": {"logLevel": "debug", "extraFlag": "--verbose"},  # a commented example the templates read
    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
}


def plan(values: dict[str, Any], chart: str = "demo", version: str = "0.1.0") -> list[dict[str, Any]]:
    return [
        {"urn": f"{STACK}::aws:eks/cluster:Cluster::cluster", "type": "aws:eks/cluster:Cluster", "custom": True,
         "inputs": {"version": "1.35"}},
        {"urn": f"{STACK}::kubernetes:helm.sh/v3:Release::demo", "type": "kubernetes:helm.sh/v3:Release",
         "custom": True, "dependencies": [],
         "inputs": {"name": "demo", "namespace": "apps", "chart": chart, "version": version,
                    "repositoryOpts": {"repo": "https://charts.example.com"}, "values": values}},
    ]  # fmt: skip


def rendered(tmp_path: Path, values: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    resources = plan(values)
    render(resources, tmp_path / "out", charts_dir=CHARTS, pull=False)
    return resources, read_rendered(tmp_path / "out")


def test_renders_each_object_to_its_own_file_with_the_release_namespace(helm: str, tmp_path: Path) -> None:
    result = render(plan(GOOD_VALUES), tmp_path / "out", charts_dir=CHARTS, pull=False)
    (release,) = result.releases
    assert release.status == "rendered" and not release.unknown, release.line()
    assert release.line() == "demo (demo 0.1.0): rendered 4 objects"
    files = sorted(p.name for p in (tmp_path / "out" / "demo").iterdir())
    assert files == [
        "configmap_apps_demo-config.yaml", "customresourcedefinition_widgets.demo.example.com.yaml",
        "deployment_apps_demo.yaml", "widget_apps_demo-widget.yaml",
    ]  # fmt: skip
    config_map = yaml.safe_load((tmp_path / "out" / "demo" / "configmap_apps_demo-config.yaml").read_text())
    assert config_map["data"] == {"greeting": "hello", "anything-at-all": "accepted"}
    deployment = yaml.safe_load((tmp_path / "out" / "demo" / "deployment_apps_demo.yaml").read_text())
    assert deployment["metadata"]["namespace"] == "apps" and deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"][-1] == "--verbose"
    # The CRD the chart installs is served to the second pass (Capabilities.APIVersions).
    assert "demo.example.com/v1/Widget" in result.api_versions


def test_unknown_top_level_and_misspelt_nested_keys_are_named_with_the_nearest_key() -> None:
    chart = charts.load(CHARTS / "demo-0.1.0")
    values = {**GOOD_VALUES, "replicaCont": 3, "server": {"logLevle": "debug"}}
    found = {(u.path, u.nearest) for u in unknown_keys("demo", chart, values)}
    assert found == {("replicaCont", "replicaCount"), ("server.logLevle", "server.logLevel")}


def test_open_maps_kubernetes_fields_and_read_commented_examples_are_accepted() -> None:
    chart = charts.load(CHARTS / "demo-0.1.0")
    assert unknown_keys("demo", chart, GOOD_VALUES) == []
    # A commented example the templates do not read is not a key.
    assert [u.path for u in unknown_keys("demo", chart, {"server": {"verbose": True}})] == ["server.verbose"]


def test_the_packed_chart_reads_like_the_folder(tmp_path: Path) -> None:
    import tarfile

    with tarfile.open(tmp_path / "demo-0.1.0.tgz", "w:gz") as archive:
        archive.add(CHARTS / "demo-0.1.0", arcname="demo")
    found = charts.find_local("demo", "0.1.0", [tmp_path])
    assert found == tmp_path / "demo-0.1.0.tgz"
    packed = charts.load(found)
    assert packed.version == "0.1.0" and packed.values() == charts.load(CHARTS / "demo-0.1.0").values()


def test_a_misspelt_key_exits_1_naming_it(helm: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_file = tmp_path / "plan.json"
    values = {**GOOD_VALUES, "server": {"logLevle": "debug"}}
    plan_file.write_text(json.dumps({"version": 3, "deployment": {"resources": plan(values)}}))
    code = run(
        ["render", "--plan", str(plan_file), "--charts-dir", str(CHARTS), "--out", str(tmp_path / "o"), "--no-pull"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "values key server.logLevle is unknown to chart demo (nearest known key: server.logLevel)" in out


def test_a_missing_chart_is_reported_not_crashed_on(
    helm: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"version": 3, "deployment": {"resources": plan({}, chart="absent")}}))
    code = run(
        ["render", "--plan", str(plan_file), "--charts-dir", str(CHARTS), "--out", str(tmp_path / "o"), "--no-pull"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "demo (absent 0.1.0): chart not available (not in " in out


def test_bad_input_exits_2(tmp_path: Path) -> None:
    assert run(["render", "--plan", str(tmp_path / "none.json")]) == 2
    assert run(["render", "--stack", "prod", "--plan", str(tmp_path / "none.json")]) == 2


def test_a_rendered_container_without_limits_is_caught(helm: str, tmp_path: Path) -> None:
    values = copy.deepcopy(GOOD_VALUES)
    values["resources"] = {"requests": {"cpu": "50m", "memory": "64Mi"}}
    resources, releases = rendered(tmp_path, values)
    result = rendered_check.check_rendered(resources, releases, "1.35")
    messages = {(v.policy, v.message) for v in result.violations}
    assert ("container-resources-in-range", "container server has no limits.cpu") in messages
    assert result.failed


def test_an_excepted_container_passes_with_its_reason(
    helm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = copy.deepcopy(GOOD_VALUES)
    values.pop("resources")
    entry = RuleException("demo", "container-resources-in-range", "Deployment", "demo", "container server *",
                          "the demo server is sized by the test")  # fmt: skip
    monkeypatch.setattr(exceptions, "EXCEPTIONS", (entry,))
    monkeypatch.setattr(rendered_check, "EXCEPTIONS", (entry,))
    resources, releases = rendered(tmp_path, values)
    result = rendered_check.check_rendered(resources, releases, "1.35")
    assert result.violations == [] and not result.failed
    assert {e.reason for _, e in result.excepted} == {"the demo server is sized by the test"}
    assert "reason: the demo server is sized by the test" in rendered_check.format_text(result)


def test_clean_render_passes_and_custom_resources_are_checked_against_their_crd(helm: str, tmp_path: Path) -> None:
    resources, releases = rendered(tmp_path, GOOD_VALUES)
    assert rendered_check.check_rendered(resources, releases, "1.35").schema_problems == []
    resources, releases = rendered(tmp_path, {**GOOD_VALUES, "widget": {"size": 0}})
    problems = rendered_check.check_rendered(resources, releases, "1.35").schema_problems
    assert len(problems) == 1 and "Widget" in problems[0] and "spec.size" in problems[0]


def test_secret_values_are_not_written_and_two_renders_are_identical(helm: str, tmp_path: Path) -> None:
    from tools.render.render import REDACTED, _redact

    secret = {"kind": "Secret", "data": {"tls.key": "c2VjcmV0"}, "metadata": {"name": "s"}}
    assert _redact(secret)["data"] == {"tls.key": REDACTED}
    webhook = {"kind": "ValidatingWebhookConfiguration", "webhooks": [{"clientConfig": {"caBundle": "Zm9v"}}]}
    assert "Zm9v" not in json.dumps(_redact(webhook))
    render(plan(GOOD_VALUES), tmp_path / "a", charts_dir=CHARTS, pull=False)
    render(plan(GOOD_VALUES), tmp_path / "b", charts_dir=CHARTS, pull=False)
    assert {p.name: p.read_text() for p in (tmp_path / "a" / "demo").iterdir()} == {
        p.name: p.read_text() for p in (tmp_path / "b" / "demo").iterdir()
    }


def test_an_istio_chart_s_wrapped_defaults_and_profile_are_known() -> None:
    """Istio's charts keep their defaults under ``_internal_defaults_do_not_set`` (set at the top level)
    and pick ``files/profile-<name>.yaml`` from ``profile``: both known, a misspelt key still named."""
    values = b"_internal_defaults_do_not_set:\n  replicaCount: 1\n  global:\n    logAsJson: false\n  cni:\n    x: 1\n"
    template = b"{{- with (coalesce ($.Values).profile ($.Values.global).profile) }}{{ . }}{{- end }}\n"
    chart = charts.Chart(Path("istiod"), {"Chart.yaml": b"name: istiod\nversion: 1.30.3\n", "values.yaml": values,
                                   "templates/zzz_profile.yaml": template})  # fmt: skip
    good = {"profile": "ambient", "replicaCount": 2, "global": {"logAsJson": True}}
    assert unknown_keys("istiod", chart, good) == []
    assert [u.path for u in unknown_keys("istiod", chart, {"replicaCont": 2, "cni": {"y": 1}})] == [
        "replicaCont",
        "cni.y",
    ]
