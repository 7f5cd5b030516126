"""The Consoles component and its oauth2-proxy add-on: nothing published in internal mode; in edge mode,
per UI exactly one login proxy, one certificate and one TLS Ingress whose only backend is the proxy,
with the login's secrets by reference."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.addons.base import unknown_keys
from components.addons.oauth2_proxy import PIN, OAuth2ProxySettings
from components.consoles import OIDC_SECRET, Consoles, ConsolesArgs, ConsolesEdge, local_port, port_forward_command
from components.contracts import WebConsole
from components.parts import installs_crds
from infra.config.consoles import ConsolesConfig
from tests.support import Resource, build, of_type, one

RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
STAND_IN = "kubernetes:core/v1:ConfigMap"
UIS = (
    WebConsole("grafana", "monitoring", "kube-prometheus-stack-grafana", 80),
    WebConsole("prometheus", "monitoring", "kube-prometheus-stack-prometheus", 9090),
    WebConsole("alertmanager", "monitoring", "kube-prometheus-stack-alertmanager", 9093),
)
IDP = {
    "issuerUrl": "https://login.example.com/realms/platform",
    "clientId": "platform-consoles",
    "clientSecretName": "platform/prod/consoles/oidc-client-secret",
    "cookieSecretName": "platform/prod/consoles/cookie-secret",
    "allowedEmailDomains": ["example.com"],
}
HOSTS = {"grafana": "grafana.platform.example.com", "prometheus": "prometheus.platform.example.com"}
EDGE_SPEC = ConsolesConfig.model_validate({"mode": "edge", "hostnames": HOSTS, "identityProvider": IDP})


def consoles(spec: ConsolesConfig, edge: bool = True) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        after: list[pulumi.Resource] = []
        if edge:  # what the caller makes the published UIs wait for
            on_cluster = pulumi.ResourceOptions(provider=provider)
            # The store the login's ExternalSecret names, and the release of the Prometheus Operator's
            # CRDs (the proxies' ServiceMonitors), a stand-in marked as the release that installs them.
            store = k8s.core.v1.ConfigMap("store-stand-in", opts=on_cluster)
            crds = k8s.core.v1.ConfigMap("crds-stand-in", opts=on_cluster)
            installs_crds(crds, {"monitoring.coreos.com"})
            after = [store, crds]
        Consoles(
            "consoles",
            ConsolesArgs(
                spec=spec,
                consoles=UIS,
                kubernetes_provider=provider,
                edge=ConsolesEdge("nginx", "letsencrypt-production", ("10.30.0.0/16",)) if edge else None,
                secret_store="aws-secrets-manager",
            ),
            opts=pulumi.ResourceOptions(depends_on=after),
        )

    return build(program)


@pytest.fixture(scope="module")
def published() -> list[Resource]:
    return consoles(EDGE_SPEC)


def test_internal_mode_creates_nothing_but_the_component() -> None:
    resources = consoles(ConsolesConfig(), edge=False)
    assert [r["type"] for r in resources if r["custom"] and not r["type"].startswith("pulumi:providers:")] == []
    (component,) = of_type(resources, "platform:consoles:Consoles")
    assert component["outputs"]["urls"] == {}
    assert component["outputs"]["port_forward"]["grafana"] == (
        "kubectl -n monitoring port-forward svc/kube-prometheus-stack-grafana 8080:80"
    )


def test_each_published_ui_gets_one_proxy_one_certificate_and_one_tls_ingress(published: list[Resource]) -> None:
    releases = {r["inputs"]["name"]: r for r in of_type(published, RELEASE)}
    assert set(releases) == {"oauth2-proxy-grafana", "oauth2-proxy-prometheus"}  # alertmanager has no hostname
    certificates = {c["inputs"]["spec"]["secretName"]: c for c in of_type(published, CERTIFICATE)}
    ingresses = of_type(published, INGRESS)
    assert len(ingresses) == len(certificates) == 2
    for ingress in ingresses:
        spec = ingress["inputs"]["spec"]
        assert spec["ingressClassName"] == "nginx"
        (rule,) = spec["rules"]
        ui = ingress["inputs"]["metadata"]["name"]
        assert rule["host"] == HOSTS[ui]
        (tls,) = spec["tls"]
        assert tls["hosts"] == [HOSTS[ui]]
        certificate = certificates[tls["secretName"]]["inputs"]["spec"]
        assert certificate["dnsNames"] == [HOSTS[ui]]
        assert certificate["issuerRef"] == {
            "name": "letsencrypt-production",
            "kind": "ClusterIssuer",
            "group": "cert-manager.io",
        }
        (path,) = rule["http"]["paths"]
        assert path["backend"]["service"] == {"name": f"oauth2-proxy-{ui}", "port": {"number": 80}}
        # The Ingress waits for its proxy (the backend Service is read through the release).
        assert any(d.endswith(f"::consoles-{ui}-proxy") for d in ingress["dependencies"])


def test_each_proxy_guards_its_own_ui_and_reads_the_login_by_reference(published: list[Resource]) -> None:
    for release in of_type(published, RELEASE):
        values = release["inputs"]["values"]
        assert isinstance(values, dict), "values hidden by a secret"
        assert unknown_keys(PIN, values) == []
        ui = release["inputs"]["name"].removeprefix("oauth2-proxy-")
        console = next(c for c in UIS if c.name == ui)
        assert values["config"]["upstreams"] == [
            f"http://{console.service}.monitoring.svc.cluster.local:{console.port}"
        ]
        assert values["config"]["existingSecret"] == OIDC_SECRET
        assert not {"clientID", "clientSecret", "cookieSecret"} & set(values["config"])
        args = values["extraArgs"]
        assert args["redirect-url"] == f"https://{HOSTS[ui]}/oauth2/callback"
        assert args["cookie-secure"] == "true" and args["provider"] == "oidc"
        assert values["service"]["type"] == "ClusterIP"
        assert release["inputs"]["namespace"] == "consoles"


def test_the_login_secrets_come_from_secrets_manager_by_name(published: list[Resource]) -> None:
    external = one(published, EXTERNAL_SECRET)["inputs"]
    assert external["metadata"] == {"name": OIDC_SECRET, "namespace": "consoles"}
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
    assert sorted(d["remoteRef"]["key"] for d in external["spec"]["data"]) == sorted(
        [IDP["clientSecretName"], IDP["cookieSecretName"]]
    )
    assert set(external["spec"]["target"]["template"]["data"]) == {"client-id", "client-secret", "cookie-secret"}
    for release in of_type(published, RELEASE):
        assert any(d.endswith("::consoles-oidc") for d in release["dependencies"]), "the proxy waits for its Secret"


def test_the_login_waits_for_the_store_and_each_proxy_for_its_service_monitors_crd(published: list[Resource]) -> None:
    store = one(published, STAND_IN, "store-stand-in")["urn"]
    crds = one(published, STAND_IN, "crds-stand-in")["urn"]
    login = one(published, EXTERNAL_SECRET)
    assert store in login["dependencies"] and crds not in login["dependencies"]
    proxies = of_type(published, RELEASE)
    assert proxies
    for proxy in proxies:
        # The CRD of its ServiceMonitor, not the store (its Secret brings that) nor any other release.
        assert crds in proxy["dependencies"] and store not in proxy["dependencies"], proxy["urn"]


def test_the_namespace_admits_restricted_pods_only(published: list[Resource]) -> None:
    namespace = one(published, "kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert namespace["name"] == "consoles"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def settings(**changes: Any) -> OAuth2ProxySettings:
    base: dict[str, Any] = {
        "hostname": "grafana.platform.example.com",
        "upstream": "http://grafana.monitoring.svc.cluster.local:80",
        "credentials_secret": OIDC_SECRET,
        "issuer_url": "https://login.example.com",
        "email_domains": ("example.com",),
        "allowed_groups": (),
        "groups_claim": "groups",
        "scopes": ("openid", "email"),
        "session_hours": 8,
        "trusted_proxy_cidrs": ("10.30.0.0/16",),
    }
    return OAuth2ProxySettings(**{**base, **changes})


def test_proxy_hardening_flags() -> None:
    values = settings().values()
    args = values["extraArgs"]
    assert args["code-challenge-method"] == "S256"
    assert args["cookie-samesite"] == "lax" and args["cookie-expire"] == "8h"
    assert args["pass-basic-auth"] == "false"  # Grafana and Kibana would take it for a failed login
    assert args["trusted-proxy-ip"] == "10.30.0.0/16"
    assert "allowed-group" not in args
    assert values["config"]["emailDomains"] == ["example.com"]


def test_groups_only_admit_any_domain_but_only_the_groups() -> None:
    values = settings(email_domains=(), allowed_groups=("ops", "sre")).values()
    assert values["config"]["emailDomains"] == ["*"]
    assert values["extraArgs"]["allowed-group"] == "ops,sre"
    assert values["extraArgs"]["oidc-groups-claim"] == "groups"
    with pytest.raises(ValueError, match="any account"):
        settings(email_domains=(), allowed_groups=())


def test_args_refuse_inconsistent_wiring() -> None:
    provider: Any = object()
    with pytest.raises(ValueError, match="not wired"):
        ConsolesArgs(spec=EDGE_SPEC, consoles=UIS[1:], kubernetes_provider=provider, edge=None, secret_store="s")
    with pytest.raises(ValueError, match="needs the edge"):
        ConsolesArgs(spec=EDGE_SPEC, consoles=UIS, kubernetes_provider=provider, edge=None, secret_store="s")
    with pytest.raises(ValueError, match="twice"):
        ConsolesArgs(spec=ConsolesConfig(), consoles=UIS + UIS[:1], kubernetes_provider=provider)


def test_port_forward_uses_an_unprivileged_local_port() -> None:
    assert local_port(UIS[0]) == 8080 and local_port(UIS[1]) == 9090
    assert port_forward_command(UIS[2], "monitoring") == (
        "kubectl -n monitoring port-forward svc/kube-prometheus-stack-alertmanager 9093:9093"
    )
