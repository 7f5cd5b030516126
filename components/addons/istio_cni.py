"""Istio's ``cni`` chart (istio/istio ``manifests/charts/istio-cni``): the CNI node agent, a DaemonSet on
the host network of every node, in ambient mode (``profile: ambient``: ``ambient.enabled``). It chains
itself after the node's primary CNI (``chained: true``) and, for every pod of a namespace labelled
``istio.io/dataplane-mode: ambient``, sets up the redirection to ztunnel inside the pod's network
namespace (pods already running when a namespace is enrolled are set up too), and the node rules that
give the kubelet's probes the link-local source ``169.254.7.127``.

On EKS the primary CNI is the Amazon VPC CNI, which writes ``/etc/cni/net.d/10-aws.conflist`` and keeps
its plugins in ``/opt/cni/bin``: the chart's defaults, set here explicitly (``cniConfDir``,
``cniBinDir``) so a change of default shows in review. ``kube-system`` stays out of the mesh
(``excludeNamespaces``, the chart's default, kept). Values read in the chart at the pinned version.
Install after ``base``: the caller's ``depends_on``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import HelmAddOn, resources
from components.addons.istio_base import PROFILE, InMeshNamespaceArgs, istio_pin

PIN = istio_pin(
    "cni",
    known_keys=frozenset(
        {
            "profile",
            "cniBinDir",
            "cniConfDir",
            "chained",
            "excludeNamespaces",
            "resources",
            "seccompProfile",
            "global.logAsJson",
        }
    ),
    free_form=frozenset({"resources", "seccompProfile"}),
)
RELEASE = "istio-cni"
# Where the Amazon VPC CNI keeps its configuration and plugins on EKS nodes.
EKS_CNI_CONF_DIR = "/etc/cni/net.d"
EKS_CNI_BIN_DIR = "/opt/cni/bin"


@dataclass(frozen=True)
class IstioCniSettings:
    def values(self) -> dict[str, Any]:
        return {
            "profile": PROFILE,
            "cniConfDir": EKS_CNI_CONF_DIR,
            "cniBinDir": EKS_CNI_BIN_DIR,
            "chained": True,
            "excludeNamespaces": ["kube-system"],
            "resources": resources("100m", "100Mi", "500m", "256Mi"),
            "seccompProfile": {"type": "RuntimeDefault"},
            "global": {"logAsJson": True},
        }


IstioCniArgs = InMeshNamespaceArgs


class IstioCni(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: IstioCniArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        self._install(name, RELEASE, IstioCniSettings().values())
        self._publish()
