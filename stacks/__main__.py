"""Pulumi entry point (``Pulumi.yaml`` ``main: stacks/``): load this stack's config, build the platform.

``infra plan`` runs this same module under Pulumi's mock runtime.
"""

import pulumi

from infra.config import ConfigError, load_from_pulumi
from stacks.platform import build_platform

try:
    config = load_from_pulumi()
except ConfigError as error:
    # RunError: the CLI prints the one-line message without a Python traceback.
    raise pulumi.RunError(str(error)) from None

build_platform(config, stack=pulumi.get_stack())
