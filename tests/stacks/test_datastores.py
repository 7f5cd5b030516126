"""The datastores in the committed stacks: the system's requirements checked on the prod plan, and every
stack's security groups, secrets and wiring."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STACKS
from tests.support import by_urn, of_type, one, policy
from tools.offline.outputs import mock_password

Plan = Any
PORTS = {"postgres": 5432, "redis": 6379, "rabbitmq": 5671, "documentdb": 27017}
STATEFUL = (
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:mq/broker:Broker",
    "aws:docdb/cluster:Cluster",
    "aws:docdb/clusterInstance:ClusterInstance",
    "aws:kms/key:Key",
    "aws:secretsmanager/secret:Secret",
)


def test_prod_postgres(planned: Plan) -> None:
    _, resources = planned("prod")
    db = one(resources, "aws:rds/instance:Instance")
    keys = {k["outputs"]["arn"] for k in of_type(resources, "aws:kms/key:Key")}
    inputs = db["inputs"]
    assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] in keys
    assert inputs["multiAz"] is True
    assert inputs["publiclyAccessible"] is False
    assert inputs["backupRetentionPeriod"] == 30 and inputs["backupWindow"].startswith("02:00")
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False and inputs["finalSnapshotIdentifier"]
    assert db.get("protect") is True


def test_prod_redis(planned: Plan) -> None:
    _, resources = planned("prod")
    group = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    inputs = group["inputs"]
    assert inputs["atRestEncryptionEnabled"] is True and inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert inputs["transitEncryptionEnabled"] is True
    assert inputs["automaticFailoverEnabled"] is True and inputs["multiAzEnabled"] is True
    assert inputs["numCacheClusters"] >= 2
    assert group.get("protect") is True


def test_prod_rabbitmq(planned: Plan) -> None:
    _, resources = planned("prod")
    broker = one(resources, "aws:mq/broker:Broker")
    assert broker["inputs"]["engineType"] == "RabbitMQ"
    assert broker["inputs"]["publiclyAccessible"] is False
    assert broker["inputs"]["deploymentMode"] == "CLUSTER_MULTI_AZ"
    assert broker.get("protect") is True


def test_prod_documentdb(planned: Plan) -> None:
    _, resources = planned("prod")
    cluster = one(resources, "aws:docdb/cluster:Cluster")
    assert cluster["inputs"]["storageEncrypted"] is True and cluster["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert cluster["inputs"]["deletionProtection"] is True
    assert cluster["inputs"]["skipFinalSnapshot"] is False
    assert cluster.get("protect") is True
    assert len(of_type(resources, "aws:docdb/clusterInstance:ClusterInstance")) == 3


def test_prod_protects_every_stateful_datastore_resource_and_dev_relaxes_by_config(planned: Plan) -> None:
    for stack, expected in (("prod", True), ("dev", False)):
        _, resources = planned(stack)
        for token in STATEFUL:
            found = of_type(resources, token)
            assert found, token
            assert all(r.get("protect", False) is expected for r in found), (stack, token)
    _, dev = planned("dev")
    assert one(dev, "aws:mq/broker:Broker")["inputs"]["deploymentMode"] == "SINGLE_INSTANCE"
    assert one(dev, "aws:rds/instance:Instance")["inputs"]["deletionProtection"] is False


def _world(cidrs: Iterable[str]) -> bool:
    return any(ipaddress.ip_network(c).prefixlen == 0 for c in cidrs)


def _opens(from_port: int, to_port: int, protocol: str, port: int) -> bool:
    if str(protocol) in ("-1", "all"):
        return True
    return from_port <= port <= to_port


def world_rules(resources: list[dict[str, Any]], port: int) -> list[str]:
    """Security-group rules of any form that admit ``port`` from 0.0.0.0/0 or ::/0."""
    found = []
    for sg in of_type(resources, "aws:ec2/securityGroup:SecurityGroup"):
        for rule in sg["inputs"].get("ingress") or []:
            cidrs = (rule.get("cidrBlocks") or []) + (rule.get("ipv6CidrBlocks") or [])
            if _world(cidrs) and _opens(rule["fromPort"], rule["toPort"], rule["protocol"], port):
                found.append(sg["urn"])
    for rule in of_type(resources, "aws:ec2/securityGroupRule:SecurityGroupRule"):
        inputs = rule["inputs"]
        cidrs = (inputs.get("cidrBlocks") or []) + (inputs.get("ipv6CidrBlocks") or [])
        opens = _opens(inputs["fromPort"], inputs["toPort"], inputs["protocol"], port)
        if inputs["type"] == "ingress" and _world(cidrs) and opens:
            found.append(rule["urn"])
    for rule in of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        inputs = rule["inputs"]
        cidrs = [c for c in (inputs.get("cidrIpv4"), inputs.get("cidrIpv6")) if c]
        if _world(cidrs) and _opens(inputs.get("fromPort", 0), inputs.get("toPort", 65535), inputs["ipProtocol"], port):
            found.append(rule["urn"])
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_no_rule_opens_a_datastore_port_to_the_world(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    for store, port in PORTS.items():
        assert world_rules(resources, port) == [], store


def test_the_world_check_catches_an_open_rule() -> None:
    sg = {
        "urn": "u",
        "type": "aws:ec2/securityGroup:SecurityGroup",
        "inputs": {"ingress": [{"protocol": "tcp", "fromPort": 5000, "toPort": 6000, "ipv6CidrBlocks": ["::/0"]}]},
    }
    assert world_rules([sg], 5432) == ["u"]
    assert world_rules([sg], 6379) == []


@pytest.mark.parametrize("stack", STACKS)
def test_each_datastore_admits_only_its_clients_security_group_on_its_port(planned: Plan, stack: str) -> None:
    """Staging and prod: the clients' own group (security groups for pods); dev (t3 nodes, no trunk ENIs):
    the cluster's."""
    _, resources = planned(stack)
    eks = one(resources, "aws:eks/cluster:Cluster")
    clients = [
        g for g in of_type(resources, "aws:ec2/securityGroup:SecurityGroup") if g["urn"].endswith("::datastore-clients")
    ]
    assert bool(clients) is (stack != "dev")
    cluster_sg = clients[0]["id"] if clients else eks["outputs"]["vpcConfig"]["clusterSecurityGroupId"]
    admitted = clients[0]["urn"] if clients else eks["urn"]
    rules = of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    for store, port in PORTS.items():
        sg = one(resources, "aws:ec2/securityGroup:SecurityGroup", f"{store}-sg")
        assert sg["inputs"]["egress"] == [] and not sg["inputs"].get("ingress")
        mine = [r for r in rules if r["inputs"]["securityGroupId"] == sg["id"]]
        if store == "rabbitmq":  # the management API, to the rotation function alone
            (management,) = [r for r in mine if r["urn"].endswith("::rabbitmq-from-rotation")]
            function_sg = one(resources, "aws:ec2/securityGroup:SecurityGroup", "rabbitmq-rotation")
            assert (management["inputs"]["fromPort"], management["inputs"]["referencedSecurityGroupId"]) == (
                443,
                function_sg["id"],
            )
            mine.remove(management)
        assert [
            (r["inputs"]["fromPort"], r["inputs"]["toPort"], r["inputs"]["referencedSecurityGroupId"]) for r in mine
        ] == [(port, port, cluster_sg)], store
        assert all(admitted in r["dependencies"] for r in mine), "the edge to the admitted group must survive the mocks"
        assert eks["urn"] not in sg["dependencies"], "the datastore need not wait for the cluster"


