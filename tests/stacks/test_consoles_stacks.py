"""Access to Grafana, Prometheus and Alertmanager through the offline plan: the committed stacks keep them
internal (no Ingress, LoadBalancer or NodePort for any UI; the charts' Services stay ClusterIP), and a
stack in edge mode publishes exactly one TLS Ingress per UI, whose only backend is its login proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.addons import oauth2_proxy
from components.addons.base import unknown_keys
from policies.rules import ALL_POLICIES
from tests.conftest import STACKS
from tests.support import ROOT, of_type, one, policy
from tools.check import check
from tools.plan import plan_stack

Plan = Any
RELEASE = "kubernetes:helm.sh/v3:Release"
UI_SECTIONS = ("grafana", "prometheus", "alertmanager")  # kube-prometheus-stack's values sections
HOSTS = {
    "grafana": "grafana.platform.example.com",
    "prometheus": "prometheus.platform.example.com",
    "alertmanager": "alertmanager.platform.example.com",
}
LOGIN_SECRETS = ["platform/prod/consoles/cookie-secret", "platform/prod/consoles/oidc-client-secret"]
EDGE = {
    "mode": "edge",
    "hostnames": HOSTS,
    "identityProvider": {
        "issuerUrl": "https://login.example.com/realms/platform",
        "clientId": "platform-consoles",
        "clientSecretName": LOGIN_SECRETS[1],
        "cookieSecretName": LOGIN_SECRETS[0],
        "allowedEmailDomains": ["example.com"],
        "allowedGroups": ["platform-operators"],
    },
}


def manifests(out: Path) -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) for p in sorted((out / "manifests").glob("*.yaml"))]


def release(resources: list[dict[str, Any]], chart: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(resources, RELEASE) if r["inputs"]["chart"] == chart]
    return found


def ui_services(resources: list[dict[str, Any]]) -> set[str]:
    """The UIs' Services, by the chart's naming (the release name, then the component)."""
    name = release(resources, "kube-prometheus-stack")["inputs"]["name"]
    return {f"{name}-{section}" for section in UI_SECTIONS}


def backends(ingress: dict[str, Any]) -> set[str]:
    spec = ingress["spec"]
    found = {spec["defaultBackend"]["service"]["name"]} if spec.get("defaultBackend") else set()
    for rule in spec.get("rules", []):
        found |= {p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    return found


@pytest.fixture(scope="module")
def edge_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """prod with its UIs on the edge behind the login (a test stack file)."""
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    document["config"]["platform:consoles"] = EDGE
    folder = tmp_path_factory.mktemp("consoles-edge")
    stack_file = folder / "Pulumi.consoles-edge.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    out = folder / "out"
    return out, plan_stack("prod", config_file=stack_file, out=out).resources


# -- internal (every committed stack) ----------------------------------------------------------------
@pytest.mark.parametrize("stack", STACKS)
def test_no_ui_is_reachable_from_outside_the_cluster(planned: Plan, stack: str) -> None:
    out, resources = planned(stack)
    objects = manifests(out)
    uis = ui_services(resources)
    for ingress in (o for o in objects if o["kind"] == "Ingress"):
        assert not backends(ingress) & uis, ingress["metadata"]
        assert ingress["metadata"]["namespace"] != "consoles"
    for service in (o for o in objects if o["kind"] == "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]
    assert not [r for r in of_type(resources, RELEASE) if r["inputs"]["chart"] == oauth2_proxy.PIN.chart]
    assert "consoles" not in {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}


@pytest.mark.parametrize("stack", STACKS)
def test_the_charts_ui_services_stay_cluster_ip_and_make_no_ingress(planned: Plan, stack: str) -> None:
    """kube-prometheus-stack 88.5.3 and its grafana 12.11.1 default every UI Service to ClusterIP and
    every Ingress to off (read in their values.yaml): the platform overrides neither."""
    _, resources = planned(stack)
    values = release(resources, "kube-prometheus-stack")["inputs"]["values"]
    assert isinstance(values, dict)
    for section in UI_SECTIONS:
        part = values.get(section, {})
        assert part.get("service", {}).get("type", "ClusterIP") == "ClusterIP", section
        assert part.get("ingress", {}).get("enabled", False) is False, section


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_says_how_to_open_each_ui(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    outputs = resources[0]["outputs"]
    name = release(resources, "kube-prometheus-stack")["inputs"]["name"]
    assert outputs["consoleUrls"] == {}
    assert outputs["consolePortForward"] == {
        "grafana": f"kubectl -n monitoring port-forward svc/{name}-grafana 8080:80",
        "prometheus": f"kubectl -n monitoring port-forward svc/{name}-prometheus 9090:9090",
        "alertmanager": f"kubectl -n monitoring port-forward svc/{name}-alertmanager 9093:9093",
        "kibana": "kubectl -n logging port-forward svc/logs-kb-http 5601:5601",
    }


# -- edge (a test stack) ----------------------------------------------------------------------------
def test_edge_mode_makes_exactly_one_tls_ingress_per_ui_through_its_proxy(edge_plan: Plan) -> None:
    out, resources = edge_plan
    objects = manifests(out)
    uis = ui_services(resources)
    ingresses = [o for o in objects if o["kind"] == "Ingress"]
    for ingress in ingresses:  # nothing routes to a UI directly
        assert not backends(ingress) & uis, ingress["metadata"]
    consoles = [i for i in ingresses if i["metadata"]["namespace"] == "consoles"]
    assert sorted(i["spec"]["rules"][0]["host"] for i in consoles) == sorted(HOSTS.values())
    (issuer,) = [o for o in objects if o["kind"] == "ClusterIssuer"]
    certificates = {
        c["spec"]["secretName"]: c
        for c in objects
        if c["kind"] == "Certificate" and c["metadata"]["namespace"] == "consoles"
    }
    nginx_class = release(resources, "nginx-ingress")["inputs"]["values"]["controller"]["ingressClass"]["name"]
    for ingress in consoles:
        ui = ingress["metadata"]["name"]
        assert ingress["spec"]["ingressClassName"] == nginx_class
        assert [r["host"] for r in ingress["spec"]["rules"]] == [HOSTS[ui]]
        (tls,) = ingress["spec"]["tls"]
        assert tls["hosts"] == [HOSTS[ui]]
        certificate = certificates[tls["secretName"]]["spec"]
        assert certificate["dnsNames"] == [HOSTS[ui]]
        assert certificate["issuerRef"]["name"] == issuer["metadata"]["name"]
        assert backends(ingress) == {oauth2_proxy.release_name(ui)}


def test_each_proxy_fronts_its_ui_with_the_login_secrets_by_reference(edge_plan: Plan) -> None:
    out, resources = edge_plan
    proxies = {
        r["inputs"]["name"]: r["inputs"] for r in of_type(resources, RELEASE) if r["inputs"]["chart"] == "oauth2-proxy"
    }
    assert set(proxies) == {oauth2_proxy.release_name(ui) for ui in HOSTS}
    name = release(resources, "kube-prometheus-stack")["inputs"]["name"]
    ports = {"grafana": 80, "prometheus": 9090, "alertmanager": 9093}
    for ui, host in HOSTS.items():
        inputs = proxies[oauth2_proxy.release_name(ui)]
        pin = oauth2_proxy.PIN
        assert (inputs["version"], inputs["repositoryOpts"]["repo"]) == (pin.version, pin.repository)
        values = inputs["values"]
        assert isinstance(values, dict), "values hidden by a secret"
        assert unknown_keys(pin, values) == []
        assert values["config"]["upstreams"] == [f"http://{name}-{ui}.monitoring.svc.cluster.local:{ports[ui]}"]
        assert values["config"]["existingSecret"] == "consoles-oidc"
        assert not {"clientID", "clientSecret", "cookieSecret"} & set(values["config"])
        assert values["extraArgs"]["cookie-secure"] == "true"
        assert values["extraArgs"]["redirect-url"] == f"https://{host}/oauth2/callback"
        assert values["extraArgs"]["allowed-group"] == "platform-operators"
        assert values["service"]["type"] == "ClusterIP"
    helm = (out / "helm" / "oauth2-proxy-grafana.yaml").read_text()
    assert "consoles-oidc" in helm and "XXXX" not in helm
    assert resources[0]["outputs"]["consoleUrls"] == {ui: f"https://{host}/" for ui, host in HOSTS.items()}


def test_the_login_secrets_are_read_by_name_and_nothing_else(edge_plan: Plan) -> None:
    out, resources = edge_plan
    (external,) = [
        e
        for e in of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
        if e["urn"].endswith("::consoles-oidc")
    ]
    assert sorted(d["remoteRef"]["key"] for d in external["inputs"]["spec"]["data"]) == LOGIN_SECRETS
    assert not [o for o in manifests(out) if o["kind"] == "Secret" and o["metadata"].get("namespace") == "consoles"]
    store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert store["inputs"]["spec"]["conditions"] == [{"namespaces": ["apps", "monitoring", "consoles"]}]
    role_policy = next(
        p
        for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")
        if p["urn"].endswith("::external-secrets-operator")
    )
    readable = {s["Sid"]: s for s in policy(role_policy, "policy")["Statement"]}["ReadTheOperatorsSecrets"]["Resource"]
    for name in LOGIN_SECRETS:
        assert f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-??????" in readable


def test_the_edge_serves_the_ui_hostnames(edge_plan: Plan) -> None:
    _, resources = edge_plan
    certificate = one(resources, "aws:acm/certificate:Certificate")["inputs"]
    assert certificate["domainName"] == "api.platform.example.com"  # the API's host stays first: no URN churn
    assert certificate["subjectAlternativeNames"] == list(HOSTS.values())
    records = {
        r["inputs"]["name"] for r in of_type(resources, "aws:route53/record:Record") if r["inputs"]["type"] == "A"
    }
    assert records == {"api.platform.example.com", *HOSTS.values()}
    cert_manager = next(
        p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy") if p["urn"].endswith("::cert-manager-dns01")
    )
    (acme,) = [s for s in policy(cert_manager, "policy")["Statement"] if s["Sid"] == "AcmeChallengeRecordsOnly"]
    names = acme["Condition"]["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"]
    assert {f"_acme-challenge.{h}" for h in HOSTS.values()} <= set(names)
    # The API gateway keeps to its own hostnames.
    (kong_public,) = [
        r
        for r in of_type(resources, "kubernetes:networking.k8s.io/v1:Ingress")
        if r["urn"].endswith("::gateway-public")
    ]
    assert [rule["host"] for rule in kong_public["inputs"]["spec"]["rules"]] == ["api.platform.example.com"]


def test_the_ui_charts_are_unchanged_by_edge_mode_and_the_plan_passes_the_policies(
    planned: Plan, edge_plan: Plan
) -> None:
    _, prod = planned("prod")
    _, edge = edge_plan
    chart = "kube-prometheus-stack"
    assert release(edge, chart)["inputs"]["values"] == release(prod, chart)["inputs"]["values"]
    assert [v for v in check(edge, ALL_POLICIES) if v.mandatory] == []
