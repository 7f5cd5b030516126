"""The mesh end to end over the planned stacks: Istio's four charts pinned and in ambient mode in a
privileged istio-system, the user-traffic namespaces (and monitoring) labelled into the mesh with their
PeerAuthentications, HBONE (15008) opened exactly between meshed pods and the kubelet's probes admitted
from ztunnel's link-local address, and only what needs the mesh waiting for it."""

from __future__ import annotations

from typing import Any

import pytest

from components.addons.istio_base import ISTIO_CHARTS, ISTIO_VERSION
from tests.conftest import STACKS
from tests.support import Resource, of_type

Plan = Any
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PEER_AUTHENTICATION = "kubernetes:security.istio.io/v1:PeerAuthentication"
AMBIENT = {"istio.io/dataplane-mode": "ambient"}
MESHED = {"nginx-ingress": "PERMISSIVE", "kong": "STRICT", "apps": "STRICT", "monitoring": "PERMISSIVE"}
HBONE = {"port": 15008, "protocol": "TCP"}
PROBES = "169.254.7.127/32"


def name_of(resource: Resource) -> str:
    return str(resource["urn"].rsplit("::", 1)[1])


def istio_releases(resources: list[Resource]) -> dict[str, Resource]:
    charts = {"base", "istiod", "cni", "ztunnel"}
    return {r["inputs"]["chart"]: r for r in of_type(resources, RELEASE) if r["inputs"]["chart"] in charts}


def policies(resources: list[Resource], namespace: str) -> dict[str, dict[str, Any]]:
    return {
        r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]
        for r in of_type(resources, POLICY)
        if r["inputs"]["metadata"]["namespace"] == namespace
    }


