"""Where resources of the platform used to be registered, for stacks created before they moved.

A resource's URN is its identity: a new parent or a new logical name without an alias makes a real
``pulumi up`` delete the old resource and create a new one (for an add-on's release: uninstall and
reinstall; for the services' namespace: everything in it). Each entry below tells Pulumi "this
resource was that one": the move is then a no-op in the cloud. Keep the entries as long as a stack
created before the move may still be updated.

Moves recorded here (the add-ons got components of their own, the services' namespace one owner):

- cluster-autoscaler: its role, policy and release were children of the ``Cluster`` component;
- cert-manager: its namespace, role, policy and release were children of the ``Ingress`` component
  (named ``ingress-cert-manager-*``);
- the External Secrets Operator: its namespace, role, policy and release were children of the
  ``ExternalSecrets`` delivery component;
- Argo Rollouts: its namespace and release were children of a ``Delivery`` component (``delivery-*``);
- metrics-server: its release was a child of the ``Monitoring`` component (``monitoring-metrics-server``);
- the services' namespace was made by the ``ExternalSecrets`` delivery component (``external-secrets-apps``).
"""

from __future__ import annotations

import pulumi

CLUSTER = ("platform:cluster:Cluster", "cluster")
INGRESS = ("platform:ingress:Ingress", "ingress")
SECRETS_DELIVERY = ("platform:datastores:ExternalSecrets", "external-secrets")
DELIVERY = ("platform:delivery:Delivery", "delivery")
MONITORING = ("platform:monitoring:Monitoring", "monitoring")


def top_level(component: tuple[str, str]) -> pulumi.Output[str]:
    """The URN a top-level component of this stack has (or had)."""
    type_, name = component
    return pulumi.create_urn(name, type_)


def under(component: tuple[str, str], renames: dict[str, str] | None = None, *same: str) -> dict[str, pulumi.Alias]:
    """Aliases for children now named ``new`` that were ``renames[new]`` (or kept their name, ``same``)
    under the top-level ``component``."""
    parent = top_level(component)
    aliases = {new: pulumi.Alias(name=old, parent=parent) for new, old in (renames or {}).items()}
    aliases.update({name: pulumi.Alias(parent=parent) for name in same})
    return aliases


def cluster_autoscaler() -> dict[str, pulumi.Alias]:
    return under(CLUSTER, None, "cluster-autoscaler")


def cert_manager() -> dict[str, pulumi.Alias]:
    return under(
        INGRESS,
        {
            "cert-manager-ns": "ingress-cert-manager-ns",
            "cert-manager-irsa": "ingress-cert-manager-irsa",
            "cert-manager-dns01": "ingress-cert-manager-dns01",
            "cert-manager": "ingress-cert-manager",
        },
    )


def external_secrets_operator() -> dict[str, pulumi.Alias]:
    return under(SECRETS_DELIVERY, None, "external-secrets-operator")


def argo_rollouts() -> dict[str, pulumi.Alias]:
    return under(DELIVERY, {"argo-rollouts-ns": "delivery-ns", "argo-rollouts": "delivery-argo-rollouts"})


def metrics_server() -> dict[str, pulumi.Alias]:
    return under(MONITORING, {"metrics-server": "monitoring-metrics-server"})


def services_namespace() -> dict[str, pulumi.Alias]:
    return under(SECRETS_DELIVERY, {"apps-ns": "external-secrets-apps"})
