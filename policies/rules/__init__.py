"""All rules of the policy pack, in one tuple. ``policies/__main__.py`` builds the pack from it and
``infra check`` runs the same objects offline."""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from policies.rules import (
    access,
    backups,
    datastores,
    delivery,
    edge,
    encryption,
    exposure,
    iam,
    isolation,
    kubernetes,
    mesh,
    protection,
    s3,
    scoping,
    stack,
)

# isort: split
from policies.rules import readiness

# isort: split
from policies.rules import broker_logs, credentials

ALL_POLICIES: tuple[ResourceValidationPolicy | StackValidationPolicy, ...] = (
    *encryption.POLICIES,
    *s3.POLICIES,
    *exposure.POLICIES,
    *edge.POLICIES,
    *kubernetes.POLICIES,
    *protection.POLICIES,
    *iam.POLICIES,
    *access.POLICIES,
    *stack.POLICIES,
    *backups.POLICIES,
    *isolation.POLICIES,
    *readiness.POLICIES,
    *datastores.POLICIES,
    *delivery.POLICIES,
    *broker_logs.POLICIES,
    *credentials.POLICIES,
    *scoping.POLICIES,
    *mesh.POLICIES,
)
