"""Run the unchanged stack program under Pulumi's mock runtime and record every registration.

``RecordingMonitor`` is a ``MockMonitor`` that keeps each ``RegisterResource`` request whole: type,
name, parent, inputs (secrets still marked), dependencies, protect, provider, ignore-changes, aliases and
the outputs the mocks answered. ``run_program`` sets the stack's configuration the way the Pulumi CLI does
(a flat map of strings, secure keys listed), runs ``stacks/__main__.py`` and returns the recording.
"""

from __future__ import annotations

import contextlib
import gc
import runpy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from infra.config import StackFile
from tools.offline.mocks import OfflineError, PlanMocks

PROGRAM_MODULE = "stacks.__main__"
DISABLE_DEFAULT_PROVIDERS = "pulumi:disable-default-providers"
# Young-generation collections between two full (oldest-generation) collections while a program runs
# under the mocks; CPython's default is 10. See ``deferred_full_collections``.
FULL_COLLECTION_EVERY = 1000


@contextlib.contextmanager
def deferred_full_collections() -> Iterator[None]:
    """Run the block with the cyclic garbage collector's full collections made rare.

    A full collection walks every object the process holds: the SDKs' modules (half a million objects
    once pulumi-aws and pulumi-kubernetes are imported) and everything the plan has built so far. CPython
    runs one after every 10 young-generation collections (once the survivors reach a quarter of the old
    generation), so their number grows with the resources registered and their cost with the heap: a plan
    of 1,800 resources spent about 40% of its CPU time in them, two and a half times the share per
    resource of a plan of 570. The young generations keep being collected as usual (the SDK's short-lived
    reference cycles, futures and tasks, die there), so memory stays bounded; the thresholds are put back
    afterwards, whatever happens.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, max(old, FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


@dataclass(frozen=True)
class AliasRecord:
    """One entry of a resource's ``aliases`` option as the SDK sent it: a whole URN, or a spec whose
    empty fields mean "the same as the resource" (``no_parent``: it had no parent but the stack)."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent_urn: str = ""
    no_parent: bool = False


@dataclass
class Registration:
    mock_urn: str
    type: str
    name: str
    custom: bool
    parent: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    protect: bool
    additional_secret_outputs: list[str]
    ignore_changes: list[str]
    delete_before_replace: bool
    retain_on_delete: bool
    aliases: list[AliasRecord] = field(default_factory=list)


@dataclass
class Recording:
    project: str
    stack: str
    resources: list[Registration]
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    secret_stack_outputs: set[str] = field(default_factory=set)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: PlanMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object)
        args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=_reveal(inputs),
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        resource_id, state = self.mocks.new_resource(args)
        resource_id = resource_id or ""
        self.registrations.append(
            Registration(
                mock_urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                id=resource_id,
                inputs=inputs,
                outputs=state,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                provider=request.provider,
                protect=bool(request.protect),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                aliases=_aliases(request),
            )
        )
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=obj_proto)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        _ensure_event_loop()
        self.component_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def _aliases(request: Any) -> list[AliasRecord]:
    """The request's aliases: specs (what the SDK sends a monitor that supports them, as the mock
    monitor does) and whole URNs (``aliases=["urn:..."]``, or the SDK's older ``aliasURNs``)."""
    found: list[AliasRecord] = []
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "spec":
            spec = alias.spec
            found.append(
                AliasRecord(
                    name=spec.name,
                    type=spec.type,
                    stack=spec.stack,
                    project=spec.project,
                    parent_urn=spec.parentUrn,
                    no_parent=spec.noParent,
                )
            )
        elif alias.urn:
            found.append(AliasRecord(urn=alias.urn))
    found.extend(AliasRecord(urn=urn) for urn in request.aliasURNs)
    return found


def _reveal(value: Any) -> Any:
    """The mocks see plain values (as a provider would); the recording keeps the secret markers."""
    if rpc.is_rpc_secret(value):
        return _reveal(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def run_program(stack_file: StackFile, stack: str, project: str) -> Recording:
    """Run ``stacks/__main__.py`` for ``stack`` under the mock runtime; raise what the program raises."""
    recording = record(
        lambda: runpy.run_module(PROGRAM_MODULE, run_name="__main__"),
        project=project,
        stack=stack,
        config=stack_file.config,
        secret_keys=stack_file.secret_keys,
    )
    if stack_file.config.get(DISABLE_DEFAULT_PROVIDERS):
        _check_explicit_providers(recording)
    return recording


def record(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> Recording:
    """Run ``program`` (any code that creates resources) under the mock runtime and record it.

    The same machinery serves ``infra plan`` (the whole stack program) and the unit tests (one
    component at a time).
    """
    mocks = PlanMocks()
    monitor = RecordingMonitor(mocks)
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    captured: dict[str, Any] = {}
    secret_outputs: set[str] = set()

    async def collect_stack_outputs() -> None:
        root = settings.get_root_resource()
        for name, value in dict(getattr(root, "outputs", {}) or {}).items():
            output = pulumi.Output.from_input(value)
            captured[name] = await output.future()
            if await output.is_secret():
                secret_outputs.add(name)

    def run() -> Any:
        program()
        return collect_stack_outputs()

    try:
        with deferred_full_collections():
            _sync_await(run_pulumi_func(run))
    finally:
        settings.ROOT.set(None)
    return Recording(
        project=project,
        stack=stack,
        resources=monitor.registrations,
        component_outputs=monitor.component_outputs,
        stack_outputs=captured,
        secret_stack_outputs=secret_outputs,
    )


def _check_explicit_providers(recording: Recording) -> None:
    """``pulumi up`` fails on a resource without an explicit provider when default providers are
    disabled; fail the same way offline instead of planning something the CLI would reject."""
    for reg in recording.resources:
        if reg.custom and not reg.type.startswith("pulumi:providers:") and not reg.provider:
            raise OfflineError(
                f"{reg.type} {reg.name!r} has no explicit provider, and the stack disables default providers"
            )
