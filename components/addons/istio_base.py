"""Istio's ``base`` chart (istio/istio ``manifests/charts/base``): the mesh's CRDs (``security.istio.io``'s
PeerAuthentication among them) and the default revision's validating webhook, in ``istio-system``.

The namespace is the mesh's own and admits pods at the ``privileged`` Pod Security level: ztunnel (its
own chart) runs with ``NET_ADMIN``, ``SYS_ADMIN`` and ``NET_RAW`` to enter each meshed pod's network
namespace, and the CNI node agent runs on the host network with ``NET_ADMIN`` and ``SYS_ADMIN`` (and host
paths) to write the CNI configuration and binaries onto every node; neither passes ``baseline``. istiod
itself would pass ``restricted``; ``warn`` reports against it.

Values are read in the chart at the pinned version, where every default lives under
``_internal_defaults_do_not_set`` (the chart's own workaround; a user sets the keys at the top level) and
``profile`` selects ``files/profile-<name>.yaml``, read by ``templates/zzz_profile.yaml``. The webhook is
rendered fail-open (``failurePolicy: Ignore`` on a first install) until istiod patches in its CA and
``Fail``, so custom resources may be created as soon as this release is ready."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn

ISTIO_VERSION = "1.30.3"  # one release for all four charts: istiod, the CNI agent and ztunnel move together
ISTIO_CHARTS = "https://istio-release.storage.googleapis.com/charts"
PROFILE = "ambient"
# The API groups of the mesh's CRDs: the base chart installs them, istiod acts on them and validates them.
ISTIO_API_GROUPS = frozenset({"security.istio.io", "networking.istio.io", "telemetry.istio.io", "extensions.istio.io"})


def istio_pin(chart: str, known_keys: frozenset[str], free_form: frozenset[str] = frozenset()) -> ChartPin:
    """The pin of one of Istio's charts: all of them at ``ISTIO_VERSION`` from Istio's repository."""
    return ChartPin(
        chart=chart,
        version=ISTIO_VERSION,
        repository=ISTIO_CHARTS,
        app_version=ISTIO_VERSION,
        known_keys=known_keys,
        free_form=free_form,
    )


PIN = istio_pin("base", frozenset({"profile", "defaultRevision"}))
NAMESPACE = "istio-system"
RELEASE = "istio-base"


@dataclass(frozen=True)
class IstioBaseSettings:
    def values(self) -> dict[str, Any]:
        return {"profile": PROFILE, "defaultRevision": "default"}


@dataclass(frozen=True)
class IstioBaseArgs(AddOnArgs):
    pass


@dataclass(frozen=True)
class InMeshNamespaceArgs(AddOnArgs):
    """The Args of a chart that installs into the mesh's namespace (made by the base chart's add-on)."""

    namespace: pulumi.Input[str]


class IstioBase(HelmAddOn):
    """The mesh's namespace and CRDs; the other Istio charts install into ``namespace`` after ``release``."""

    PIN = PIN
    CRD_GROUPS = ISTIO_API_GROUPS

    def __init__(self, name: str, args: IstioBaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        namespace = self._namespace(f"{name}-ns", NAMESPACE, enforce="privileged", warn="restricted")
        self._install(name, RELEASE, IstioBaseSettings().values(), [namespace])
        self._publish()
