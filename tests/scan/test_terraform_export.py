"""The Terraform plan export of a plan's AWS resources, on hand-made plans: Terraform types, snake_case
values, nested blocks as lists of objects, plural block names made singular, maps kept as maps, secrets
hidden, references from the plan's property dependencies, and unmapped types listed, never dropped."""

from __future__ import annotations

from typing import Any

from tools.check_input import HIDDEN, SECRET_SIG, SIG_KEY
from tools.scan.terraform_export import TERRAFORM_TYPES, export, snake

STACK = "urn:pulumi:prod::platform::"


def res(pulumi_type: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"urn": f"{STACK}{pulumi_type}::{name}", "type": pulumi_type, "custom": True, "inputs": inputs, **extra}


BUCKET = res("aws:s3/bucket:Bucket", "logs", {"bucket": "b-logs", "tags": {"platform:backup": "daily"}})
VERSIONING = res(
    "aws:s3/bucketVersioning:BucketVersioning",
    "logs",
    {"bucket": "b-logs", "versioningConfiguration": {"status": "Enabled"}},
    propertyDependencies={"bucket": [BUCKET["urn"]]},
)


def planned_resources(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in document["planned_values"]["root_module"]["resources"]}


def configured(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in document["configuration"]["root_module"]["resources"]}


def test_camel_case_becomes_snake_case() -> None:
    assert snake("kmsKeyId") == "kms_key_id"
    assert snake("cidrIpv4") == "cidr_ipv4"
    assert snake("multiAz") == "multi_az"
    assert snake("enableDnsHostnames") == "enable_dns_hostnames"
    assert snake("bucket") == "bucket"


def test_types_values_and_nested_blocks_are_terraforms() -> None:
    listener = res(
        "aws:lb/listener:Listener",
        "https",
        {"port": 443, "defaultActions": [{"type": "redirect", "redirect": {"port": "443", "statusCode": "HTTP_301"}}]},
    )
    cluster = res(
        "aws:eks/cluster:Cluster",
        "eks",
        {"vpcConfig": {"endpointPublicAccess": False, "subnetIds": ["s-1"]}, "enabledClusterLogTypes": ["api"]},
    )
    document = export([BUCKET, VERSIONING, listener, cluster]).document
    resources = planned_resources(document)
    assert set(resources) == {
        "aws_s3_bucket.logs",
        "aws_s3_bucket_versioning.logs",
        "aws_lb_listener.https",
        "aws_eks_cluster.eks",
    }
    assert resources["aws_s3_bucket.logs"]["type"] == "aws_s3_bucket"
    assert resources["aws_s3_bucket.logs"]["mode"] == "managed"
    # A block of at most one item is an object in Pulumi, a list of one object in Terraform.
    assert resources["aws_s3_bucket_versioning.logs"]["values"]["versioning_configuration"] == [{"status": "Enabled"}]
    # Pulumi's plural name of a repeated block is Terraform's singular; nested objects are blocks too.
    (action,) = resources["aws_lb_listener.https"]["values"]["default_action"]
    assert action == {"type": "redirect", "redirect": [{"port": "443", "status_code": "HTTP_301"}]}
    eks = resources["aws_eks_cluster.eks"]["values"]
    assert eks["vpc_config"] == [{"endpoint_public_access": False, "subnet_ids": ["s-1"]}]
    assert eks["enabled_cluster_log_types"] == ["api"]
    # Maps are attributes, not blocks: an object whose keys are data, not renamed.
    assert resources["aws_s3_bucket.logs"]["values"]["tags"] == {"platform:backup": "daily"}
    assert document["format_version"] == "1.2"
    assert [c["address"] for c in document["resource_changes"]] == list(resources)


def test_references_come_from_the_property_dependencies() -> None:
    config = configured(export([BUCKET, VERSIONING]).document)
    assert config["aws_s3_bucket_versioning.logs"]["expressions"] == {
        "bucket": {"references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]}
    }
    assert config["aws_s3_bucket.logs"]["expressions"] == {}


def test_secrets_are_hidden_and_assets_left_out() -> None:
    function = res(
        "aws:lambda/function:Function",
        "fn",
        {
            "code": {SIG_KEY: "0def7320c3a5731c473e5ecbe6d01bc7", "assets": {}},
            "environment": {"variables": {"TOKEN": {SIG_KEY: SECRET_SIG, "ciphertext": "x"}, "MODE": "on"}},
            "handler": "h.handler",
        },
    )
    values = planned_resources(export([function]).document)["aws_lambda_function.fn"]["values"]
    assert "code" not in values
    assert values["environment"] == [{"variables": {"TOKEN": HIDDEN, "MODE": "on"}}]


def test_unmapped_aws_types_are_listed_and_other_providers_ignored() -> None:
    odd = res("aws:glacier/vault:Vault", "cold", {"name": "cold"})
    other = res("kubernetes:core/v1:Namespace", "apps", {"metadata": {"name": "apps"}})
    component = {"urn": f"{STACK}platform:x:Y::c", "type": "aws:fake/component:Component", "custom": False}
    result = export([BUCKET, odd, odd | {"urn": odd["urn"] + "2"}, other, component])
    assert result.unmapped == {"aws:glacier/vault:Vault": 2}
    assert set(planned_resources(result.document)) == {"aws_s3_bucket.logs"}
    assert result.addresses == {"aws_s3_bucket.logs": BUCKET["urn"]}


def test_names_are_terraform_names_and_unique_per_type() -> None:
    first = res("aws:kms/key:Key", "data.key", {})
    second = {**first, "urn": f"{STACK}platform:a:B$aws:kms/key:Key::data.key"}
    digit = res("aws:kms/key:Key", "1st", {})
    addresses = list(planned_resources(export([first, second, digit]).document))
    assert addresses == ["aws_kms_key.data_key", "aws_kms_key.data_key_2", "aws_kms_key._1st"]


def test_every_aws_type_of_the_prod_plan_is_mapped(planned: Any) -> None:
    _, resources = planned("prod")
    kinds = {r["type"] for r in resources if r["type"].startswith("aws:") and r.get("custom")}
    assert kinds <= set(TERRAFORM_TYPES), sorted(kinds - set(TERRAFORM_TYPES))
    result = export(resources)
    assert result.unmapped == {}
    assert result.resource_count == sum(1 for r in resources if r["type"] in TERRAFORM_TYPES)