@pytest.mark.parametrize("stack", STACKS)
def test_datastores_live_in_the_data_subnets(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    data = sorted(s["id"] for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "data")
    for token in (
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:docdb/subnetGroup:SubnetGroup",
    ):
        assert sorted(one(resources, token)["inputs"]["subnetIds"]) == data, token
    broker = one(resources, "aws:mq/broker:Broker")["inputs"]
    assert set(broker["subnetIds"]) <= set(data)


def generated_passwords(resources: list[dict[str, Any]]) -> dict[str, str]:
    """The values the mocks gave every RandomPassword of the plan."""
    return {
        r["urn"]: mock_password(r["urn"].rsplit("::", 1)[-1], r["inputs"]["length"])
        for r in of_type(resources, "random:index/randomPassword:RandomPassword")
    }


def plain_text_hits(out: Path, values: Iterable[str]) -> list[str]:
    files = [out / "plan.json", *sorted((out / "manifests").glob("*.yaml")), *sorted((out / "helm").glob("*.yaml"))]
    hits = []
    for path in files:
        text = path.read_text()
        hits += [f"{path.name}: {v[:6]}…" for v in values if v in text]
    return hits


@pytest.mark.parametrize("stack", STACKS)
def test_no_generated_password_in_plain_text_anywhere(planned: Plan, stack: str) -> None:
    out, resources = planned(stack)
    passwords = generated_passwords(resources)
    assert len(passwords) == 2  # Redis's AUTH token and RabbitMQ's password; RDS and DocumentDB manage theirs
    assert plain_text_hits(out, passwords.values()) == []


@pytest.mark.parametrize("stack", STACKS)
def test_rds_and_documentdb_passwords_are_never_pulumi_inputs(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    db = one(resources, "aws:rds/instance:Instance")["inputs"]
    cluster = one(resources, "aws:docdb/cluster:Cluster")["inputs"]
    assert db["manageMasterUserPassword"] is True and cluster["manageMasterUserPassword"] is True
    assert not {"password", "passwordWo"} & set(db) and not {"masterPassword", "masterPasswordWo"} & set(cluster)
    # The services still find a ready URL under the same key, built from the managed secret.
    externals = {e["inputs"]["metadata"]["name"]: e["inputs"]["spec"] for e in
                 of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")}  # fmt: skip
    for store, component in (("postgres", "Postgres"), ("documentdb", "DocumentDb")):
        spec = externals[f"{store}-credentials"]
        assert "url" in spec["target"]["template"]["data"] and spec["target"]["template"]["mergePolicy"] == "Merge"
        (managed,) = [
            c["outputs"]["credentials_secret_arn"]
            for c in resources
            if not c["custom"] and c["type"] == f"platform:datastores:{component}"
        ]
        assert {d["remoteRef"]["key"] for d in spec["data"]} == {managed}


def test_the_plain_text_scan_finds_a_planted_password(planned: Plan, tmp_path: Path) -> None:
    out, resources = planned("dev")
    value = next(iter(generated_passwords(resources).values()))
    (tmp_path / "manifests").mkdir()
    (tmp_path / "helm").mkdir()
    (tmp_path / "plan.json").write_text((out / "plan.json").read_text())
    (tmp_path / "manifests" / "leak.yaml").write_text(f"data:\n  password: {value}\n")
    assert plain_text_hits(tmp_path, [value]) == ["leak.yaml: " + value[:6] + "…"]


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_are_encrypted_with_their_domain_key_and_delivered(planned: Plan, stack: str) -> None:
    _, resources = planned(stack)
    index = by_urn(resources)
    keys = {k["urn"].rsplit("-", 1)[-1]: k["outputs"]["arn"] for k in of_type(resources, "aws:kms/key:Key")}
    domain = {"postgres": "users", "redis": "users", "rabbitmq": "processing", "documentdb": "analytics"}
    secrets = of_type(resources, "aws:secretsmanager/secret:Secret")
    assert len(secrets) == 4
    for secret in secrets:
        store = secret["urn"].rsplit("::", 1)[-1].removesuffix("-credentials")
        assert secret["inputs"]["kmsKeyId"] == keys[domain[store]], store
        assert index[secret["parent"]]["type"].startswith("platform:datastores:")
    role_policy = next(
        p
        for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")
        if p["urn"].endswith("::external-secrets-operator")
    )
    statements = {s["Sid"]: s for s in policy(role_policy, "policy")["Statement"]}
    managed = [
        c["outputs"]["credentials_secret_arn"]
        for c in resources
        if not c["custom"] and c["type"] in ("platform:datastores:Postgres", "platform:datastores:DocumentDb")
    ]
    assert len(managed) == 2 and all(":secret:rds!" in arn for arn in managed)
    assert sorted(statements["ReadTheDatastoreSecrets"]["Resource"]) == sorted(
        [s["outputs"]["arn"] for s in secrets] + managed
    )
    assert sorted(statements["DecryptThemThroughSecretsManager"]["Resource"]) == sorted(
        keys[d] for d in set(domain.values())
    )
    # The datastores' ExternalSecrets (others, like Grafana's generated admin password, live elsewhere).
    externals = [
        e
        for e in of_type(resources, "kubernetes:external-secrets.io/v1:ExternalSecret")
        if index[e["parent"]]["type"].startswith("platform:datastores:")
    ]
    assert len(externals) == 4
    assert sorted(e["inputs"]["spec"]["dataFrom"][0]["extract"]["key"] for e in externals) == sorted(
        s["inputs"]["name"] for s in secrets
    )
    assert {e["inputs"]["metadata"]["namespace"] for e in externals} == {"apps"}


def test_connection_details_are_stack_outputs(planned: Plan) -> None:
    _, resources = planned("prod")
    outputs = resources[0]["outputs"]
    assert outputs["postgresPort"] == 5432 and outputs["postgresHost"].endswith(".rds.amazonaws.com")
    assert outputs["redisPort"] == 6379 and outputs["redisHost"].startswith("master.")
    assert outputs["rabbitmqPort"] == 5671 and ".mq." in outputs["rabbitmqHost"]
    assert outputs["documentdbPort"] == 27017 and ".docdb." in outputs["documentdbHost"]
    assert outputs["postgresSecretName"] == "platform-prod/datastores/postgres"
    assert "ciphertext" not in json.dumps({k: v for k, v in outputs.items() if k.startswith("postgres")})


def test_declared_dependencies_of_the_datastores_are_recorded(planned: Plan) -> None:
    _, resources = planned("prod")
    keys = {k["urn"].rsplit("-", 1)[-1]: k["urn"] for k in of_type(resources, "aws:kms/key:Key")}
    data_subnets = {
        s["urn"] for s in of_type(resources, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["Tier"] == "data"
    }
    for token, domain in (
        ("aws:rds/instance:Instance", "users"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "users"),
        ("aws:mq/broker:Broker", "processing"),
        ("aws:docdb/cluster:Cluster", "analytics"),
    ):
        assert keys[domain] in one(resources, token)["dependencies"], token
    for token in ("aws:rds/subnetGroup:SubnetGroup", "aws:docdb/subnetGroup:SubnetGroup"):
        assert data_subnets <= set(one(resources, token)["dependencies"]), token
    assert data_subnets <= set(one(resources, "aws:mq/broker:Broker")["dependencies"])
    operator_policy = next(
        p
        for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")
        if p["urn"].endswith("::external-secrets-operator")
    )
    secrets = {s["urn"] for s in of_type(resources, "aws:secretsmanager/secret:Secret")}
    assert secrets <= set(operator_policy["dependencies"])
    oidc = one(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "cluster-oidc")
    operator_role = next(
        r for r in of_type(resources, "aws:iam/role:Role") if r["urn"].endswith("::external-secrets-operator")
    )
    assert oidc["urn"] in operator_role["dependencies"]
    release = next(
        r for r in of_type(resources, "kubernetes:helm.sh/v3:Release") if r["inputs"]["chart"] == "external-secrets"
    )
    assert operator_policy["urn"] in release["dependencies"]
    assert release["provider"].rpartition("::")[0].endswith("::cluster-k8s"), "installed through the cluster's provider"
