"""The service mesh (``platform:mesh``): Istio in ambient mode, so every in-cluster hop that carries user
traffic (NGINX -> Kong -> the services) is mutual TLS 1.3 through ztunnel.

``enabled`` installs Istio (``base``, ``istiod``, ``cni``, ``ztunnel``) and enrols the namespaces that carry
user traffic; prod may not turn it off (and the policy pack's ``mesh-mtls-strict`` fails a plan without
it). ``istiodReplicas`` is how many copies of the control plane run (two or more: a disruption budget
keeps one up through node drains; ztunnel keeps its certificates and configuration while istiod
restarts).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from infra.config.base import Environment, _Model


class MeshConfig(_Model):
    """Istio ambient: mutual TLS between the edge, the gateway and the services."""

    enabled: bool = True
    istiod_replicas: int = Field(2, ge=1, le=5, description="copies of istiod, the mesh's control plane and CA")


# ``platform:mesh`` per environment, unless the stack file says otherwise.
TIER_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.DEV: {"enabled": True, "istiodReplicas": 1},
    Environment.STAGING: {"enabled": True, "istiodReplicas": 2},
    Environment.PROD: {"enabled": True, "istiodReplicas": 2},
}