@pytest.mark.parametrize("stack", STACKS)
def test_istio_s_four_charts_are_pinned_in_ambient_mode_in_a_privileged_namespace(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    releases = istio_releases(resources)
    assert set(releases) == {"base", "istiod", "cni", "ztunnel"}
    for chart, release in releases.items():
        inputs = release["inputs"]
        assert (inputs["version"], inputs["repositoryOpts"]["repo"]) == (ISTIO_VERSION, ISTIO_CHARTS)
        assert ISTIO_VERSION == "1.30.3" and ISTIO_CHARTS == "https://istio-release.storage.googleapis.com/charts"
        assert inputs["namespace"] == "istio-system" and inputs["atomic"] is True
        assert inputs["values"]["profile"] == "ambient", chart
    cni = releases["cni"]["inputs"]["values"]
    assert (cni["cniConfDir"], cni["cniBinDir"], cni["chained"]) == ("/etc/cni/net.d", "/opt/cni/bin", True)
    assert "TLS12_ENABLED" not in (releases["ztunnel"]["inputs"]["values"].get("env") or {})
    (namespace,) = [r for r in of_type(resources, NAMESPACE) if r["inputs"]["metadata"]["name"] == "istio-system"]
    labels = namespace["inputs"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "istio.io/dataplane-mode" not in labels  # the mesh's own namespace is not in the mesh


def test_istiod_runs_as_many_replicas_as_the_tier_asks(planned: Plan) -> None:
    replicas = {s: istio_releases(planned(s)[1])["istiod"]["inputs"]["values"]["replicaCount"] for s in STACKS}
    assert replicas == {"dev": 1, "staging": 2, "prod": 2}
    values = istio_releases(planned("prod")[1])["istiod"]["inputs"]["values"]
    assert values["autoscaleEnabled"] is False  # fixed replicas: the chart renders a PDB of minAvailable 1


@pytest.mark.parametrize("stack", STACKS)
def test_the_user_traffic_namespaces_are_enrolled_with_their_peer_authentications(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    labels = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"]["labels"] for r in of_type(resources, NAMESPACE)}
    enrolled = {ns for ns, found in labels.items() if found.get("istio.io/dataplane-mode") == "ambient"}
    assert enrolled == set(MESHED)
    assert labels["apps"]["pod-security.kubernetes.io/enforce"] == "restricted"  # no sidecar: unchanged
    found = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"]): r["inputs"]["spec"]
             for r in of_type(resources, PEER_AUTHENTICATION)}  # fmt: skip
    assert {ns: spec["mtls"]["mode"] for (ns, name), spec in found.items() if name == "default"} == MESHED
    assert all("selector" not in spec for (_, name), spec in found.items() if name == "default")
    # Kong's admission webhook (the API server calls it, from outside the mesh) is the one plaintext port.
    webhook = found[("kong", "admission-webhook")]
    assert webhook == {
        "mtls": {"mode": "STRICT"},
        "selector": {"matchLabels": {"app.kubernetes.io/name": "kong"}},
        "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}},
    }
    assert len(found) == len(MESHED) + 1


def test_hbone_is_opened_between_meshed_pods_only_and_the_probes_are_admitted(planned: Plan) -> None:
    _, resources = planned("prod")
    kong, nginx = policies(resources, "kong"), policies(resources, "nginx-ingress")
    assert HBONE in kong["from-edge"]["ingress"][0]["ports"]  # NGINX's tunnel to Kong's proxy
    assert kong["from-edge"]["ingress"][0]["ports"][0] == {"port": 8000, "protocol": "TCP"}  # 8000 unchanged
    assert HBONE in nginx["to-gateway"]["egress"][0]["ports"]
    assert HBONE in kong["from-scrapers"]["ingress"][0]["ports"]  # Prometheus is in the mesh too
    assert HBONE not in kong["from-control-plane"]["ingress"][0]["ports"]  # the API server is not
    assert HBONE not in nginx["from-load-balancer"]["ingress"][0]["ports"]  # nor the ALB
    assert HBONE not in nginx["to-console-logins"]["egress"][0]["ports"]  # nor the consoles' logins
    monitoring = policies(resources, "monitoring")
    assert HBONE not in monitoring["from-rollouts-analysis"]["ingress"][0]["ports"]  # Argo Rollouts is not
    assert HBONE not in policies(resources, "argo-rollouts")["to-prometheus"]["egress"][0]["ports"]
    for namespace in ("nginx-ingress", "kong", "monitoring"):
        (rule,) = policies(resources, namespace)["from-kubelet-probes"]["ingress"]
        assert rule == {"from": [{"ipBlock": {"cidr": PROBES}}]}, namespace
    for namespace in ("cert-manager", "external-secrets", "argo-rollouts", "reloader", "kube-system", "istio-system"):
        assert "from-kubelet-probes" not in policies(resources, namespace), namespace
    apps = policies(resources, "apps")
    for service, port in {"user-service": 8001, "analytics": 8002}.items():
        assert apps[f"{service}-from-gateway"]["ingress"][0]["ports"] == [{"port": port, "protocol": "TCP"}, HBONE]
        (probe,) = apps[f"{service}-from-kubelet-probes"]["ingress"]
        assert probe == {"from": [{"ipBlock": {"cidr": PROBES}}], "ports": [{"port": port, "protocol": "TCP"}]}
    assert HBONE in apps["data-processing-from-prometheus"]["ingress"][0]["ports"]
    assert "data-processing-from-kubelet-probes" in apps


def test_istio_system_is_denied_by_default_and_istiod_admits_the_api_server_only(planned: Plan) -> None:
    _, resources = planned("prod")
    found = policies(resources, "istio-system")
    allows = {"istiod-from-control-plane", "to-api-server"}
    assert set(found) == {"default-deny-all", "to-dns", "within-namespace", *allows}
    (rule,) = found["istiod-from-control-plane"]["ingress"]
    assert rule["ports"] == [{"port": 15017, "protocol": "TCP"}]
    assert found["istiod-from-control-plane"]["podSelector"] == {"matchLabels": {"app": "istiod"}}


def test_the_datastore_clients_group_admits_hbone_from_the_cluster(planned: Plan) -> None:
    _, resources = planned("prod")
    ports = {
        (r["inputs"]["fromPort"], r["inputs"]["toPort"])
        for r in of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if "datastore-clients" in r["urn"]
    }
    assert (15008, 15008) in ports


@pytest.mark.parametrize("stack", STACKS)
def test_only_what_needs_the_mesh_waits_for_it(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    by_urn = {r["urn"]: r for r in resources}
    releases = istio_releases(resources)
    base, istiod = releases["base"]["urn"], releases["istiod"]["urn"]
    for chart in ("istiod", "cni", "ztunnel"):  # the agents and the control plane read the CRDs
        waits = {name_of(by_urn[d]) for d in releases[chart]["dependencies"]}
        assert waits == {"istio-base", "istio-base-ns"}, chart  # the CRDs' release, and the namespace itself
    for authentication in of_type(resources, PEER_AUTHENTICATION):
        waits = {name_of(by_urn[d]) for d in authentication["dependencies"]}
        namespace = authentication["inputs"]["metadata"]["namespace"]
        assert waits - {"istio-base", "istiod"} == {
            {
                "apps": "apps-ns",
                "kong": "gateway-kong-ns",
                "nginx-ingress": "ingress-nginx-ns",
                "monitoring": "monitoring-ns",
            }[namespace]
        }
    mesh = {urn for urn in by_urn if urn in {base, istiod, releases["cni"]["urn"], releases["ztunnel"]["urn"]}}
    waiting = {
        name_of(r)
        for r in resources
        if r.get("custom", True)  # components (the mesh's own, the isolation table) only group their children
        and set(r.get("dependencies") or []) & mesh
        and r["type"] != PEER_AUTHENTICATION
        and r["urn"] not in mesh
        and "istio-system" not in str(r["inputs"].get("metadata", {}).get("namespace", ""))
    }
    assert waiting == set()
