"""The cert-manager add-on: DNS-01 on Route 53 with an IRSA role that may write only the
``_acme-challenge`` TXT records of the public hostnames in one zone."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.addons.base import unknown_keys
from components.addons.cert_manager import PIN, CertManager, CertManagerArgs
from components.contracts import ClusterIdentity
from tests.support import Resource, build, one, policy

HOSTS = ("www.platform.example.com", "api.platform.example.com")
ZONE = "Z0TESTZONE"
IDENTITY = ClusterIdentity(
    oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    oidc_issuer_url="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
)
RELEASE = "kubernetes:helm.sh/v3:Release"


def cert_manager(replicas: int = 1, partition: str = "aws") -> list[Resource]:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        CertManager(
            "cert-manager",
            CertManagerArgs(
                provider,
                identity=IDENTITY,
                partition=partition,
                dns_zone_id=ZONE,
                hostnames=HOSTS,
                replicas=replicas,
            ),
        )

    return build(program)


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    return cert_manager()


def statements(resources: list[Resource]) -> list[dict[str, Any]]:
    return policy(one(resources, "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]


def test_release_is_the_pin_and_sets_only_known_keys(resources: list[Resource]) -> None:
    inputs = one(resources, RELEASE)["inputs"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
        PIN.chart,
        PIN.version,
        PIN.repository,
    )
    assert inputs["name"] == "cert-manager" and inputs["namespace"] == "cert-manager"
    values = inputs["values"]
    assert unknown_keys(PIN, values) == []
    assert values["crds"] == {"enabled": True, "keep": True}
    assert values["dns01RecursiveNameserversOnly"] is True


def test_namespace_admits_baseline_pods_and_warns_on_restricted(resources: list[Resource]) -> None:
    namespace = one(resources, "kubernetes:core/v1:Namespace")
    labels = namespace["inputs"]["metadata"]["labels"]
    assert namespace["inputs"]["metadata"]["name"] == "cert-manager"
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert namespace["urn"] in one(resources, RELEASE)["dependencies"]


def test_irsa_role_is_trusted_by_exactly_the_cert_manager_service_account(resources: list[Resource]) -> None:
    role = one(resources, "aws:iam/role:Role")
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Federated": IDENTITY.oidc_provider_arn}
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:cert-manager:cert-manager",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }
    account = one(resources, RELEASE)["inputs"]["values"]["serviceAccount"]
    assert account["create"] is True and account["name"] == "cert-manager"
    assert account["annotations"] == {"eks.amazonaws.com/role-arn": role["outputs"]["arn"]}


def test_dns01_rights_are_the_acme_txt_records_of_the_hostnames_in_one_zone(resources: list[Resource]) -> None:
    found = statements(resources)
    zone = f"arn:aws:route53:::hostedzone/{ZONE}"
    change = [s for s in found if "route53:ChangeResourceRecordSets" in str(s["Action"])]
    assert len(change) == 1
    assert change[0]["Resource"] == zone
    assert change[0]["Condition"] == {
        "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                "_acme-challenge.api.platform.example.com",
                "_acme-challenge.www.platform.example.com",
            ],
        }
    }
    by_action = {s["Action"]: s["Resource"] for s in found}
    assert by_action == {
        "route53:GetChange": "arn:aws:route53:::change/*",
        "route53:ListResourceRecordSets": zone,
        "route53:ChangeResourceRecordSets": zone,
    }
    assert all(s["Effect"] == "Allow" for s in found)


def test_dns01_rights_follow_the_partition() -> None:
    found = statements(cert_manager(partition="aws-cn"))
    assert {s["Resource"] for s in found} == {
        "arn:aws-cn:route53:::change/*",
        f"arn:aws-cn:route53:::hostedzone/{ZONE}",
    }


@pytest.mark.parametrize(("replicas", "pdb"), [(1, {"enabled": False}), (2, {"enabled": True, "minAvailable": 1})])
def test_replicas_and_disruption_budgets(replicas: int, pdb: dict[str, Any]) -> None:
    values = one(cert_manager(replicas=replicas), RELEASE)["inputs"]["values"]
    assert values["replicaCount"] == values["webhook"]["replicaCount"] == replicas
    assert values["cainjector"]["replicaCount"] == replicas
    assert values["podDisruptionBudget"] == values["webhook"]["podDisruptionBudget"] == pdb
    assert unknown_keys(PIN, values) == []
