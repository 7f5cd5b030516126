"""``parts.crds_for``: of the releases a component was told to wait for, each child gets the ones that
install its own kind's CRDs, and a kind nobody installs is an error, never a wait dropped in silence."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pulumi
import pytest

from components.addons.cert_manager import CertManager
from components.addons.external_secrets import ExternalSecretsOperator
from components.addons.prometheus_operator_crds import PrometheusOperatorCrds
from components.parts import besides_crds, crd_groups, crds_for, installs_crds


def release(*groups: str) -> pulumi.Resource:
    made = cast(pulumi.Resource, SimpleNamespace())
    installs_crds(made, groups)
    return made


def test_each_kind_gets_the_release_of_its_group_only() -> None:
    cert_manager = release("cert-manager.io", "acme.cert-manager.io")
    monitoring = release("monitoring.coreos.com")
    plain = cast(pulumi.Resource, SimpleNamespace())  # a store, a namespace: no CRDs of its own
    after = [cert_manager, monitoring, plain]
    assert crds_for(after, "cert-manager.io/v1") == [cert_manager]
    assert crds_for(after, "monitoring.coreos.com/v1") == [monitoring]
    assert crds_for(after, "cert-manager.io/v1", "acme.cert-manager.io/v1", "monitoring.coreos.com/v1") == [
        cert_manager,
        monitoring,
    ]
    assert crd_groups(plain) == frozenset()


def test_what_installs_no_crds_is_what_the_children_naming_it_wait_for() -> None:
    crds = release("monitoring.coreos.com")
    store = cast(pulumi.Resource, SimpleNamespace())  # the store an ExternalSecret names
    assert besides_crds([crds, store]) == [store]
    assert besides_crds([crds]) == []


def test_a_kind_whose_crds_nothing_given_installs_is_refused() -> None:
    with pytest.raises(ValueError, match=r"external-secrets\.io"):
        crds_for([release("cert-manager.io")], "external-secrets.io/v1")


def test_the_add_ons_name_the_groups_the_platform_uses_of_them() -> None:
    assert "cert-manager.io" in CertManager.CRD_GROUPS
    assert {"external-secrets.io", "generators.external-secrets.io"} <= ExternalSecretsOperator.CRD_GROUPS
    assert {"monitoring.coreos.com"} == PrometheusOperatorCrds.CRD_GROUPS
