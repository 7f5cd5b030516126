"""The estimate of `pulumi up` and the critical path of the dependencies really needed."""

from __future__ import annotations

from typing import Any

from tests.insights.support import plan, res
from tools.insights import timing
from tools.insights.update import update_weights


def graph() -> list[dict[str, Any]]:
    """key (5 s) -> cluster (600) -> nodes (240) -> release (90); the broker (1200) needs only the key;
    a log group (2) is waited for by the release although nothing of it is read (a false chain)."""
    key = res("aws:kms/key:Key", "key")
    cluster = res("aws:eks/cluster:Cluster", "eks", deps=[key["urn"]], needed={"kmsKeyId": [key["urn"]]})
    nodes = res("aws:eks/nodeGroup:NodeGroup", "nodes", deps=[cluster["urn"]], needed={"clusterName": [cluster["urn"]]})
    broker = res("aws:mq/broker:Broker", "mq", deps=[key["urn"], nodes["urn"]], needed={"kms": [key["urn"]]})
    release = res("kubernetes:helm.sh/v3:Release", "chart", {"chart": "x"}, deps=[nodes["urn"], broker["urn"]])
    return plan(key, cluster, nodes, broker, release)


def test_the_estimate_is_the_longest_declared_chain_with_its_steps() -> None:
    result = timing.insight(graph())
    # provider 2 + key 5 + eks 600 + nodes 240 + broker 1200 (it waits for the nodes) + release 90
    assert result.estimate.total_seconds == 2 + 5 + 600 + 240 + 1200 + 90
    names = [s.urn.rsplit("::", 1)[-1] for s in result.estimate.path]
    assert names == ["aws-primary", "key", "eks", "nodes", "mq", "chart"]
    assert [s.seconds for s in result.estimate.path] == [2, 5, 600, 240, 1200, 90]


def test_the_needed_path_drops_the_false_wait_and_names_it() -> None:
    result = timing.insight(graph())
    # The broker needs only the key; the release needs the nodes (pods) but not the broker.
    assert result.needed.total_seconds == 2 + 5 + 1200
    assert result.ratio == (2 + 5 + 600 + 240 + 1200 + 90) / (2 + 5 + 1200)
    waits = {(a.rsplit("::", 1)[-1], b.rsplit("::", 1)[-1]) for a, b in result.false_waits}
    assert ("mq", "nodes") in waits and ("chart", "mq") in waits


def test_a_custom_resource_needs_the_release_of_its_crd_and_an_object_it_names() -> None:
    cm = res("kubernetes:helm.sh/v3:Release", "cert-manager", {"chart": "cert-manager"})
    other = res("kubernetes:helm.sh/v3:Release", "prometheus", {"chart": "kube-prometheus-stack"})
    issuer = res("kubernetes:cert-manager.io/v1:ClusterIssuer", "issuer", {"metadata": {"name": "letsencrypt"}},
                 deps=[cm["urn"], other["urn"]])  # fmt: skip
    cert = res("kubernetes:cert-manager.io/v1:Certificate", "cert", {"spec": {"issuerRef": {"name": "letsencrypt"}}},
               deps=[issuer["urn"]])  # fmt: skip
    resources = plan(cm, other, issuer, cert)
    by_urn = {r["urn"]: r for r in resources}
    assert timing.needed_edges(issuer, by_urn) == {cm["urn"], issuer["provider"].rpartition("::")[0]}
    assert issuer["urn"] in timing.needed_edges(cert, by_urn)


def test_parallelism_limits_the_estimate() -> None:
    many = plan(*[res("aws:kms/key:Key", f"k{i}") for i in range(4)])
    assert timing.insight(many).estimate.total_seconds == 2 + 5
    assert timing.insight(many, parallelism=1).estimate.total_seconds == 2 + 4 * 5


def test_an_update_costs_only_what_changes() -> None:
    old = graph()
    new = [dict(r, inputs=dict(r.get("inputs") or {})) for r in old]
    for r in new:
        if r["type"] == "aws:mq/broker:Broker":
            r["inputs"]["hostInstanceType"] = "mq.m5.xlarge"  # in place: 900 s
    weights = update_weights(old, new)
    assert timing.insight(new, weights).estimate.total_seconds == 900


def test_prod_is_within_a_tenth_of_its_needed_critical_path(planned) -> None:  # type: ignore[no-untyped-def]
    result = timing.insight(planned("prod")[1])
    assert result.needed.total_seconds <= result.estimate.total_seconds
    assert result.ratio <= 1.1, timing.format_text("prod", result)


def test_monitoring_and_consoles_wait_for_the_store_not_every_delivered_secret(planned) -> None:  # type: ignore[no-untyped-def]
    resources = planned("prod")[1]
    delivered = {
        r["urn"] for r in resources if r["type"] == "kubernetes:external-secrets.io/v1:ExternalSecret"
        and "platform:datastores:ExternalSecrets$" in r["urn"]
    }  # fmt: skip
    store = next(r["urn"] for r in resources if r["type"].endswith(":ClusterSecretStore"))
    waiting = [r for r in resources if "platform:monitoring:Monitoring$" in r["urn"] and r.get("custom")]
    assert waiting and all(not set(r.get("dependencies", [])) & delivered for r in waiting)
    # Grafana's password needs the operator's CRDs only; the receivers' secret names the store.
    named = [r for r in waiting if r["type"].endswith(":ExternalSecret") and r["inputs"]["spec"].get("secretStoreRef")]
    assert named and all(store in r["dependencies"] for r in named)


