"""The planned stacks' manifests against the system's requirements: the three services, hardened,
autoscaled, blue-green with automatic rollback, behind NetworkPolicies; and the add-ons that act on their
objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.addons import PINS
from components.addons.base import unknown_keys
from components.alerts.metrics import CATALOGUE
from infra.quantities import cpu_millis, memory_bytes
from tests.support import metric_names, of_type
from tools.offline import schema

Plan = Any
SERVICES = ("user-service", "data-processing", "analytics")
WEB_PORTS = {"user-service": 8001, "analytics": 8002}


def objects(out_dir: Path, kind: str, namespace: str = "apps") -> dict[str, dict[str, Any]]:
    """Manifests of one kind in the services' namespace, by name (unique per kind there)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((out_dir / "manifests").glob("*.yaml")):
        obj = yaml.safe_load(path.read_text())
        if obj["kind"] == kind and obj["metadata"].get("namespace", namespace) == namespace:
            found[obj["metadata"]["name"]] = obj
    return found


@pytest.fixture(scope="module")
def prod(planned: Plan) -> Path:
    out_dir, _ = planned("prod")
    return out_dir


def pod_and_container(rollout: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    pod = rollout["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return pod, container


@pytest.mark.parametrize("service", SERVICES)
def test_workload_requests_the_minimum_and_stays_under_the_maximum(prod: Path, service: str) -> None:
    _, container = pod_and_container(objects(prod, "Rollout")[service])
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    assert cpu_millis(requests["cpu"]) == 500 and memory_bytes(requests["memory"]) == 512 * 2**20
    assert cpu_millis(limits["cpu"]) <= 2000 and memory_bytes(limits["memory"]) <= 2 * 2**30


@pytest.mark.parametrize("service", SERVICES)
def test_workload_has_probes_and_a_hardened_security_context(prod: Path, service: str) -> None:
    pod, container = pod_and_container(objects(prod, "Rollout")[service])
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health", probe
    context = container["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True and context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    image = container["image"]
    assert "@sha256:" in image or (":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"))


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_an_hpa_on_its_rollout_and_a_pdb(prod: Path, service: str) -> None:
    hpa = objects(prod, "HorizontalPodAutoscaler")[service]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": service}
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}
    pdb = objects(prod, "PodDisruptionBudget")[service]
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": service}


def test_web_services_listen_on_8001_and_8002(prod: Path) -> None:
    services = objects(prod, "Service")
    for name, port in WEB_PORTS.items():
        for service in (name, f"{name}-preview"):
            assert [p["port"] for p in services[service]["spec"]["ports"]] == [port], service


def test_celery_workers_run_four_processes_in_prod(prod: Path) -> None:
    _, container = pod_and_container(objects(prod, "Rollout")["data-processing"])
    assert container["command"] == ["celery"]
    assert "--concurrency=4" in container["args"]


@pytest.mark.parametrize("service", SERVICES)
def test_blue_green_with_analysis_that_rolls_back(prod: Path, service: str) -> None:
    rollout = objects(prod, "Rollout")[service]
    blue_green = rollout["spec"]["strategy"]["blueGreen"]
    assert blue_green["activeService"] == service and blue_green["previewService"] == f"{service}-preview"
    assert blue_green["autoPromotionEnabled"] is False, "prod promotes only by hand, after the analysis"
    templates = objects(prod, "AnalysisTemplate")
    for phase in ("prePromotionAnalysis", "postPromotionAnalysis"):
        (ref,) = blue_green[phase]["templates"]
        (metric,) = templates[ref["templateName"]]["spec"]["metrics"]
        assert "prometheus" in metric["provider"]
        assert 0 <= metric["failureLimit"] < metric["count"]
    analysis_seconds = int(metric["interval"].removesuffix("s")) * metric["count"]
    assert blue_green["scaleDownDelaySeconds"] > analysis_seconds, "the old colour outlives the analysis"
    assert rollout["spec"]["progressDeadlineAbort"] is True


def test_staging_promotes_automatically(planned: Plan) -> None:
    out_dir, _ = planned("staging")
    for rollout in objects(out_dir, "Rollout").values():
        assert rollout["spec"]["strategy"]["blueGreen"]["autoPromotionEnabled"] is True


def test_network_policies_deny_by_default(prod: Path) -> None:
    policies = objects(prod, "NetworkPolicy")
    namespace_wide = policies["default-deny-all"]
    assert namespace_wide["metadata"]["namespace"] == "apps"
    assert namespace_wide["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for service in SERVICES:
        assert policies[f"{service}-default-deny"]["spec"]["policyTypes"] == ["Ingress", "Egress"]
        assert f"{service}-to-dns" in policies
    for name, port in WEB_PORTS.items():  # the service's port, and the gateway's tunnel through the mesh
        (rule,) = policies[f"{name}-from-gateway"]["spec"]["ingress"]
        assert rule["ports"] == [{"port": port, "protocol": "TCP"}, {"port": 15008, "protocol": "TCP"}]
    assert "data-processing-from-gateway" not in policies
    assert {"user-service-to-postgres", "user-service-to-redis", "data-processing-to-rabbitmq"} <= set(policies)
    assert "analytics-to-documentdb" in policies


def test_datastore_egress_stays_in_the_data_subnets(planned: Plan) -> None:
    out_dir, resources = planned("prod")
    data = {
        s["inputs"]["cidrBlock"]
        for s in of_type(resources, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["Tier"] == "data"
    }
    for name, policy in objects(out_dir, "NetworkPolicy").items():
        for rule in policy["spec"].get("egress", []):
            blocks = {peer["ipBlock"]["cidr"] for peer in rule.get("to", []) if "ipBlock" in peer}
            if "-to-aws-apis" not in name:
                assert blocks <= data, name


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_pod_template_is_a_valid_kubernetes_pod_template(planned: Plan, stack: str) -> None:
    out_dir, _ = planned(stack)
    for name, rollout in objects(out_dir, "Rollout").items():
        as_deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {"selector": rollout["spec"]["selector"], "template": rollout["spec"]["template"]},
        }
        assert schema.validate(as_deployment, "1.35") is None, name


def test_add_ons_acting_on_the_services_objects_are_installed(planned: Plan) -> None:
    out_dir, _ = planned("prod")
    releases = {
        doc["chart"]: doc for doc in (yaml.safe_load(p.read_text()) for p in sorted((out_dir / "helm").glob("*.yaml")))
    }
    pins = {pin.chart: pin for pin in PINS}
    for chart in ("argo-rollouts", "kube-prometheus-stack", "metrics-server"):
        assert releases[chart]["version"] == pins[chart].version
        assert unknown_keys(pins[chart], releases[chart]["values"]) == []
    grafana = releases["kube-prometheus-stack"]["values"]["grafana"]
    assert grafana["admin"]["existingSecret"] and "adminPassword" not in grafana


def test_services_have_their_ecr_repository_and_irsa_role(planned: Plan) -> None:
    _, resources = planned("prod")
    repositories = {r["inputs"]["name"]: r for r in of_type(resources, "aws:ecr/repository:Repository")}
    assert set(repositories) == {f"platform-prod/{s}" for s in SERVICES}
    for repo in repositories.values():
        assert repo["inputs"]["imageTagMutability"] == "IMMUTABLE"
        assert repo.get("protect") is True
    oidc = next(r for r in resources if r["type"] == "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    roles = [
        r
        for r in of_type(resources, "aws:iam/role:Role")
        if r["urn"].rsplit("::", 1)[-1] in {f"{s}-irsa" for s in SERVICES}
    ]
    assert len(roles) == len(SERVICES)
    assert all(oidc["urn"] in r["dependencies"] for r in roles), "IRSA trust is built from the OIDC provider"


def test_every_secret_a_pod_reads_is_delivered_by_external_secrets(planned: Plan) -> None:
    out_dir, _ = planned("prod")
    delivered = {
        (e["metadata"]["namespace"], e["spec"]["target"]["name"]) for e in objects(out_dir, "ExternalSecret").values()
    }
    for name, rollout in objects(out_dir, "Rollout").items():
        _, container = pod_and_container(rollout)
        refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
        assert refs, f"{name} reads its datastore credentials from a Secret"
        for ref in refs:
            assert (rollout["metadata"]["namespace"], ref["name"]) in delivered, (name, ref["name"])
            assert ref["key"] == "url"


def test_services_wait_for_their_secrets_and_the_controllers(planned: Plan) -> None:
    _, resources = planned("prod")
    by_name = {(r["type"].rsplit(":", 1)[-1], r["urn"].rsplit("::", 1)[-1]): r for r in resources}
    rollout = by_name[("Rollout", "user-service-rollout")]
    credentials = by_name[("ExternalSecret", "external-secrets-postgres-credentials")]
    argo = by_name[("Release", "argo-rollouts")]
    assert argo["urn"] in rollout["dependencies"]
    assert credentials["urn"] in rollout["dependencies"]
    operator = by_name[("Release", "external-secrets-operator")]
    assert operator["urn"] in by_name[("Password", "monitoring-grafana-password")]["dependencies"]
    kube_prometheus_stack = by_name[("Release", "monitoring-kube-prometheus-stack")]
    assert by_name[("ExternalSecret", "monitoring-grafana-admin")]["urn"] in kube_prometheus_stack["dependencies"]


def test_kong_routes_reach_the_active_services_and_only_kong_may_call_them(planned: Plan) -> None:
    out_dir, _ = planned("prod")
    services = objects(out_dir, "Service")
    routes = [i for i in objects(out_dir, "Ingress").values() if i["spec"].get("ingressClassName") == "kong"]
    backends = {
        (p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"])
        for route in routes
        if route["metadata"]["namespace"] == "apps"
        for rule in route["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert backends == set(WEB_PORTS.items())
    (policy,) = objects(out_dir, "KongUpstreamPolicy").values()
    for name, port in backends:
        service = services[name]
        assert service["metadata"]["namespace"] == "apps"
        assert port in [p["port"] for p in service["spec"]["ports"]]
        assert service["metadata"]["annotations"]["konghq.com/upstream-policy"] == policy["metadata"]["name"]
    kong_pods = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kong"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "kong"}},
    }
    policies = objects(out_dir, "NetworkPolicy")
    for name in WEB_PORTS:
        (rule,) = policies[f"{name}-from-gateway"]["spec"]["ingress"]
        assert rule["from"] == [kong_pods]


def test_analyses_ask_the_prometheus_the_platform_installs(planned: Plan) -> None:
    out_dir, resources = planned("prod")
    address = resources[0]["outputs"]["prometheusAddress"]
    assert address.startswith("http://kube-prometheus-stack-prometheus.monitoring.svc")
    for template in objects(out_dir, "AnalysisTemplate").values():
        assert template["spec"]["metrics"][0]["provider"]["prometheus"]["address"] == address


def test_prod_plans_burn_rate_alerts_for_each_service_after_the_prometheus_operators_crds(planned: Plan) -> None:
    _, resources = planned("prod")
    rules = of_type(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    releases = of_type(resources, "kubernetes:helm.sh/v3:Release")
    # The PrometheusRule CRD comes with its own release; the operator picks the rules up when it starts.
    (crds,) = [r["urn"] for r in releases if r["inputs"]["chart"] == "prometheus-operator-crds"]
    alerting: set[str] = set()
    for rule in rules:
        assert rule["inputs"]["metadata"]["namespace"] == "monitoring"
        assert crds in rule["dependencies"]
        for group in rule["inputs"]["spec"]["groups"]:
            for r in group["rules"]:
                if r.get("alert", "").startswith("SloBurn"):
                    alerting.add(r["labels"]["service"])
    assert alerting == set(SERVICES)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_planned_rule_expressions_parse_and_name_only_exported_or_recorded_series(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    groups = [
        g
        for r in of_type(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
        for g in r["inputs"]["spec"]["groups"]
    ]
    recorded = {rule["record"] for g in groups for rule in g["rules"] if "record" in rule}
    for group in groups:
        for rule in group["rules"]:
            assert metric_names(rule["expr"]) <= set(CATALOGUE) | recorded, (group["name"], rule["expr"])
