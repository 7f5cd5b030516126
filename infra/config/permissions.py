"""A service's AWS permissions (``platform:services.deployments.<name>.awsPermissions``): named actions
on named resources, and administrator-equivalent grants only with a reason."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from infra.config.base import _KeyedError, _Model

_IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
_ARN = re.compile(
    r"^arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$"
)
# IAM actions that amount to administrator access: passing a role, writing identities or policies,
# assuming other roles. A statement granting one (an exact name or a pattern that matches one) needs
# ``adminEquivalentReason``; iam:PassRole needs ``passedToServices`` as well.
ADMIN_EQUIVALENT_ACTIONS: tuple[str, ...] = (
    "iam:PassRole",
    "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
    "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy",
    "iam:CreateUser", "iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:CreateAccessKey",
    "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:AddUserToGroup",
    "iam:PutGroupPolicy", "iam:AttachGroupPolicy", "iam:CreateServiceLinkedRole",
    "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML",
    "kms:PutKeyPolicy", "kms:CreateGrant", "organizations:LeaveOrganization",
    "lambda:UpdateFunctionCode", "lambda:AddPermission", "ec2:RunInstances",
)  # fmt: skip


def _matches(pattern: str, action: str) -> bool:
    """IAM's matching: case-insensitive, ``*`` any run of characters, ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, flags=re.IGNORECASE) is not None


class AwsPermissionConfig(_Model):
    """One IAM statement the service's role (IRSA) is given: named actions on named resources.

    No wildcard actions (``s3:*``) or resources (``*``, ``arn:aws:s3:::*``, ``arn:aws:*:*:*:*``).
    Actions equal to administrator access (:data:`ADMIN_EQUIVALENT_ACTIONS`: iam:PassRole, IAM writes,
    sts:AssumeRole ...) are refused unless ``adminEquivalentReason`` says why; iam:PassRole also needs
    ``passedToServices``, the services the role may be passed to (the iam:PassedToService condition).
    """

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    admin_equivalent_reason: str | None = Field(None, min_length=20, max_length=500)
    passed_to_services: tuple[str, ...] = ()

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one action is needed")
        for action in value:
            if not _IAM_ACTION.match(action) or set(action.split(":", 1)[1]) <= {"*", "?"}:
                raise ValueError(f"{action!r} is not a specific IAM action like s3:GetObject")
        return value

    @field_validator("resources")
    @classmethod
    def _resources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one resource ARN is needed")
        for arn in value:
            parts = _ARN.match(arn)
            if parts is None:
                raise ValueError(f"{arn!r} is not a resource ARN (no '*': name what the service needs)")
            if any(c in parts["partition"] + parts["service"] + parts["account"] for c in "*?") or set(
                parts["resource"]
            ) <= {"*", "?", "/", ":"}:
                raise ValueError(f"{arn!r} names every resource of a kind; name what the service needs")
        return value

    @field_validator("passed_to_services")
    @classmethod
    def _services(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for service in value:
            if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?", service):
                raise ValueError(f"{service!r} is not a service principal like ecs-tasks.amazonaws.com")
        return value

    @model_validator(mode="after")
    def _admin_equivalent(self) -> AwsPermissionConfig:
        granted = sorted({a for p in self.actions for a in ADMIN_EQUIVALENT_ACTIONS if _matches(p, a)})
        if granted and self.admin_equivalent_reason is None:
            raise _KeyedError(
                "actions",
                f"grants administrator-equivalent access ({', '.join(granted)}); refused unless "
                "adminEquivalentReason says why",
            )
        if "iam:PassRole" in granted and not self.passed_to_services:
            raise _KeyedError("passedToServices", "iam:PassRole needs the services the role may be passed to")
        return self

    def statement(self) -> dict[str, Any]:
        """The IAM statement (with the iam:PassedToService condition when roles are passed)."""
        statement: dict[str, Any] = {"Effect": "Allow", "Action": list(self.actions), "Resource": list(self.resources)}
        if self.passed_to_services:
            statement["Condition"] = {"StringEquals": {"iam:PassedToService": list(self.passed_to_services)}}
        return statement