def test_datastores_and_the_edges_aws_parts_do_not_wait_for_the_nodes(planned) -> None:  # type: ignore[no-untyped-def]
    resources = planned("prod")[1]
    declared = {r["urn"]: timing.declared_edges(r) for r in resources}
    nodes = {r["urn"] for r in resources if r["type"] == "aws:eks/nodeGroup:NodeGroup"}

    def waits_for_nodes(urn: str) -> bool:
        seen: set[str] = set()
        todo = list(declared[urn])
        while todo:
            u = todo.pop()
            if u in nodes:
                return True
            if u not in seen and u in declared:
                seen.add(u)
                todo += declared[u]
        return False

    parts = ("platform:datastores:", "platform:ingress:Ingress$aws:")
    checked = [
        r
        for r in resources
        if r.get("custom") and r["type"].startswith("aws:") and any(p in r["urn"] for p in parts)
        and r["type"] != "aws:autoscaling/attachment:Attachment"
    ]  # fmt: skip
    assert len(checked) > 20
    assert [r["urn"] for r in checked if waits_for_nodes(r["urn"])] == []


def test_each_service_waits_for_its_own_datastores_secrets_only(planned) -> None:  # type: ignore[no-untyped-def]
    resources = planned("prod")[1]
    waited = {
        r["urn"].rsplit("::", 1)[-1]: {d.rsplit("::", 1)[-1] for d in r["dependencies"] if d.endswith("-credentials")}
        for r in resources
        if r["type"] == "kubernetes:argoproj.io/v1alpha1:Rollout"
    }
    assert waited == {
        "user-service-rollout": {"external-secrets-postgres-credentials", "external-secrets-redis-credentials"},
        "data-processing-rollout": {"external-secrets-rabbitmq-credentials"},
        "analytics-rollout": {"external-secrets-documentdb-credentials"},
    }


def test_a_chart_waiting_for_a_crd_only_chart_needs_it() -> None:
    crds = res("kubernetes:helm.sh/v3:Release", "crds", {"chart": "prometheus-operator-crds"})
    other = res("kubernetes:helm.sh/v3:Release", "unrelated", {"chart": "something"})
    chart = res("kubernetes:helm.sh/v3:Release", "eso", {"chart": "external-secrets"}, deps=[crds["urn"], other["urn"]])
    by_urn = {r["urn"]: r for r in plan(crds, other, chart)}
    needs = timing.needed_edges(chart, by_urn)
    assert crds["urn"] in needs and other["urn"] not in needs


def test_the_logs_setup_job_needs_elasticsearch() -> None:
    es = res("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "es", {"metadata": {"name": "logs"}})
    other = res("kubernetes:core/v1:ConfigMap", "other", {"metadata": {"name": "other"}})
    job = res("kubernetes:batch/v1:Job", "setup", {"metadata": {"name": "setup"}}, deps=[es["urn"], other["urn"]])
    by_urn = {r["urn"]: r for r in plan(es, other, job)}
    needs = timing.needed_edges(job, by_urn)
    assert es["urn"] in needs and other["urn"] not in needs


def test_a_service_monitor_needs_the_crds_release_not_kube_prometheus_stack() -> None:
    """kube-prometheus-stack runs with its CRDs off: a wait on it is no CRD's wait, the CRDs' release's is."""
    crds = res("kubernetes:helm.sh/v3:Release", "crds", {"chart": "prometheus-operator-crds"})
    operator = res("kubernetes:helm.sh/v3:Release", "operator", {"chart": "kube-prometheus-stack"})
    monitor = res("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "monitor", {"metadata": {"name": "svc"}},
                  deps=[crds["urn"], operator["urn"]])  # fmt: skip
    by_urn = {r["urn"]: r for r in plan(crds, operator, monitor)}
    needs = timing.needed_edges(monitor, by_urn)
    assert crds["urn"] in needs and operator["urn"] not in needs


def test_istio_s_base_and_istiod_are_what_the_mesh_needs() -> None:
    """The agents and istiod need the CRDs of Istio's base chart; a PeerAuthentication needs them and istiod
    (its controller and validating webhook); nothing else of the plan needs the mesh."""
    base = res("kubernetes:helm.sh/v3:Release", "istio-base", {"chart": "base"})
    istiod = res("kubernetes:helm.sh/v3:Release", "istiod", {"chart": "istiod"}, deps=[base["urn"]])
    ztunnel = res("kubernetes:helm.sh/v3:Release", "ztunnel", {"chart": "ztunnel"}, deps=[base["urn"]])
    peer = res("kubernetes:security.istio.io/v1:PeerAuthentication", "mesh-apps", {"metadata": {"name": "default"}},
               deps=[base["urn"], istiod["urn"], ztunnel["urn"]])  # fmt: skip
    by_urn = {r["urn"]: r for r in plan(base, istiod, ztunnel, peer)}
    assert base["urn"] in timing.needed_edges(istiod, by_urn) and base["urn"] in timing.needed_edges(ztunnel, by_urn)
    needs = timing.needed_edges(peer, by_urn)
    assert {base["urn"], istiod["urn"]} <= needs and ztunnel["urn"] not in needs
