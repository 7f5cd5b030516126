"""The floor: register N bare resources under Pulumi's mock runtime, nothing else.

No engine built on the mock runtime can register N resources faster than this. Run as a script
(``python bench/floor.py N``) for the end-to-end time, or call ``register(n)`` in-process.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await


class _EchoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


def register(n: int) -> float:
    """Seconds to register ``n`` bare custom resources (each with one input) under the mock runtime."""
    started = time.perf_counter()
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_EchoMocks(), project="floor", stack="floor", preview=False)

    def program() -> None:
        for i in range(n):
            pulumi.CustomResource("floor:index:Bare", f"r{i}", {"index": i})

    _sync_await(run_pulumi_func(program))
    settings.ROOT.set(None)
    return time.perf_counter() - started


def register_typed(n: int) -> float:
    """Seconds to register ``n`` typed ``aws.ec2.Subnet`` resources: what the typed SDK classes alone cost."""
    import pulumi_aws as aws

    started = time.perf_counter()
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_EchoMocks(), project="floor", stack="floor", preview=False)

    def program() -> None:
        for i in range(n):
            aws.ec2.Subnet(f"s{i}", vpc_id="vpc-1", cidr_block="10.0.0.0/24", tags={"Tier": "private"})

    _sync_await(run_pulumi_func(program))
    settings.ROOT.set(None)
    return time.perf_counter() - started


if __name__ == "__main__":
    register(int(sys.argv[1]))
    sys.stdout.flush()
    os._exit(0)
