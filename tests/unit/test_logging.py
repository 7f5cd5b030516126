"""The Logging component: Elasticsearch (nodes, zones, encrypted volumes, TLS), Kibana, Logstash and its
pipeline, Fluent Bit on every node, the API setup Job (index lifecycle, snapshots), the snapshot role
scoped to its prefix, Grafana's datasource, and no credential anywhere in the plan."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.addons import eck_operator, fluent_bit
from components.addons.base import unknown_keys
from components.addons.eck_operator import EckOperator, EckOperatorArgs
from components.contracts import ClusterIdentity, PeerPods
from components.logging import (
    ELASTIC_USER_SECRET,
    Logging,
    LoggingArgs,
    SnapshotBucket,
    ilm_policy,
    pipeline,
    setup_files,
    snapshot_statements,
)
from components.logging_network import Neighbours
from components.parts import installs_crds
from infra.config.logging import LoggingConfig
from infra.config.workloads import PodResources, ProtectionConfig
from tests.support import Resource, build, of_type, one, policy

RELEASE = "kubernetes:helm.sh/v3:Release"
ES = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"
KIBANA = "kubernetes:kibana.k8s.elastic.co/v1:Kibana"
LOGSTASH = "kubernetes:logstash.k8s.elastic.co/v1alpha1:Logstash"
JOB = "kubernetes:batch/v1:Job"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
BUCKET_ARN = "arn:aws:s3:::platform-prod-backups-us-east-1-123456789012"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/backups"
ACCESS_LOGS = {"nginx": "nginx-ingress", "kong": "kong"}


def logging_stack(spec: LoggingConfig) -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        aws_provider = aws.Provider("aws", region="us-east-1", skip_credentials_validation=True)
        operator = EckOperator(
            "eck-operator", EckOperatorArgs(kubernetes_provider=provider, managed_namespaces=["logging"])
        )
        # The other CRDs the caller makes it wait for (the External Secrets and Prometheus operators).
        others = k8s.core.v1.ConfigMap("crds-stand-in", opts=pulumi.ResourceOptions(provider=provider))
        installs_crds(others, {"external-secrets.io", "generators.external-secrets.io", "monitoring.coreos.com"})
        Logging(
            "logging",
            LoggingArgs(
                spec=spec,
                kubernetes_provider=provider,
                storage_class="gp3-encrypted",
                identity=ClusterIdentity(
                    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
                    "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
                ),
                region="us-east-1",
                dns_suffix="amazonaws.com",
                snapshots=SnapshotBucket(
                    name="platform-prod-backups-us-east-1-123456789012", arn=BUCKET_ARN, key_arn=KEY_ARN
                ),
                role_name_prefix="platform-prod",
                protection=ProtectionConfig(),
                access_log_namespaces=ACCESS_LOGS,
                grafana_namespace="monitoring",
                neighbours=Neighbours(
                    dns=PeerPods("kube-system", {"k8s-app": "kube-dns"}),
                    operator_namespace=operator.namespace,
                    grafana=PeerPods("monitoring", {"app.kubernetes.io/name": "grafana"}),
                    consoles_namespace="consoles",
                    scrapers=PeerPods("monitoring", {"app.kubernetes.io/name": "prometheus"}),
                    api_cidrs=["10.0.0.0/16"],
                    vpc_cidr="10.0.0.0/16",
                    endpoint_cidrs=["10.0.32.0/19"],
                ),
                job_resources=PodResources(),
            ),
            opts=pulumi.ResourceOptions(providers={"aws": aws_provider}, depends_on=[operator.release, others]),
        )

    return build(program)


PROD = LoggingConfig(elasticsearch_nodes=3, volume_gib=200, retention_days=30)
DEV = LoggingConfig(elasticsearch_nodes=1, volume_gib=20, retention_days=30)


@pytest.fixture(scope="module")
def prod() -> list[Resource]:
    return logging_stack(PROD)


@pytest.fixture(scope="module")
def dev() -> list[Resource]:
    return logging_stack(DEV)


def node_set(resources: list[Resource]) -> dict[str, Any]:
    (only,) = one(resources, ES)["inputs"]["spec"]["nodeSets"]
    return only


def eck_release(resources: list[Resource]) -> Resource:
    (found,) = [r for r in of_type(resources, RELEASE) if r["inputs"]["chart"] == eck_operator.PIN.chart]
    return found


def test_prod_spreads_three_nodes_over_the_zones(prod: list[Resource]) -> None:
    nodes = node_set(prod)
    assert nodes["count"] == 3
    assert nodes["zoneAwareness"] == {"topologyKey": "topology.kubernetes.io/zone"}
    (spread,) = nodes["podTemplate"]["spec"]["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["maxSkew"], spread["whenUnsatisfiable"]) == (
        "topology.kubernetes.io/zone",
        1,
        "DoNotSchedule",
    )
    assert spread["labelSelector"]["matchLabels"] == {"elasticsearch.k8s.elastic.co/cluster-name": "logs"}


def test_dev_runs_one_node_without_a_zone_spread(dev: list[Resource]) -> None:
    nodes = node_set(dev)
    assert nodes["count"] == 1
    assert "zoneAwareness" not in nodes
    assert "topologySpreadConstraints" not in nodes["podTemplate"]["spec"]


def test_nodes_keep_their_data_on_the_encrypted_storage_class_with_tls_and_configured_resources(
    prod: list[Resource],
) -> None:
    elasticsearch = one(prod, ES)
    spec = elasticsearch["inputs"]["spec"]
    assert spec["http"]["tls"]["selfSignedCertificate"]["disabled"] is False
    (claim,) = node_set(prod)["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "elasticsearch-data"
    assert claim["spec"]["storageClassName"] == "gp3-encrypted"
    assert claim["spec"]["resources"]["requests"]["storage"] == "200Gi"
    (container,) = node_set(prod)["podTemplate"]["spec"]["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "1000m", "memory": "2Gi"},
        "limits": {"cpu": "2000m", "memory": "2Gi"},
    }
    assert elasticsearch["protect"] is True


def test_every_custom_resource_waits_for_the_operators_crds(prod: list[Resource]) -> None:
    release = eck_release(prod)["urn"]
    others = one(prod, CONFIG_MAP, "crds-stand-in")["urn"]
    for token in (ES, KIBANA, LOGSTASH):
        assert release in one(prod, token)["dependencies"], token
        assert others not in one(prod, token)["dependencies"], f"{token}: only ECK's release"
    # The password, its ExternalSecret and the store wait for the External Secrets Operator's release only.
    for token in ("Password", "ExternalSecret", "SecretStore"):
        for found in [r for r in prod if r["type"].endswith(f":{token}")]:
            if found["urn"].endswith("-copy"):
                continue  # waits for the store and the reader, which wait for the release
            assert others in found["dependencies"] and release not in found["dependencies"], found["urn"]
    assert eck_release(prod)["inputs"]["values"]["managedNamespaces"] == ["logging"]
    assert unknown_keys(eck_operator.PIN, eck_release(prod)["inputs"]["values"]) == []


def test_kibana_and_logstash_talk_to_the_cluster_through_eck_references(prod: list[Resource]) -> None:
    kibana = one(prod, KIBANA)["inputs"]["spec"]
    assert kibana["elasticsearchRef"] == {"name": "logs"}
    logstash = one(prod, LOGSTASH)["inputs"]["spec"]
    assert logstash["elasticsearchRefs"] == [{"name": "logs", "clusterName": "logs"}]
    (main,) = logstash["pipelines"]
    config = main["config.string"]
    assert "http { port => 8080 }" in config
    assert '"${LOGS_ES_PASSWORD}"' in config, "Logstash reads its ECK user's password from its environment"
    assert [s["name"] for s in logstash["services"]] == ["http"]


def test_the_pipeline_parses_json_and_both_access_logs_and_maps_kubernetes_metadata() -> None:
    config = pipeline(ACCESS_LOGS)
    assert config.count("%{HTTPD_COMBINEDLOG}") == 2
    assert '[kubernetes][namespace] == "nginx-ingress"' in config
    assert '[kubernetes][namespace] == "kong"' in config
    assert '"platform.nginx"' in config and '"platform.kong"' in config and '"platform.services"' in config
    assert 'json { source => "message"' in config
    assert '"[kubernetes][pod_name]" => "[kubernetes][pod][name]"' in config
    blocks = re.sub(r"=~ /[^/]*/", "", config)  # regular expressions may hold braces of their own
    assert blocks.count("{") == blocks.count("}"), "balanced blocks"


def test_fluent_bit_runs_on_every_node_and_ships_to_logstash(prod: list[Resource]) -> None:
    (release,) = [r for r in of_type(prod, RELEASE) if r["inputs"]["chart"] == fluent_bit.PIN.chart]
    values = release["inputs"]["values"]
    assert unknown_keys(fluent_bit.PIN, values) == []
    assert values["kind"] == "DaemonSet"
    assert values["tolerations"] == [{"operator": "Exists"}]
    assert release["inputs"]["namespace"] == "logging"
    assert "Host logs-ls-http.logging.svc.cluster.local" in values["config"]["outputs"]
    assert "Port 8080" in values["config"]["outputs"]
    assert "Path /var/log/containers/*.log" in values["config"]["inputs"]
    assert "Name kubernetes" in values["config"]["filters"]
    assert one(prod, LOGSTASH)["urn"] in release["dependencies"]


def test_the_setup_job_deletes_logs_after_the_retention_and_registers_the_snapshots(prod: list[Resource]) -> None:
    (config_map,) = of_type(prod, CONFIG_MAP)[1:]  # the first is the stand-in
    data = config_map["inputs"]["data"]
    ilm = json.loads(data["ilm-policy.json"])["policy"]["phases"]
    assert ilm["delete"] == {"min_age": "30d", "actions": {"delete": {}}}
    template = json.loads(data["index-template.json"])
    assert template["template"]["settings"]["index.lifecycle.name"] == "platform-logs"
    assert template["index_patterns"] == ["logs-platform.*-*"]
    repository = json.loads(data["snapshot-repository.json"])
    assert repository["settings"]["base_path"].startswith("elasticsearch/")
    job = one(prod, JOB)
    assert one(prod, ES)["urn"] in job["dependencies"]
    (container,) = job["inputs"]["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"curlimages/curl:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", container["image"])
    # The elastic password is a mounted file the script reads, never an environment variable.
    assert [e["name"] for e in container["env"]] == ["ES_URL"]
    pod = job["inputs"]["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "elastic"]
    assert volume["secret"] == {"secretName": ELASTIC_USER_SECRET, "items": [{"key": "elastic", "path": "password"}]}
    assert {"name": "elastic", "mountPath": "/elastic", "readOnly": True} in container["volumeMounts"]
    assert '"$(cat /elastic/password)"' in data["setup.sh"] and "ELASTIC_PASSWORD" not in data["setup.sh"]
    assert pod["securityContext"]["runAsUser"] >= 10000  # no UID of a host account


def test_a_changed_retention_renames_the_setup_so_it_runs_again() -> None:
    names = {json.dumps(setup_files(LoggingConfig(retention_days=days), "bucket"), sort_keys=True) for days in (30, 14)}
    assert len(names) == 2
    assert ilm_policy(7)["policy"]["phases"]["delete"]["min_age"] == "7d"


def test_the_snapshot_role_reaches_only_its_prefix_and_the_backup_key(prod: list[Resource]) -> None:
    role = one(prod, "aws:iam/role:Role")
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Condition"]["StringEquals"]["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == (
        "system:serviceaccount:logging:elasticsearch"
    )
    statements = {s["Sid"]: s for s in policy(one(prod, "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]}
    assert statements == {s["Sid"]: s for s in snapshot_statements(BUCKET_ARN, KEY_ARN, "us-east-1", "amazonaws.com")}
    objects = statements["ReadAndWriteTheSnapshots"]
    assert objects["Resource"] == f"{BUCKET_ARN}/elasticsearch/*"
    assert statements["ListTheSnapshotPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["elasticsearch/*"]}}
    assert statements["UseTheBackupKeyThroughS3"]["Resource"] == KEY_ARN
    assert statements["UseTheBackupKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    for statement in statements.values():
        assert "*" not in statement["Action"] and "s3:*" not in statement["Action"]
        assert statement["Resource"] not in ("*", f"{BUCKET_ARN}/*")
    account = one(prod, "kubernetes:core/v1:ServiceAccount", "logging-elasticsearch")
    assert account["inputs"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role["outputs"]["arn"]
    assert node_set(prod)["podTemplate"]["spec"]["serviceAccountName"] == "elasticsearch"


def test_grafana_gets_the_datasource_rendered_in_the_cluster(prod: list[Resource]) -> None:
    copies = [
        e
        for e in of_type(prod, "kubernetes:external-secrets.io/v1:ExternalSecret")
        if e["inputs"]["metadata"]["namespace"] == "monitoring"
    ]
    (copy,) = copies
    target = copy["inputs"]["spec"]["target"]
    assert target["template"]["metadata"]["labels"] == {"grafana_datasource": "1"}
    (datasource,) = json.loads(
        target["template"]["data"]["logs-datasource.yaml"]
        .replace("{{ .password | toJson }}", '"p"')
        .replace("{{ .ca | toJson }}", '"c"')
    )["datasources"]
    assert datasource["type"] == "elasticsearch"
    assert datasource["url"] == "https://logs-es-http.logging.svc:9200"
    assert datasource["jsonData"]["tlsAuthWithCACert"] is True
    role = one(prod, "kubernetes:rbac.authorization.k8s.io/v1:Role")
    (rule,) = role["inputs"]["rules"]
    assert (rule["verbs"], sorted(rule["resourceNames"])) == (
        ["get"],
        ["grafana-logs-reader", "logs-es-http-certs-public"],
    )


def test_no_credential_is_in_the_plan(prod: list[Resource]) -> None:
    text = json.dumps([r.get("inputs", {}) for r in prod])
    assert "4dabf18193072939515e22adb298388d" not in text, "a secret hid a whole property"
    assert not of_type(prod, "kubernetes:core/v1:Secret")
    assert not of_type(prod, "random:index/randomPassword:RandomPassword")
    for match in re.finditer(r'"(?:password|basicAuthPassword)": "([^"]*)"', text):
        assert match.group(1) in ("{{ .password }}",), match.group(0)


def test_the_namespace_denies_everything_but_the_flows_of_the_logs(prod: list[Resource]) -> None:
    policies = {
        p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]
        for p in of_type(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    deny = policies["default-deny"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny and "egress" not in deny
    logstash = policies["logstash"]
    (only,) = logstash["ingress"]
    assert only["from"] == [
        {
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "fluent-bit", "app.kubernetes.io/instance": "fluent-bit"}
            }
        }
    ]
    assert only["ports"] == [{"protocol": "TCP", "port": 8080}]
    http, transport = policies["elasticsearch"]["ingress"]
    assert http["ports"] == [{"protocol": "TCP", "port": 9200}]
    admitted = [
        peer.get("podSelector", {}).get("matchLabels") or peer["namespaceSelector"]["matchLabels"]
        for peer in http["from"]
    ]
    assert {"kibana.k8s.elastic.co/name": "logs"} in admitted
    assert {"kubernetes.io/metadata.name": "elastic-system"} in admitted
    assert transport["ports"] == [{"protocol": "TCP", "port": 9300}]
    (kibana,) = policies["kibana"]["ingress"]
    assert kibana["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "consoles"}}}]
    job = one(prod, JOB)["inputs"]["spec"]["template"]
    assert job["metadata"]["labels"] == {"app.kubernetes.io/name": "elasticsearch-setup"}
    assert policies["elasticsearch-setup"]["policyTypes"] == ["Egress"]
