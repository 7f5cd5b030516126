"""The add-on base: every chart pinned exactly in its own module, and what ``HelmAddOn`` gives each add-on
(namespace with Pod Security labels, IRSA role, atomic release of the pinned chart, ordering, moved aliases)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

import components.addons
from components.addons import PINS
from components.addons.base import AddOnArgs, ChartPin, HelmAddOn, unknown_keys
from components.contracts import ClusterIdentity
from tests.support import Resource, build, of_type, one, policy
from tools.offline import engine

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+$")
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
IDENTITY = ClusterIdentity(
    oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    oidc_issuer_url=ISSUER,
)


def addon_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(components.addons.__path__) if m.name not in ("base", "__init__")]
    return [importlib.import_module(f"components.addons.{name}") for name in sorted(names)]


# -- every add-on module ----------------------------------------------------------------------------
def test_there_are_add_on_modules() -> None:
    assert len(addon_modules()) >= 8


@pytest.mark.parametrize("module", addon_modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_each_module_pins_its_chart_exactly_and_builds_on_the_base(module: ModuleType) -> None:
    pin = module.PIN
    assert isinstance(pin, ChartPin)
    assert any(p is pin for p in PINS), f"{module.__name__}.PIN is not in components.addons.PINS"
    assert EXACT_VERSION.match(pin.version), f"{pin.chart}: {pin.version!r} is not an exact version"
    assert EXACT_VERSION.match(pin.app_version) or re.match(r"^v?\d+\.\d+$", pin.app_version), pin.app_version
    assert pin.repository.startswith("https://"), pin.repository
    assert pin.known_keys and pin.free_form <= pin.known_keys
    classes = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if c.__module__ == module.__name__ and issubclass(c, HelmAddOn)
    ]
    assert len(classes) == 1, f"{module.__name__}: {classes}"
    assert classes[0].PIN is pin


def test_pins_are_the_modules_pins_once_each() -> None:
    assert len(PINS) == len(addon_modules())
    assert len({p.chart for p in PINS}) == len(PINS)


# -- ChartPin.unknown_keys ------------------------------------------------------------------------------
PIN = ChartPin(
    chart="tiny",
    version="1.2.3",
    repository="https://charts.example.com",
    app_version="v1.2.3",
    known_keys=frozenset({"replicaCount", "serviceAccount.name", "serviceAccount.annotations", "resources"}),
    free_form=frozenset({"serviceAccount.annotations", "resources"}),
)


def test_known_keys_pass() -> None:
    values = {"replicaCount": 2, "serviceAccount": {"name": "tiny-sa"}}
    assert PIN.unknown_keys(values) == [] == unknown_keys(PIN, values)


def test_a_key_the_chart_does_not_know_is_reported() -> None:
    values = {"replicaCount": 2, "replicas": 2, "serviceAccount": {"name": "tiny-sa", "nmae": "typo"}}
    assert PIN.unknown_keys(values) == ["replicas", "serviceAccount.nmae"]
    assert unknown_keys(PIN, values) == ["replicas", "serviceAccount.nmae"]


def test_children_of_free_form_keys_are_not_checked() -> None:
    values = {
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn", "anything": {"deep": 1}}},
        "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}},
    }
    assert PIN.unknown_keys(values) == []


def test_a_free_form_key_is_itself_checked() -> None:
    free = ChartPin("c", "1.0.0", "https://x", "1.0.0", known_keys=frozenset({"a"}), free_form=frozenset({"extra"}))
    assert free.unknown_keys({"extra": {"k": "v"}}) == ["extra"]


# -- a tiny add-on on the base ------------------------------------------------------------------------
@dataclass(frozen=True)
class TinyArgs(AddOnArgs):
    identity: ClusterIdentity


class Tiny(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: TinyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        namespace = self._namespace(f"{name}-ns", "tiny", enforce="baseline", warn="restricted", audit="restricted")
        self._role(
            f"{name}-irsa",
            args.identity,
            "tiny",
            "tiny-sa",
            [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::tiny/*"}],
            description="tiny (IRSA)",
        )
        self._install(name, "tiny-release", {"replicaCount": 2, "serviceAccount": {"name": "tiny-sa"}}, [namespace])
        self._publish()


@contextmanager
def recorded_aliases() -> Iterator[dict[tuple[str, str], list[Any]]]:
    """Aliases of each registered resource, by (type, name), as the SDK sent them to the monitor (the
    plan does not keep them)."""
    seen: dict[tuple[str, str], list[Any]] = {}
    original: Callable[..., Any] = engine.RecordingMonitor.RegisterResource

    def register(self: engine.RecordingMonitor, request: Any) -> Any:
        seen[(request.type, request.name)] = list(request.aliases)
        return original(self, request)

    engine.RecordingMonitor.RegisterResource = register  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        engine.RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]


Aliases = dict[tuple[str, str], list[Any]]
Built = tuple[list[Resource], Aliases]


@pytest.fixture(scope="module")
def tiny() -> Built:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        Tiny(
            "tiny",
            TinyArgs(provider, identity=IDENTITY, moved={"tiny": pulumi.Alias(name="old-tiny")}),
            opts=pulumi.ResourceOptions(depends_on=[crds]),
        )

    with recorded_aliases() as aliases:
        resources = build(program)
    return resources, aliases


def test_type_token_is_platform_addons_class(tiny: Built) -> None:
    resources, _ = tiny
    component = one(resources, "platform:addons:Tiny")
    children = [r for r in resources if r.get("parent") == component["urn"]]
    assert {r["type"] for r in children} == {
        "kubernetes:core/v1:Namespace",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "kubernetes:helm.sh/v3:Release",
    }


def test_namespace_has_the_pod_security_labels_asked_for(tiny: Built) -> None:
    resources, _ = tiny
    metadata = one(resources, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert metadata["name"] == "tiny"
    assert metadata["labels"] == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def test_irsa_role_is_trusted_by_exactly_its_service_account(
    tiny: Built,
) -> None:
    resources, _ = tiny
    role = one(resources, "aws:iam/role:Role")
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": IDENTITY.oidc_provider_arn}
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:tiny:tiny-sa",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy")
    assert role_policy["inputs"]["role"] == role["id"]
    assert policy(role_policy, "policy")["Statement"] == [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::tiny/*"}
    ]
    component = one(resources, "platform:addons:Tiny")
    assert component["outputs"]["service_account"] == "tiny-sa"
    assert component["outputs"]["role_arn"] == role["outputs"]["arn"]


def test_release_is_the_pinned_chart_installed_atomically(tiny: Built) -> None:
    resources, _ = tiny
    inputs = one(resources, "kubernetes:helm.sh/v3:Release")["inputs"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]) == (
        "tiny",
        "1.2.3",
        {"repo": "https://charts.example.com"},
    )
    assert inputs["name"] == "tiny-release"
    assert inputs["namespace"] == "tiny"
    assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True
    assert inputs["values"] == {"replicaCount": 2, "serviceAccount": {"name": "tiny-sa"}}
    assert unknown_keys(PIN, inputs["values"]) == []


def test_release_waits_for_the_callers_depends_on_and_its_namespace(
    tiny: Built,
) -> None:
    resources, _ = tiny
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    assert one(resources, "kubernetes:core/v1:ConfigMap")["urn"] in release["dependencies"]
    assert one(resources, "kubernetes:core/v1:Namespace")["urn"] in release["dependencies"]


def test_cluster_children_use_the_given_provider_and_aws_ones_do_not(
    tiny: Built,
) -> None:
    resources, _ = tiny
    provider = one(resources, "pulumi:providers:kubernetes")["urn"]
    for token in ("kubernetes:core/v1:Namespace", "kubernetes:helm.sh/v3:Release"):
        assert one(resources, token)["provider"].startswith(f"{provider}::"), token
    for token in ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"):
        assert not one(resources, token).get("provider", "").startswith(f"{provider}::"), token


def test_moved_alias_is_put_on_the_named_child_only(tiny: Built) -> None:
    _, aliases = tiny
    (alias,) = aliases[("kubernetes:helm.sh/v3:Release", "tiny")]
    assert alias.spec.name == "old-tiny"
    others = {key: found for key, found in aliases.items() if key != ("kubernetes:helm.sh/v3:Release", "tiny")}
    assert ("platform:addons:Tiny", "tiny") in others and ("kubernetes:core/v1:Namespace", "tiny-ns") in others
    assert all(found == [] for found in others.values()), others


def test_no_alias_without_moved() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        Tiny("tiny", TinyArgs(provider, identity=IDENTITY))

    with recorded_aliases() as aliases:
        resources = build(program)
    assert of_type(resources, "kubernetes:helm.sh/v3:Release")
    assert all(found == [] for found in aliases.values()), aliases
