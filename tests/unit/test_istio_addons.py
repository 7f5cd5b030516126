"""Istio's four add-ons and the mesh's enrolment: pinned charts whose values set only keys read in the
charts at 1.30.3 (under their ``_internal_defaults_do_not_set`` defaults, ``profile`` through
``templates/zzz_profile.yaml``), ambient mode, EKS's CNI paths, a privileged istio-system, the releases'
order (the CRDs first), and PeerAuthentications that wait for the CRDs and istiod."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.addons import PINS
from components.addons.base import unknown_keys
from components.addons.istio_base import PIN as BASE
from components.addons.istio_base import IstioBase, IstioBaseArgs, IstioBaseSettings
from components.addons.istio_cni import PIN as CNI
from components.addons.istio_cni import IstioCni, IstioCniArgs, IstioCniSettings
from components.addons.istio_istiod import PIN as ISTIOD
from components.addons.istio_istiod import Istiod, IstiodArgs, IstiodSettings
from components.addons.istio_ztunnel import PIN as ZTUNNEL
from components.addons.istio_ztunnel import Ztunnel, ZtunnelArgs, ZtunnelSettings
from components.mesh import EnrolledNamespace, MeshEnrolment, MeshEnrolmentArgs, PortException
from tests.support import Resource, build, of_type

RELEASE = "kubernetes:helm.sh/v3:Release"


def test_each_chart_is_pinned_to_one_istio_release_and_sets_only_keys_read_in_it() -> None:
    settings = {
        BASE: IstioBaseSettings(),
        ISTIOD: IstiodSettings(),
        CNI: IstioCniSettings(),
        ZTUNNEL: ZtunnelSettings(),
    }
    for pin, setting in settings.items():
        assert (pin.version, pin.app_version) == ("1.30.3", "1.30.3")
        assert pin.repository == "https://istio-release.storage.googleapis.com/charts"
        assert pin in PINS
        values = setting.values()  # type: ignore[attr-defined]
        assert unknown_keys(pin, values) == [], pin.chart
        assert values["profile"] == "ambient", pin.chart
    assert {p.chart for p in settings} == {"base", "istiod", "cni", "ztunnel"}


def test_the_cni_agent_chains_after_the_vpc_cni_in_its_eks_paths() -> None:
    values = IstioCniSettings().values()
    assert (values["cniConfDir"], values["cniBinDir"]) == ("/etc/cni/net.d", "/opt/cni/bin")
    assert values["chained"] is True and values["excludeNamespaces"] == ["kube-system"]


def test_istiod_runs_fixed_replicas_within_the_add_on_range() -> None:
    values = IstiodSettings(replicas=3).values()
    assert values["replicaCount"] == 3 and values["autoscaleEnabled"] is False
    assert values["resources"]["limits"] == {"cpu": "1000m", "memory": "1Gi"}
    assert values["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "env" not in ZtunnelSettings().values()  # no TLS12_ENABLED: TLS 1.3 only


def mesh_program() -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        base = IstioBase("istio-base", IstioBaseArgs(provider))
        after = pulumi.ResourceOptions(depends_on=[base.release])
        istiod = Istiod("istiod", IstiodArgs(provider, base.namespace, 2), opts=after)
        IstioCni("istio-cni", IstioCniArgs(provider, base.namespace), opts=after)
        Ztunnel("ztunnel", ZtunnelArgs(provider, base.namespace), opts=after)
        webhook = PortException("webhook", {"app": "gw"}, (8080,), "the API server")
        enrolled = {"gw": EnrolledNamespace("STRICT", (webhook,)), "edge": EnrolledNamespace("PERMISSIVE")}
        MeshEnrolment(
            "mesh",
            MeshEnrolmentArgs(provider, enrolled),
            opts=pulumi.ResourceOptions(depends_on=[base.release, istiod.release]),
        )

    return build(program)


def test_the_crds_come_first_in_a_privileged_namespace_and_the_peer_authentications_wait_for_istiod() -> None:
    resources = mesh_program()
    releases = {r["urn"].rsplit("::", 1)[1]: r for r in of_type(resources, RELEASE)}
    base = releases["istio-base"]["urn"]
    for name in ("istiod", "istio-cni", "ztunnel"):
        assert base in releases[name]["dependencies"], name
        assert releases[name]["inputs"]["namespace"] == "istio-system"
    (namespace,) = of_type(resources, "kubernetes:core/v1:Namespace")
    assert namespace["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    found = {r["inputs"]["metadata"]["namespace"] + "/" + r["inputs"]["metadata"]["name"]: r
             for r in of_type(resources, "kubernetes:security.istio.io/v1:PeerAuthentication")}  # fmt: skip
    assert {k: v["inputs"]["spec"]["mtls"]["mode"] for k, v in found.items()} == {
        "gw/default": "STRICT", "gw/webhook": "STRICT", "edge/default": "PERMISSIVE"
    }  # fmt: skip
    assert found["gw/webhook"]["inputs"]["spec"]["portLevelMtls"] == {"8080": {"mode": "PERMISSIVE"}}
    for authentication in found.values():
        assert {base, releases["istiod"]["urn"]} <= set(authentication["dependencies"])


def test_a_port_exception_needs_a_strict_namespace_pods_and_ports() -> None:
    provider: Any = object()
    with pytest.raises(ValueError, match="STRICT"):
        exception = PortException("w", {"a": "b"}, (1,), "")
        MeshEnrolmentArgs(provider, {"edge": EnrolledNamespace("PERMISSIVE", (exception,))})
    with pytest.raises(ValueError, match="names its pods"):
        MeshEnrolmentArgs(provider, {"gw": EnrolledNamespace("STRICT", (PortException("w", {}, (1,), ""),))})
