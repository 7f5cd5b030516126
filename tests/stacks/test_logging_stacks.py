"""The ELK stack end to end per environment through the offline plan: 3 Elasticsearch nodes over the zones
in prod (1 in dev), Kibana, Logstash and a shipper on every node, 30 days of logs, snapshots into the
stack's own backup bucket under a role scoped to its prefix, no credential in the plan, Kibana on the
edge behind the login when asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.addons import eck_operator, fluent_bit, oauth2_proxy
from tests.conftest import STACKS
from tests.support import ROOT, load_plan, of_type, one, policy
from tools.plan import plan_stack

Plan = Any
RELEASE = "kubernetes:helm.sh/v3:Release"
ES = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"
KIBANA = "kubernetes:kibana.k8s.elastic.co/v1:Kibana"
LOGSTASH = "kubernetes:logstash.k8s.elastic.co/v1alpha1:Logstash"
NODES = {"dev": 1, "staging": 3, "prod": 3}
SECRET = "4dabf18193072939515e22adb298388d"


def release(resources: list[dict[str, Any]], chart: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(resources, RELEASE) if r["inputs"]["chart"] == chart]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_elasticsearch_runs_the_configured_nodes_spread_over_zones_when_more_than_one(
    planned: Plan, stack: str
) -> None:
    _, resources = planned(stack)
    (nodes,) = one(resources, ES)["inputs"]["spec"]["nodeSets"]
    assert nodes["count"] == NODES[stack]
    spread = nodes["podTemplate"]["spec"].get("topologySpreadConstraints", [])
    if NODES[stack] > 1:
        assert nodes["zoneAwareness"]["topologyKey"] == "topology.kubernetes.io/zone"
        assert [c["topologyKey"] for c in spread] == ["topology.kubernetes.io/zone"]
    else:
        assert "zoneAwareness" not in nodes and spread == []
    (claim,) = nodes["volumeClaimTemplates"]
    storage_class = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass")
    assert claim["spec"]["storageClassName"] == storage_class["inputs"]["metadata"]["name"]
    assert storage_class["inputs"]["parameters"]["encrypted"] == "true"


@pytest.mark.parametrize("stack", STACKS)
def test_kibana_logstash_and_a_shipper_on_every_node_wait_for_the_operator(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    operator = release(resources, eck_operator.PIN.chart)
    assert operator["inputs"]["version"] == eck_operator.PIN.version
    for token in (ES, KIBANA, LOGSTASH):
        assert operator["urn"] in one(resources, token)["dependencies"], token
    shipper = release(resources, fluent_bit.PIN.chart)
    assert shipper["inputs"]["values"]["kind"] == "DaemonSet"
    assert shipper["inputs"]["values"]["tolerations"] == [{"operator": "Exists"}]


@pytest.mark.parametrize("stack", STACKS)
def test_logs_are_deleted_thirty_days_after_rollover(planned: Plan, stack: str) -> None:
    out, _ = planned(stack)
    (config_map,) = [
        yaml.safe_load(p.read_text()) for p in (out / "manifests").glob("configmap-logging-elasticsearch-setup-*.yaml")
    ]
    phases = json.loads(config_map["data"]["ilm-policy.json"])["policy"]["phases"]
    assert phases["delete"]["min_age"] == "30d"
    (job,) = list((out / "manifests").glob("job-logging-elasticsearch-setup-*.yaml"))
    assert job.name.removeprefix("job-logging-") == f"{config_map['metadata']['name']}.yaml"


@pytest.mark.parametrize("stack", STACKS)
def test_snapshots_go_to_the_stacks_backup_bucket_under_a_role_scoped_to_their_prefix(
    planned: Plan, stack: str
) -> None:
    out, resources = planned(stack)
    bucket = one(resources, "aws:s3/bucket:Bucket", "backups-primary")
    key = one(resources, "aws:kms/key:Key", "backups-key")
    (config_map,) = [
        yaml.safe_load(p.read_text()) for p in (out / "manifests").glob("configmap-logging-elasticsearch-setup-*.yaml")
    ]
    repository = json.loads(config_map["data"]["snapshot-repository.json"])
    assert repository["settings"]["bucket"] == bucket["outputs"]["bucket"]
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "logging-snapshots")
    statements = {s["Sid"]: s for s in policy(role_policy, "policy")["Statement"]}
    assert statements["ReadAndWriteTheSnapshots"]["Resource"] == f"{bucket['outputs']['arn']}/elasticsearch/*"
    assert statements["UseTheBackupKeyThroughS3"]["Resource"] == key["outputs"]["arn"]
    assert role_policy["dependencies"], "the policy waits for its role"


@pytest.mark.parametrize("stack", STACKS)
def test_no_credential_of_the_logging_stack_is_in_the_plan(planned: Plan, stack: str) -> None:
    out, _ = planned(stack)
    logging = [r for r in load_plan(out) if "platform:logging:Logging" in r["urn"]]
    assert len(logging) > 10
    text = json.dumps([r.get("inputs", {}) for r in logging])
    assert SECRET not in text, "a secret hid a whole property from the checks"
    assert "elastic:" not in text.replace('"elastic:%s', "")
    for path in (out / "manifests").glob("*logging*"):
        assert "kind: Secret\n" not in path.read_text(), path.name


# -- Kibana on the edge (a test stack) --------------------------------------------------------------
@pytest.fixture(scope="module")
def kibana_edge(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    document["config"]["platform:consoles"] = {
        "mode": "edge",
        "hostnames": {"kibana": "kibana.platform.example.com"},
        "identityProvider": {
            "issuerUrl": "https://login.example.com/realms/platform",
            "clientId": "platform-consoles",
            "clientSecretName": "platform/prod/consoles/oidc-client-secret",
            "cookieSecretName": "platform/prod/consoles/cookie-secret",
            "allowedEmailDomains": ["example.com"],
        },
    }
    folder: Path = tmp_path_factory.mktemp("kibana-edge")
    stack_file = folder / "Pulumi.kibana-edge.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    return plan_stack("prod", config_file=stack_file, out=folder / "out").resources


def test_kibana_is_published_only_behind_the_login_proxy(kibana_edge: list[dict[str, Any]]) -> None:
    proxy = release(kibana_edge, oauth2_proxy.PIN.chart)
    assert proxy["inputs"]["name"] == oauth2_proxy.release_name("kibana")
    assert proxy["inputs"]["values"]["config"]["upstreams"] == ["http://logs-kb-http.logging.svc.cluster.local:5601"]
    (ingress,) = [
        i
        for i in of_type(kibana_edge, "kubernetes:networking.k8s.io/v1:Ingress")
        if i["inputs"]["metadata"]["namespace"] == "consoles"
    ]
    assert ingress["inputs"]["spec"]["rules"][0]["host"] == "kibana.platform.example.com"
    (path,) = ingress["inputs"]["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"]["name"] == oauth2_proxy.release_name("kibana")
    assert kibana_edge[0]["outputs"]["consoleUrls"] == {"kibana": "https://kibana.platform.example.com/"}


def test_fluent_bit_may_reach_the_kubernetes_api_and_nothing_else_outside_the_cluster(planned: Plan) -> None:
    _, resources = planned("prod")
    (api,) = [
        p["inputs"]["spec"]
        for p in of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p["inputs"]["metadata"]["name"] == "fluent-bit-to-aws-apis"
    ]
    (rule,) = api["egress"]
    vpc = one(resources, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"]
    assert sorted(peer["ipBlock"]["cidr"] for peer in rule["to"]) == sorted([vpc, "172.20.0.1/32"])
    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]


def test_elasticsearch_reaches_aws_over_https_but_not_the_rest_of_the_vpc(planned: Plan) -> None:
    _, resources = planned("prod")
    (policy,) = [
        p["inputs"]["spec"]
        for p in of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p["inputs"]["metadata"]["name"] == "elasticsearch-to-aws-apis"
    ]
    (rule,) = policy["egress"]
    vpc = one(resources, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"]
    private = sorted(
        s["inputs"]["cidrBlock"]
        for s in of_type(resources, "aws:ec2/subnet:Subnet")
        if s["inputs"].get("tags", {}).get("Tier") == "private"
    )
    blocks = [peer["ipBlock"] for peer in rule["to"]]
    assert {"cidr": "0.0.0.0/0", "except": [vpc]} in blocks  # S3's public ranges, through its gateway
    assert sorted(b["cidr"] for b in blocks if b["cidr"] != "0.0.0.0/0") == private  # STS and the endpoints
    assert private and rule["ports"] == [{"protocol": "TCP", "port": 443}]
