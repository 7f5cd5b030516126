"""Istio's ``ztunnel`` chart (istio/istio ``manifests/charts/ztunnel``): the per-node proxy of ambient mode,
a DaemonSet (not on the host network). For every meshed pod of its node it listens inside the pod's
network namespace: outbound connections go to the destination's ztunnel in an HBONE tunnel (HTTP/2
CONNECT over mutual TLS) on port 15008, inbound HBONE is checked against the destination's
PeerAuthentication and authorization policies and handed to the pod's own port.

Its TLS is rustls with TLS 1.3 only (cipher suites ``TLS13_AES_256_GCM_SHA384`` and
``TLS13_AES_128_GCM_SHA256``); TLS 1.2 would take the ``TLS12_ENABLED=true`` environment variable, which
the platform never sets (the rule ``mesh-mtls-strict`` refuses it in ``env``). Values read in the chart
at the pinned version (``profile`` through ``templates/zzz_profile.yaml``). Install after ``base``: the
caller's ``depends_on``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import HelmAddOn, resources
from components.addons.istio_base import PROFILE, InMeshNamespaceArgs, istio_pin

PIN = istio_pin(
    "ztunnel",
    known_keys=frozenset({"profile", "resources", "logAsJson"}),
    free_form=frozenset({"resources"}),
)
RELEASE = "ztunnel"  # its objects are named "ztunnel" (resourceName unset), the account istiod trusts


@dataclass(frozen=True)
class ZtunnelSettings:
    def values(self) -> dict[str, Any]:
        return {
            "profile": PROFILE,
            # Every meshed byte of the node passes through it: the platform's add-on maximum of CPU.
            "resources": resources("200m", "256Mi", "2000m", "1Gi"),
            "logAsJson": True,
        }


ZtunnelArgs = InMeshNamespaceArgs


class Ztunnel(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: ZtunnelArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        self._install(name, RELEASE, ZtunnelSettings().values())
        self._publish()
