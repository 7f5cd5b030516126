"""Pulumi's mock runtime answered by the offline engine: realistic resource outputs and invoke results.

``PlanMocks`` dispatches: provider resources get a UUID-shaped id (and remember their region, so
ARNs, endpoints and invokes through them carry it), ``kubernetes:*`` resources get what the API
server would fill in, every other resource its AWS-shaped outputs (``outputs.py``); invokes are
answered from ``invokes.py``. Everything is derived from a hash of type and name, so two plans of
the same code are identical.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from tools.offline import invokes
from tools.offline.outputs import DEFAULT_REGION, aws_outputs, digest, kubernetes_outputs


class OfflineError(RuntimeError):
    """The offline engine cannot answer something the program asked for."""


class PlanMocks(Mocks):
    """Answers resource registrations and invokes with deterministic, AWS-shaped values."""

    def __init__(self) -> None:
        self.provider_regions: dict[str, str] = {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        token = args.typ
        outputs: dict[str, Any] = dict(args.inputs)
        hashed = digest(token, args.name)
        if token.startswith("pulumi:providers:"):
            provider_id = f"{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-8{hashed[15:17]}{hashed[:10]}"
            if token == "pulumi:providers:aws":
                self.provider_regions[provider_id] = str(args.inputs.get("region", DEFAULT_REGION))
            return provider_id, outputs
        if token.startswith("kubernetes:"):
            return kubernetes_outputs(args, outputs, hashed), outputs
        return aws_outputs(args, outputs, hashed, self._region(args.provider)), outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        result = invokes.answer(args.token, args.args, self._region(args.provider))
        if result is None:
            raise OfflineError(
                f"the offline plan has no answer for invoke {args.token}; add one in tools/offline/invokes.py"
            )
        return result, []

    def _region(self, provider_ref: str | None) -> str:
        if provider_ref:
            provider_id = provider_ref.rsplit("::", 1)[-1]
            return self.provider_regions.get(provider_id, DEFAULT_REGION)
        return DEFAULT_REGION
