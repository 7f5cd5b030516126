"""The DataKeys component: one rotating customer-managed key (and alias) per data domain."""

from __future__ import annotations

import pytest

from components.datastores.keys import DataKeys, DataKeysArgs
from infra.config import ProtectionConfig
from tests.support import AWS, build, of_type, policy

PROTECTED = ProtectionConfig(protect=True, deletion_protection=True)


def test_one_rotating_symmetric_key_per_domain_with_alias() -> None:
    resources = build(lambda: DataKeys("keys", DataKeysArgs("platform-test", ("users", "processing"), AWS, PROTECTED)))
    keys = of_type(resources, "aws:kms/key:Key")
    assert len(keys) == 2
    for key in keys:
        assert key["inputs"]["enableKeyRotation"] is True
        assert key["inputs"]["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"  # AES-256-GCM
        assert key["inputs"]["keyUsage"] == "ENCRYPT_DECRYPT"
        assert key["inputs"]["deletionWindowInDays"] == 30
        assert key.get("protect") is True
        statements = {s["Sid"]: s for s in policy(key, "policy")["Statement"]}
        assert all(s["Action"] not in ("kms:*", ["kms:*"]) for s in statements.values())
        assert statements["AccountPrincipalsUseKeyThroughIam"]["Condition"] == {
            "StringEquals": {"kms:CallerAccount": "123456789012"}
        }
    aliases = {a["inputs"]["name"]: a["inputs"]["targetKeyId"] for a in of_type(resources, "aws:kms/alias:Alias")}
    assert aliases == {
        "alias/platform-test/users": next(k["id"] for k in keys if k["urn"].endswith("keys-users")),
        "alias/platform-test/processing": next(k["id"] for k in keys if k["urn"].endswith("keys-processing")),
    }


@pytest.mark.parametrize("protect", [True, False])
def test_protect_follows_the_protection_config(protect: bool) -> None:
    protection = ProtectionConfig(protect=protect, deletion_protection=True)
    resources = build(lambda: DataKeys("keys", DataKeysArgs("platform-test", ("users", "analytics"), AWS, protection)))
    keys = of_type(resources, "aws:kms/key:Key")
    assert len(keys) == 2 and all(k.get("protect", False) is protect for k in keys)


@pytest.mark.parametrize(
    ("domains", "message"),
    [((), "give each data domain once"), (("users", "users"), "give each data domain once"), (("Users",), "'Users'")],
)
def test_domains_are_checked(domains: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DataKeysArgs("platform-test", domains, AWS, PROTECTED)
