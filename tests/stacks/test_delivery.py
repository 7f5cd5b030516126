"""Trust as code in the planned stacks: GitHub Actions' OIDC provider, one release role per service that
only that service's repository can assume and that pushes to that service's ECR repository only, the
pipeline's deploy and preview roles, and a service added in a stack file getting the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.plan import plan_stack

Resources = list[dict[str, Any]]
SERVICES = ("user-service", "data-processing", "analytics")
ISSUER = "token.actions.githubusercontent.com"
PUSH = {"ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"}
ROOT = Path(__file__).resolve().parents[2]


def of_type(resources: Resources, token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == token]


def named(resources: Resources, token: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(resources, token) if r["urn"].rsplit("::", 1)[-1] == name]
    return found


def statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    value = parsed["Statement"]
    return value if isinstance(value, list) else [value]


def listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def repository_arn(resources: Resources, repository: str) -> str:
    (repo,) = [r for r in of_type(resources, "aws:ecr/repository:Repository") if r["inputs"]["name"] == repository]
    return str(repo["outputs"]["arn"])


def assert_one_subject(role: dict[str, Any], subject: str) -> None:
    (trust,) = statements(role["inputs"]["assumeRolePolicy"])
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"]["Federated"].endswith(f":oidc-provider/{ISSUER}")
    assert set(trust["Condition"]) == {"StringEquals"}, "exact claims only: no StringLike"
    assert trust["Condition"]["StringEquals"] == {f"{ISSUER}:sub": subject, f"{ISSUER}:aud": "sts.amazonaws.com"}
    assert not any(c in subject for c in "*?"), subject


def assert_release_role(resources: Resources, prefix: str, service: str, subject: str) -> None:
    role = named(resources, "aws:iam/role:Role", f"delivery-{service}-release")
    assert role["inputs"]["name"] == f"{prefix}-{service}-release"
    assert_one_subject(role, subject)
    policy = named(resources, "aws:iam/rolePolicy:RolePolicy", f"delivery-{service}-release")
    ecr = [s for s in statements(policy["inputs"]["policy"]) if any(a.startswith("ecr:") for a in listify(s["Action"]))]
    named_repositories = {r for s in ecr for r in listify(s["Resource"]) if r != "*"}
    assert named_repositories == {repository_arn(resources, f"{prefix}/{service}")}, "exactly its own repository"
    for statement in ecr:
        if set(listify(statement["Action"])) & PUSH:
            assert listify(statement["Resource"]) == [repository_arn(resources, f"{prefix}/{service}")]
        if "*" in listify(statement["Resource"]):
            assert listify(statement["Action"]) == ["ecr:GetAuthorizationToken"], "only the login is unscoped"
    others = [s for s in statements(policy["inputs"]["policy"]) if s not in ecr]
    assert {a for s in others for a in listify(s["Action"])} == {"ssm:GetParameter", "ssm:PutParameter",
                                                                  "eks:DescribeCluster"}  # fmt: skip
    assert all("*" not in str(s["Resource"]) for s in others)
    # In the cluster: its own Rollout only, through the access entry's group.
    entry = named(resources, "aws:eks/accessEntry:AccessEntry", f"delivery-{service}-release")
    assert entry["inputs"]["kubernetesGroups"] == [f"release-{service}"]
    rbac = named(resources, "kubernetes:rbac.authorization.k8s.io/v1:Role", f"delivery-{service}-release")
    writes = [rule for rule in rbac["inputs"]["rules"] if {"patch", "update", "create", "delete"} & set(rule["verbs"])]
    assert writes and all(rule["resourceNames"] == [service] for rule in writes)
    assert {res for rule in writes for res in rule["resources"]} == {"rollouts", "rollouts/status"}
    binding = named(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", f"delivery-{service}-release")
    assert binding["inputs"]["subjects"] == [
        {"kind": "Group", "name": f"release-{service}", "apiGroup": "rbac.authorization.k8s.io"}
    ]


def rollout_reads_its_release_record(resources: Resources, service: str) -> bool:
    record = named(resources, "aws:ssm/parameter:Parameter", f"delivery-{service}-release")
    rollout = named(resources, "kubernetes:argoproj.io/v1alpha1:Rollout", f"{service}-rollout")
    return record["urn"] in rollout["dependencies"]


# ------------------------------------------------------------------ prod


@pytest.fixture(scope="module")
def prod(planned: Any) -> Resources:
    return planned("prod")[1]


def test_prod_trusts_github_actions_as_an_identity_provider(prod: Resources) -> None:
    github = [
        p for p in of_type(prod, "aws:iam/openIdConnectProvider:OpenIdConnectProvider") if ISSUER in p["inputs"]["url"]
    ]
    assert len(github) == 1
    assert github[0]["inputs"]["url"] == f"https://{ISSUER}"
    assert github[0]["inputs"]["clientIdLists"] == ["sts.amazonaws.com"]
    assert github[0]["protect"] is True, "every release role depends on it"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_role_only_its_repository_can_assume_and_push_to_its_repository_only(
    prod: Resources, service: str
) -> None:
    assert_release_role(prod, "platform-prod", service, f"repo:example-org/{service}:environment:production")


def test_each_release_role_trusts_a_different_repository(prod: Resources) -> None:
    subjects = [
        statements(named(prod, "aws:iam/role:Role", f"delivery-{s}-release")["inputs"]["assumeRolePolicy"])[0][
            "Condition"
        ]["StringEquals"][f"{ISSUER}:sub"]
        for s in SERVICES
    ]
    assert len(set(subjects)) == len(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_the_rollout_takes_its_image_from_the_release_record(prod: Resources, service: str) -> None:
    assert rollout_reads_its_release_record(prod, service)
    record = named(prod, "aws:ssm/parameter:Parameter", f"delivery-{service}-release")
    assert record["inputs"]["name"] == f"/platform-prod/releases/{service}/image"
    assert record["inputs"]["type"] == "String" and "insecureValue" in record["inputs"]


def test_pipeline_roles_trust_the_infrastructure_repository_only(prod: Resources) -> None:
    deploy = named(prod, "aws:iam/role:Role", "delivery-deploy")
    preview = named(prod, "aws:iam/role:Role", "delivery-preview")
    assert_one_subject(deploy, "repo:example-org/platform:environment:production")
    assert_one_subject(preview, "repo:example-org/platform:pull_request")
    deploy_policy = statements(named(prod, "aws:iam/rolePolicy:RolePolicy", "delivery-deploy")["inputs"]["policy"])
    (deny,) = [s for s in deploy_policy if s["Effect"] == "Deny"]
    assert deny["Resource"] == deploy["outputs"]["arn"], "the deploy role can never widen itself"
    preview_policy = statements(named(prod, "aws:iam/rolePolicy:RolePolicy", "delivery-preview")["inputs"]["policy"])
    writes = [s for s in preview_policy if {"s3:PutObject", "s3:DeleteObject"} & set(listify(s["Action"]))]
    assert [w["Resource"] for w in writes] == ["arn:aws:s3:::example-org-pulumi-state/.pulumi/locks/*"]
    assert not any("kms:Encrypt" in listify(s["Action"]) for s in preview_policy)
    views = [a["inputs"]["policyArn"] for a in of_type(prod, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")]
    assert "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy" in views


def test_staging_roles_trust_the_staging_environment(planned: Any) -> None:
    staging = planned("staging")[1]
    for service in SERVICES:
        assert_release_role(staging, "platform-staging", service, f"repo:example-org/{service}:environment:staging")


def test_dev_names_no_repository_and_gets_no_roles(planned: Any) -> None:
    dev = planned("dev")[1]
    assert not [r for r in dev if r["urn"].rsplit("::", 1)[-1].startswith("delivery")]


# ------------------------------------------------------------------ a fourth service, in a stack file only


@pytest.fixture(scope="module")
def with_billing(tmp_path_factory: pytest.TempPathFactory) -> Resources:
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8"))
    config = stack["config"]
    # The example service's stack lines, as its docs tell a team to add them: no code change.
    lines = yaml.safe_load((ROOT / "examples" / "billing" / "stack.yaml").read_text(encoding="utf-8"))
    config["platform:services"]["deployments"].update(lines["platform:services"]["deployments"])
    config["platform:delivery"]["github"]["services"].update(lines["platform:delivery"]["github"]["services"])
    folder = tmp_path_factory.mktemp("billing")
    stack_file = folder / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump(stack, sort_keys=False), encoding="utf-8")
    return plan_stack("prod", config_file=stack_file, out=folder / "out").resources


def test_a_fourth_service_in_a_stack_file_gets_its_repository_role_and_rollout(with_billing: Resources) -> None:
    assert repository_arn(with_billing, "platform-prod/billing")
    assert_release_role(with_billing, "platform-prod", "billing", "repo:example-org/billing:environment:production")
    assert rollout_reads_its_release_record(with_billing, "billing")
    for service in SERVICES:  # and the others keep theirs
        assert_release_role(
            with_billing, "platform-prod", service, f"repo:example-org/{service}:environment:production"
        )
