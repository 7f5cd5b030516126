"""Builds the policy pack. The constructor starts the analyzer server and never returns: nothing may
import this module; ``infra check`` imports ``policies.rules`` instead."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ALL_POLICIES

PolicyPack(name="platform-policies", enforcement_level=EnforcementLevel.MANDATORY, policies=list(ALL_POLICIES))
