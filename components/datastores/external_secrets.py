"""Delivery of the datastores' secrets into the services' namespace, through the External Secrets
Operator (the add-on ``components/addons/external_secrets.py``, which holds the IAM role).

- a ``ClusterSecretStore`` (``external-secrets.io/v1``) for AWS Secrets Manager that authenticates
  with a token of the operator's service account (JWT) and serves only the services' namespace;
- one ``ExternalSecret`` per datastore in that namespace, which the operator turns into a Kubernetes
  Secret of the same name holding the secret's JSON keys (host, port, username, password, url ...).
  Where the service manages and rotates the master credentials itself (RDS, DocumentDB), the
  ``username`` and ``password`` come from its secret and the ``url`` from a template over both secrets.
  The operator reads the secrets again every ``refresh_interval``, so a rotated password reaches the
  Kubernetes Secret within that interval.

The namespace is owned by the workload namespace component and handed in. Nothing secret passes
through Pulumi here: the objects carry secret *names*, never values. The store needs the operator's
CRDs: give the operator's release in ``opts.depends_on``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.parts import ESO_API, depends_on_of, external_secret, from_store

STORE_NAME = "aws-secrets-manager"
API_VERSION = ESO_API


@dataclass(frozen=True)
class DeliveredSecret:
    """One Secrets Manager secret to mirror into the services' namespace as ``kubernetes_name``."""

    kubernetes_name: str
    secret_name: pulumi.Input[str]
    # The secret the service keeps the rotating master credentials in (its ``username`` and ``password``
    # keys are merged in), or None when ``secret_name`` holds them.
    credentials_secret: pulumi.Input[str] | None = None
    # Keys built by External Secrets' templates (engine v2) over all the keys fetched, e.g. the URL.
    templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExternalSecretsArgs:
    kubernetes_provider: k8s.Provider
    region: str
    namespace: pulumi.Input[str]  # where the services run and their Secrets appear
    operator_namespace: pulumi.Input[str]
    operator_service_account: str
    secrets: Sequence[DeliveredSecret]
    # How often the operator reads the secrets again: a rotated credential reaches the cluster within it.
    refresh_interval: str = "5m"
    # Other namespaces the store serves (monitoring, for Alertmanager's receivers); their owners make
    # their own ExternalSecrets.
    other_namespaces: Sequence[pulumi.Input[str]] = ()

    def __post_init__(self) -> None:
        names = [s.kubernetes_name for s in self.secrets]
        if len(set(names)) != len(names):
            raise ValueError("two secrets would land under the same Kubernetes name")


class ExternalSecrets(pulumi.ComponentResource):
    store_name: str
    # The ClusterSecretStore: what an ExternalSecret elsewhere naming ``store_name`` waits for (not the
    # whole component, whose other secrets it does not need).
    store: k8s.apiextensions.CustomResource
    # The Kubernetes Secret each delivered secret lands in, by its kubernetes_name.
    kubernetes_secret_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ExternalSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:datastores:ExternalSecrets", name, None, opts)
        after = depends_on_of(opts)
        store = k8s.apiextensions.CustomResource(
            f"{name}-store",
            api_version=API_VERSION,
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=STORE_NAME),
            spec={
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": args.region,
                        "auth": {
                            "jwt": {
                                "serviceAccountRef": {
                                    "name": args.operator_service_account,
                                    "namespace": args.operator_namespace,
                                }
                            }
                        },
                    }
                },
                # Only the services' namespace (and those named in other_namespaces) may pull through it.
                "conditions": [{"namespaces": [args.namespace, *args.other_namespaces]}],
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=after),
        )
        self.kubernetes_secret_names = {}
        for delivered in args.secrets:
            secret = external_secret(
                f"{name}-{delivered.kubernetes_name}",
                delivered.kubernetes_name,
                args.namespace,
                _source(delivered, args.refresh_interval),
                pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[store]),
                # Merge: the fetched keys stay, the templated ones are added.
                template={"mergePolicy": "Merge", "data": dict(delivered.templates)} if delivered.templates else None,
                retain=True,
            )
            # Read through the object, so a workload that names the Secret waits for its ExternalSecret.
            self.kubernetes_secret_names[delivered.kubernetes_name] = secret.id.apply(
                functools.partial(_name, delivered.kubernetes_name)
            )

        self.store_name = STORE_NAME
        self.store = store
        self.register_outputs({"store_name": self.store_name, "kubernetes_secret_names": self.kubernetes_secret_names})


def _name(name: str, _: object) -> str:
    return name


def _source(delivered: DeliveredSecret, refresh_interval: str) -> dict[str, Any]:
    """Where the ExternalSecret's values come from: the connection secret's keys and the managed credentials."""
    data = None
    if delivered.credentials_secret is not None:
        data = [
            {"secretKey": key, "remoteRef": {"key": delivered.credentials_secret, "property": key}}
            for key in ("username", "password")
        ]
    return from_store(
        STORE_NAME,
        refresh_interval=refresh_interval,
        data_from=[{"extract": {"key": delivered.secret_name}}],
        data=data,
    )
