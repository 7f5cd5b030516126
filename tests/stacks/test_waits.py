"""Each object waits for what its inputs need (the release that installs its kind's CRD and webhook),
not for a whole component: the waits that cost minutes on the critical path of ``pulumi up`` stay out."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import STACKS
from tests.stacks.test_consoles_stacks import EDGE
from tests.support import ROOT
from tools.insights import timing
from tools.plan import plan_stack

Plan = Any
RELEASE = "kubernetes:helm.sh/v3:Release"
# (type, name) -> the charts whose releases it waits for directly: exactly these.
WAITS = {
    ("kubernetes:cert-manager.io/v1:ClusterIssuer", "ingress-issuer"): {"cert-manager"},
    (RELEASE, "ingress-nginx"): {"prometheus-operator-crds"},  # its ServiceMonitor
    ("kubernetes:generators.external-secrets.io/v1alpha1:Password", "logging-grafana-reader-password"): {
        "external-secrets"
    },
    ("kubernetes:external-secrets.io/v1:ExternalSecret", "logging-grafana-reader"): {"external-secrets"},
    ("kubernetes:external-secrets.io/v1:SecretStore", "logging-grafana-reader-store"): {"external-secrets"},
    ("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "logging-elasticsearch"): {"eck-operator"},
    ("kubernetes:kibana.k8s.elastic.co/v1:Kibana", "logging-kibana"): {"eck-operator"},
    ("kubernetes:logstash.k8s.elastic.co/v1alpha1:Logstash", "logging-logstash"): {"eck-operator"},
    (RELEASE, "logging-fluent-bit"): {"prometheus-operator-crds"},  # its ServiceMonitor
    ("kubernetes:generators.external-secrets.io/v1alpha1:Password", "monitoring-grafana-password"): {
        "external-secrets"
    },
    # Their ServiceMonitors need the CRDs' release, not the Prometheus that scrapes them.
    (RELEASE, "gateway-kong"): {"prometheus-operator-crds"},
    (RELEASE, "argo-rollouts"): {"prometheus-operator-crds"},
}
CRDS, OPERATOR = "prometheus-operator-crds", "kube-prometheus-stack"
# The components whose monitoring.coreos.com objects are made here (the services' are wired on their own).
RULE_OWNERS = {"platform:alerts:Alerts", "platform:monitoring:Monitoring"}
# Who may still wait for kube-prometheus-stack's release with no input read from it: the services
# (wired on their own) and each namespace's isolation, which waits for what makes the namespace.
OPERATOR_WAITERS = {"platform:service:ServiceDeployment", "platform:isolation:NamespaceIsolation"}


def _by_key(resources: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["type"], r["urn"].rsplit("::", 1)[-1]): r for r in resources}


def _read(resource: dict[str, Any]) -> set[str]:
    """What ``resource`` reads an input from."""
    return {urn for urns in (resource.get("propertyDependencies") or {}).values() for urn in urns}


def _charts_waited(resource: dict[str, Any], by_urn: dict[str, dict[str, Any]], unread: bool = False) -> set[str]:
    """The charts whose releases ``resource`` waits for directly (``unread``: without reading an input)."""
    waited = set(resource.get("dependencies") or []) - (_read(resource) if unread else set())
    return {by_urn[d]["inputs"]["chart"] for d in waited if by_urn[d]["type"] == RELEASE}


def _owner_type(resource: dict[str, Any], by_urn: dict[str, dict[str, Any]]) -> set[str]:
    """The types of ``resource`` and of every component above it."""
    types: set[str] = set()
    node: dict[str, Any] | None = resource
    while node is not None:
        types.add(node["type"])
        node = by_urn.get(node.get("parent") or "")
    return types


@pytest.mark.parametrize("stack", STACKS)
def test_each_object_waits_for_the_release_of_its_own_crds_only(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    by_urn = {r["urn"]: r for r in resources}
    by_key = _by_key(resources)
    waited = {
        key: {by_urn[d]["inputs"]["chart"] for d in by_key[key]["dependencies"] if by_urn[d]["type"] == RELEASE}
        for key in WAITS
    }
    assert waited == WAITS


@pytest.mark.parametrize("stack", STACKS)
def test_grafanas_password_waits_for_the_operator_and_the_receivers_for_the_store(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    by_key = _by_key(resources)
    store = by_key[("kubernetes:external-secrets.io/v1:ClusterSecretStore", "external-secrets-store")]["urn"]
    password = by_key[("kubernetes:generators.external-secrets.io/v1alpha1:Password", "monitoring-grafana-password")]
    assert store not in password["dependencies"]
    receivers = by_key.get(("kubernetes:external-secrets.io/v1:ExternalSecret", "monitoring-alertmanager-receivers"))
    if receivers is not None:  # the stack routes alerts somewhere: their secret names the store
        assert store in receivers["dependencies"]


def test_prods_critical_path_has_no_false_wait_but_the_providers_on_the_nodes(planned: Plan) -> None:
    result = timing.insight(planned("prod")[1])
    waits = {(a.rsplit("::", 1)[-1], b.rsplit("::", 1)[-1]) for a, b in result.false_waits}
    # The Kubernetes provider is the gate that holds everything on the cluster until the nodes are up.
    assert waits <= {("cluster-k8s", "cluster-workers")}, timing.format_text("prod", result)
    assert result.ratio <= 1.01, timing.format_text("prod", result)


@pytest.mark.parametrize("stack", STACKS)
def test_the_platforms_rules_and_alertmanager_config_wait_for_the_crds_not_the_operator(
    planned: Plan, stack: str
) -> None:
    """The PrometheusRules and the AlertmanagerConfig need their CRDs only: the operator picks them up
    whenever it starts (and kube-prometheus-stack's admission webhook ignores failures: patch.enabled,
    failurePolicy unset)."""
    _, resources = planned(stack)
    by_urn = {r["urn"]: r for r in resources}
    objects = [
        r
        for r in resources
        if r["type"].startswith("kubernetes:monitoring.coreos.com/") and _owner_type(r, by_urn) & RULE_OWNERS
    ]
    assert any(r["type"].endswith(":PrometheusRule") for r in objects)
    if stack != "dev":  # staging and prod route alerts somewhere
        assert any(r["type"].endswith(":AlertmanagerConfig") for r in objects)
    assert {r["urn"]: _charts_waited(r, by_urn) for r in objects} == {r["urn"]: {CRDS} for r in objects}


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_waits_for_kube_prometheus_stack_but_what_reads_it(planned: Plan, stack: str) -> None:
    """Besides the services and the namespaces' isolation, whoever waits for kube-prometheus-stack's
    release reads one of its outputs (a namespace, an address): no other object waits for Prometheus."""
    _, resources = planned(stack)
    by_urn = {r["urn"]: r for r in resources}
    (operator,) = [r["urn"] for r in resources if r["type"] == RELEASE and r["inputs"]["chart"] == OPERATOR]
    waiting = {
        r["urn"].rsplit("::", 1)[-1]
        for r in resources
        if operator in (r.get("dependencies") or [])
        and operator not in _read(r)
        and not _owner_type(r, by_urn) & OPERATOR_WAITERS
    }
    assert waiting == set()


def test_the_published_consoles_wait_for_the_store_and_the_crds_only(consoles_edge: Plan) -> None:
    """The login's ExternalSecret names the store; each proxy needs its Secret and its ServiceMonitor's
    CRD: neither waits for kube-prometheus-stack but for what a proxy reads of it (its UI's namespace),
    nor a proxy for the store (its Secret brings it)."""
    resources = consoles_edge
    by_urn = {r["urn"]: r for r in resources}
    by_key = _by_key(resources)
    store = by_key[("kubernetes:external-secrets.io/v1:ClusterSecretStore", "external-secrets-store")]["urn"]
    login = by_key[("kubernetes:external-secrets.io/v1:ExternalSecret", "consoles-oidc")]
    assert store in login["dependencies"] and _charts_waited(login, by_urn) == set()
    proxies = [r for r in resources if r["type"] == RELEASE and r["inputs"]["chart"] == "oauth2-proxy"]
    assert len(proxies) == len(EDGE["hostnames"])
    for proxy in proxies:
        assert _charts_waited(proxy, by_urn, unread=True) == {CRDS}, proxy["urn"]
        assert store not in proxy["dependencies"] and login["urn"] in proxy["dependencies"], proxy["urn"]


@pytest.fixture(scope="module")
def consoles_edge(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """prod with its UIs published on the edge behind the login (no committed stack publishes them)."""
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    document["config"]["platform:consoles"] = EDGE
    folder = tmp_path_factory.mktemp("waits-consoles-edge")
    stack_file = folder / "Pulumi.consoles-edge.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    return plan_stack("prod", config_file=stack_file, out=folder / "out").resources
