"""The namespaces the platform reserves are the ones its plans install into: the services may use none."""

from __future__ import annotations

from typing import Any

from infra.config.base import RESERVED_NAMESPACES, reserved_namespace


def test_every_namespace_of_the_platform_but_the_services_one_is_reserved(planned: Any) -> None:
    _, resources = planned("prod")
    created = {r["inputs"]["metadata"]["name"] for r in resources if r["type"] == "kubernetes:core/v1:Namespace"}
    released = {r["inputs"]["namespace"] for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    services = {"apps"}  # platform:datastores.namespace in prod
    assert services <= created
    unreserved = sorted(n for n in (created | released) - services if reserved_namespace(n) is None)
    assert unreserved == [], f"add {unreserved} to RESERVED_NAMESPACES (infra/config/base.py)"
    assert {"default", "kube-system"} <= set(RESERVED_NAMESPACES)
