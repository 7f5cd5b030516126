"""Providers: the AWS providers (primary and backup region, default tags) and the Kubernetes provider.

Every resource gets its provider explicitly; ``Pulumi.yaml`` disables the default providers so a
resource that forgets cannot silently land in whatever region the operator's shell points at.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s


def aws_provider(name: str, region: str, tags: dict[str, str]) -> aws.Provider:
    return aws.Provider(
        name,
        aws.ProviderArgs(region=region, default_tags=aws.ProviderDefaultTagsArgs(tags=tags)),
    )


def kubeconfig(
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    certificate_authority: pulumi.Input[str],
    region: str,
    role_arn: pulumi.Input[str] | None = None,
) -> pulumi.Output[str]:
    """A kubeconfig that authenticates with ``aws eks get-token`` (short-lived tokens, no static keys), as
    ``role_arn`` when given (the cluster's administrators' role)."""

    def build(args: list[str]) -> str:
        name, server, ca, role = args
        assume = ["--role-arn", role] if role else []
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name, "--region", region, *assume],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        }
        return json.dumps(config, sort_keys=True)

    return pulumi.Output.all(cluster_name, endpoint, certificate_authority, role_arn or "").apply(build)


def kubernetes_provider(
    name: str, kubeconfig_json: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
) -> k8s.Provider:
    """The provider later components use to create objects in the cluster."""
    return k8s.Provider(
        name,
        k8s.ProviderArgs(kubeconfig=kubeconfig_json, enable_server_side_apply=True),
        opts=opts,
    )
