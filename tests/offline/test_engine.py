"""The offline engine itself: plan.json shape, determinism, secrets, integers, manifests, schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from tests.conftest import STACKS
from tests.support import ROOT, load_plan
from tools.offline import export, schema
from tools.offline.engine import record


def test_plan_has_the_stack_export_shape(planned: Any) -> None:
    out, resources = planned("prod")
    document = json.loads((out / "plan.json").read_text())
    assert document["version"] == 3
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    for r in resources[1:]:
        assert {"urn", "type", "custom", "inputs", "outputs", "parent"} <= set(r)
        assert r["urn"].startswith("urn:pulumi:prod::platform::")
        if r["custom"]:
            assert r["id"]


def test_urns_carry_the_whole_parent_type_chain(planned: Any) -> None:
    _, resources = planned("prod")
    subnet = next(r for r in resources if r["type"] == "aws:ec2/subnet:Subnet")
    assert "::platform:network:Network$aws:ec2/subnet:Subnet::" in subnet["urn"]
    assert subnet["parent"] == "urn:pulumi:prod::platform::platform:network:Network::network"


def test_two_plans_of_the_same_code_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for i in range(2):
        out = tmp_path / str(i)
        subprocess.run(
            [sys.executable, "-m", "tools.cli", "plan", "-s", "dev", "--out", str(out), "-q"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
        outputs.append(out)
    assert (outputs[0] / "plan.json").read_bytes() == (outputs[1] / "plan.json").read_bytes()
    names = sorted(p.name for p in (outputs[0] / "manifests").iterdir())
    assert names == sorted(p.name for p in (outputs[1] / "manifests").iterdir())
    for name in names:
        assert (outputs[0] / "manifests" / name).read_bytes() == (outputs[1] / "manifests" / name).read_bytes()


def test_integers_come_back_as_integers(planned: Any) -> None:
    _, resources = planned("prod")
    group = next(r for r in resources if r["type"] == "aws:eks/nodeGroup:NodeGroup")
    assert all(isinstance(v, int) for v in group["inputs"]["scalingConfig"].values())


def test_secrets_never_reach_the_files(tmp_path: Path) -> None:
    import pulumi_random  # noqa: F401 - registered below under a plain resource type

    def program() -> None:
        pulumi.export("token", pulumi.Output.secret("hunter2-plain-secret"))
        pulumi.CustomResource(
            "test:index:Thing",
            "thing",
            {"password": pulumi.Output.secret("s3cr3t-value"), "nested": {"key": pulumi.Output.secret("deep-s3cr3t")}},
        )

    document = export.deployment(record(program, project="platform", stack="t"))
    text = export.dumps(document)
    for plain in ("hunter2-plain-secret", "s3cr3t-value", "deep-s3cr3t"):
        assert plain not in text
    thing = next(r for r in document["deployment"]["resources"] if r["type"] == "test:index:Thing")
    assert export.is_secret_placeholder(thing["inputs"]["password"])
    assert export.is_secret_placeholder(thing["outputs"]["password"])


@pytest.mark.parametrize("stack", STACKS)
def test_manifests_are_one_object_per_file_and_schema_valid(planned: Any, stack: str) -> None:
    out, resources = planned(stack)
    files = sorted((out / "manifests").glob("*.yaml"))
    k8s_objects = [
        r
        for r in resources
        if r["type"].startswith("kubernetes:") and r["custom"] and r["type"] != "kubernetes:helm.sh/v3:Release"
    ]
    assert len(files) == len(k8s_objects) > 0
    version = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]["platform:cluster"][
        "kubernetesVersion"
    ]
    from tools.offline.manifests import manifest

    for path in files:  # every written file, a Secret's placeholders included
        (obj,) = list(yaml.safe_load_all(path.read_text()))
        assert schema.validate(obj, version) is None, path.name
    for resource in k8s_objects:
        obj = manifest(resource, drop_secrets=True)
        assert schema.validate(obj, version) is None, obj["metadata"]["name"]


def test_schema_validation_catches_a_wrong_field_and_a_float_port() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 8001.5}], "selector": {"app": "x"}},
    }
    problem = schema.validate(service, "1.35")
    assert problem is not None and "spec.ports.0.port" in problem.message
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "datta": {}}
    assert schema.validate(bad, "1.35") is not None
    custom = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "x"}, "spec": {}}
    assert schema.validate(custom, "1.35") is None, "custom resources are the CRD's business"


def test_plan_summary_names_components_and_output(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tools.cli", "plan", "-s", "staging", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "  network (" in run.stdout and "  cluster (" in run.stdout
    assert str(tmp_path / "plan.json") in run.stdout
    assert "aws:ec2/subnet:Subnet" in run.stdout
    assert load_plan(tmp_path)[0]["type"] == "pulumi:pulumi:Stack"
    assert "Estimated `pulumi up`" in run.stdout


def test_two_resources_declaring_one_kubernetes_object_are_caught() -> None:
    from tools.offline import manifests

    def namespace(urn: str) -> dict[str, Any]:
        return {
            "urn": urn,
            "type": "kubernetes:core/v1:Namespace",
            "custom": True,
            "inputs": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}},
        }

    found = manifests.duplicates([namespace("urn:a"), namespace("urn:b")])
    assert found == {"Namespace/-/apps": ["urn:a", "urn:b"]}
    assert manifests.duplicates([namespace("urn:a")]) == {}


def test_a_secret_with_secret_data_is_written_with_a_placeholder_per_key() -> None:
    import pulumi_kubernetes as k8s

    from tools.offline.manifests import REDACTED, manifest

    def program() -> None:
        k8s.core.v1.Secret(
            "creds",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="creds", namespace="apps"),
            type="Opaque",
            string_data={"username": "svc", "password": pulumi.Output.secret("pl41n-pa55")},
        )

    document = export.deployment(record(program, project="platform", stack="t"))
    assert "pl41n-pa55" not in export.dumps(document)
    secret = next(r for r in document["deployment"]["resources"] if r["type"] == "kubernetes:core/v1:Secret")
    assert set(secret["inputs"]["stringData"]) == {"username", "password"}
    assert all(export.is_secret_placeholder(v) for v in secret["inputs"]["stringData"].values())
    obj = manifest(secret)
    assert obj["stringData"] == {"password": REDACTED, "username": REDACTED}
    assert schema.validate(obj, "1.35") is None


@pytest.mark.parametrize(
    "document",
    [
        {"b": [1, 2.5, None, True], "a": {"z": "x", "y": -3}},
        {"text": "caf\u00e9 \u2013 na\u00efve"},  # json escapes non-ASCII: the same escapes here
        {"big": 2**70, "small": -(2**63)},  # beyond orjson's 64 bits: json's way
        {"nested": [[{"k": "v"}], []], "empty": {}},
    ],
)
def test_plan_json_is_what_json_writes_indented_sorted_and_ascii(document: dict[str, Any]) -> None:
    text = export.dumps(document)
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert text.isascii() and json.loads(text) == document


def test_a_float_outside_the_plain_range_is_the_same_number() -> None:
    document = {"tiny": 1e-05, "huge": 1e16, "mid": 0.95}
    assert json.loads(export.dumps(document)) == document


def test_the_stacks_plans_are_written_as_json_writes_them(planned: Any) -> None:
    for stack in STACKS:
        out, _ = planned(stack)
        text = (out / "plan.json").read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n", stack
