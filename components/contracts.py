"""What one component hands another: typed values built from outputs, never shared constants.

A component publishes one of these as an attribute; the composition (``stacks/platform.py``) passes it
into the Args of the components that need it. Nothing here creates a resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi


@dataclass(frozen=True)
class ClusterIdentity:
    """The cluster's IAM OIDC provider: what an IAM role for a service account (IRSA) trusts."""

    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]


@dataclass(frozen=True)
class PeerPods:
    """Pods in a namespace, by the namespace's name and their labels (a NetworkPolicy peer)."""

    namespace: pulumi.Input[str]
    pod_labels: Mapping[str, str]


@dataclass(frozen=True)
class DatastoreEndpoint:
    """How a workload reaches a datastore: the port it listens on and the Kubernetes Secret (with the
    key inside it) that holds the connection URL, credentials included."""

    port: pulumi.Input[int]
    secret: pulumi.Input[str]
    key: str = "url"


@dataclass(frozen=True)
class WebConsole:
    """A web UI inside the cluster (Grafana, Prometheus, Alertmanager, Kibana): its Service by namespace,
    name and port, and the scheme it speaks there. ``https`` needs a certificate the public roots trust
    (the authenticating proxy in front of it has no per-upstream CA)."""

    name: str
    namespace: pulumi.Input[str]
    service: str
    port: int
    scheme: Literal["http", "https"] = "http"


@dataclass(frozen=True)
class DashboardSink:
    """Where Grafana picks dashboards up: ConfigMaps in ``namespace`` labelled ``label: label_value``,
    filed in the folder their annotation ``folder_annotation`` names; their panels query the datasource
    whose uid is ``datasource_uid`` (the one Grafana is provisioned with)."""

    namespace: pulumi.Input[str]
    label: str
    label_value: str
    folder_annotation: str
    datasource_uid: str


@dataclass(frozen=True)
class MeshTraffic:
    """How meshed traffic reaches a pod in Istio's ambient mode, as a NetworkPolicy sees it: from a meshed
    peer on the HBONE port (the tunnel ztunnel opens from the source pod), and the kubelet's probes from
    the link-local address ztunnel's node rules give them (they are not the node's address any more)."""

    hbone_port: int
    probe_source_cidr: str
