"""Each object waits for what its inputs need (the release that installs its kind's CRD and webhook),
not for a whole component: the waits that cost minutes on the critical path of ``pulumi up`` stay out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import STACKS
from tools.insights import timing

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
}


def _by_key(resources: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["type"], r["urn"].rsplit("::", 1)[-1]): r for r in resources}


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
