"""Facts about AWS the configuration is checked against: the regions and their zones, the partitions,
the limits on tags, and how much of the internet a set of CIDR blocks admits.

The region table is data to keep current: add a region when AWS opens one (its code, partition and
the letters of its availability zones, from the EC2 console's "Zones" page or
``aws ec2 describe-availability-zones --region <code>``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from infra.config.errors import did_you_mean, shown


@dataclass(frozen=True)
class Region:
    partition: str
    zone_letters: str  # the letters of its availability zones (us-east-1a ... us-east-1f)
    usable: int | None = None  # zones one account can use, when fewer than the letters (us-west-1)

    @property
    def zones(self) -> int:
        return self.usable if self.usable is not None else len(self.zone_letters)


_ABC = "abc"
REGIONS: dict[str, Region] = {
    "us-east-1": Region("aws", "abcdef"),
    "us-east-2": Region("aws", _ABC),
    "us-west-1": Region("aws", _ABC, usable=2),
    "us-west-2": Region("aws", "abcd"),
    "af-south-1": Region("aws", _ABC),
    "ap-east-1": Region("aws", _ABC),
    "ap-east-2": Region("aws", _ABC),
    "ap-south-1": Region("aws", _ABC),
    "ap-south-2": Region("aws", _ABC),
    "ap-southeast-1": Region("aws", _ABC),
    "ap-southeast-2": Region("aws", _ABC),
    "ap-southeast-3": Region("aws", _ABC),
    "ap-southeast-4": Region("aws", _ABC),
    "ap-southeast-5": Region("aws", _ABC),
    "ap-southeast-6": Region("aws", _ABC),
    "ap-southeast-7": Region("aws", _ABC),
    "ap-northeast-1": Region("aws", "abcd", usable=3),
    "ap-northeast-2": Region("aws", "abcd"),
    "ap-northeast-3": Region("aws", _ABC),
    "ca-central-1": Region("aws", "abd"),
    "ca-west-1": Region("aws", _ABC),
    "eu-central-1": Region("aws", _ABC),
    "eu-central-2": Region("aws", _ABC),
    "eu-west-1": Region("aws", _ABC),
    "eu-west-2": Region("aws", _ABC),
    "eu-west-3": Region("aws", _ABC),
    "eu-south-1": Region("aws", _ABC),
    "eu-south-2": Region("aws", _ABC),
    "eu-north-1": Region("aws", _ABC),
    "il-central-1": Region("aws", _ABC),
    "me-south-1": Region("aws", _ABC),
    "me-central-1": Region("aws", _ABC),
    "mx-central-1": Region("aws", _ABC),
    "sa-east-1": Region("aws", _ABC),
    "us-gov-east-1": Region("aws-us-gov", _ABC),
    "us-gov-west-1": Region("aws-us-gov", _ABC),
    "cn-north-1": Region("aws-cn", "abd"),
    "cn-northwest-1": Region("aws-cn", _ABC),
}


def check_region(value: str) -> str:
    if value not in REGIONS:
        raise ValueError(f"{shown(value)} is not an AWS region{did_you_mean(value, REGIONS)} (e.g. us-east-1)")
    return value


def zone_problem(region: str, zones: Iterable[str]) -> str | None:
    """Why ``zones`` are not distinct availability zones of ``region``, or None."""
    known = REGIONS[region]
    listed = list(zones)
    for zone in listed:
        if zone[:-1] != region or zone[-1:] not in known.zone_letters:
            letters = ", ".join(f"{region}{c}" for c in known.zone_letters)
            return f"{zone!r} is not an availability zone of {region} ({letters})"
    if len(set(listed)) != len(listed):
        return "a zone is listed twice; the subnets of each tier must be in distinct zones"
    return None


# ---------------------------------------------------------------------------------------------
# Tags: AWS's limits (50 per resource; key 1-128, value 0-256 characters of letters, digits, spaces and
# _ . : / = + - @; the aws: prefix is AWS's own). The platform sets four default tags itself and some
# resources a few of their own, so a stack adds at most MAX_STACK_TAGS.
# ---------------------------------------------------------------------------------------------
MAX_STACK_TAGS = 40
PLATFORM_TAG_KEYS = ("Project", "Environment", "Stack", "ManagedBy")
_TAG_PUNCTUATION = set("_.:/=+-@ ")


def _tag_text(text: str) -> bool:
    return all(c.isalnum() or c in _TAG_PUNCTUATION for c in text)


def tag_problem(tags: dict[str, str]) -> tuple[str, str] | None:
    """(key, why) of the first tag AWS or the platform would refuse, or None."""
    if len(tags) > MAX_STACK_TAGS:
        return (
            "",
            f"{len(tags)} tags; at most {MAX_STACK_TAGS} (AWS allows 50 per resource, the platform sets the rest)",
        )
    reserved = {k.casefold(): k for k in PLATFORM_TAG_KEYS}
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _tag_text(key):
            return key, "a tag key is 1-128 letters, digits, spaces and _ . : / = + - @"
        if key.casefold().startswith("aws:"):
            return key, "the aws: prefix is reserved for AWS's own tags"
        if key.casefold() in reserved:
            return key, f"{reserved[key.casefold()]} is set by the platform (policies and cost reports read it)"
        if len(value) > 256 or not _tag_text(value):
            return key, "a tag value is at most 256 letters, digits, spaces and _ . : / = + - @"
    return None


# ---------------------------------------------------------------------------------------------
# How much of the internet a set of CIDR blocks admits: their union, less the ranges that are not on
# the public internet. 0.0.0.0/1 + 128.0.0.0/1 is the whole internet as much as 0.0.0.0/0 is; any set
# admitting more than a /16 of public addresses is treated as the world.
# ---------------------------------------------------------------------------------------------
WORLD_LIKE_PUBLIC_ADDRESSES = 2**16
_NOT_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip


def public_addresses(cidrs: Iterable[str]) -> int:
    """The number of public IPv4 addresses in the union of ``cidrs``."""
    blocks = list(ipaddress.collapse_addresses(ipaddress.IPv4Network(c) for c in cidrs))
    total = 0
    for block in blocks:
        private = sum(
            (block if block.subnet_of(n) else n).num_addresses
            for n in _NOT_PUBLIC_V4
            if block.overlaps(n)
        )  # fmt: skip
        total += block.num_addresses - private
    return total


def world_like(cidrs: Iterable[str]) -> bool:
    return public_addresses(cidrs) > WORLD_LIKE_PUBLIC_ADDRESSES


PRIVATE_V4 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
