"""The rule mesh-mtls-strict: the clean plans pass (tests/policies/test_rules.py), hand edits of prod are
caught (tests/fixtures/insecure-edits.yaml); here, that it holds prod only unless configured, that the
mesh turned off in prod's config is refused before any plan, and that its port exceptions are settings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.config import ConfigError, build_config
from policies.rules import ALL_POLICIES
from policies.rules.mesh import MESH_MTLS_STRICT
from tools.check import check

RULE = MESH_MTLS_STRICT.name
PEER_AUTHENTICATION = "kubernetes:security.istio.io/v1:PeerAuthentication"


def _without_peer_authentications(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [copy.deepcopy(r) for r in resources if r["type"] != PEER_AUTHENTICATION]


def _found(resources: list[dict[str, Any]], config: dict[str, Any] | None = None) -> list[str]:
    return [v.message for v in check(resources, ALL_POLICIES, config) if v.policy == RULE]


def test_it_holds_prod_and_whatever_environments_it_is_given(planned: Any) -> None:
    _, dev = planned("dev")
    _, prod = planned("prod")
    assert _found(_without_peer_authentications(dev)) == []  # dev is not protected by default
    user_traffic = ["apps", "kong", "nginx-ingress"]  # the services, the gateway, the edge (not monitoring)
    assert sorted(m.split()[1] for m in _found(_without_peer_authentications(prod))) == user_traffic
    messages = _found(_without_peer_authentications(dev), {RULE: {"environments": ["dev", "prod"]}})
    assert sorted(m.split()[1] for m in messages) == user_traffic


def test_a_port_exception_is_only_allowed_on_the_configured_ports(planned: Any) -> None:
    _, prod = planned("prod")
    assert _found(prod) == []
    (message,) = _found(prod, {RULE: {"permissivePorts": [9443]}})
    assert "kong/admission-webhook accepts plaintext on port 8080" in message


def test_prod_may_not_turn_the_mesh_off_and_dev_may() -> None:
    with pytest.raises(ConfigError) as raised:
        build_config({"environment": "prod", "mesh": {"enabled": False}})
    assert str(raised.value).startswith("platform:mesh.enabled:") and "\n" not in str(raised.value)
    assert build_config({"environment": "dev", "mesh": {"enabled": False}}).mesh.enabled is False
    for env in ("dev", "staging", "prod"):
        assert build_config({"environment": env}).mesh.enabled is True
