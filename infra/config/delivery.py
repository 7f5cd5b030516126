"""How code reaches this stack from GitHub Actions (``platform:delivery``): who may assume which role.

GitHub Actions proves a job's identity with an OIDC token whose ``sub`` claim names the repository and
either the branch (``repo:<owner>/<repo>:ref:refs/heads/<branch>``), the GitHub environment of the job
(``repo:<owner>/<repo>:environment:<name>``) or a pull request (``repo:<owner>/<repo>:pull_request``).
Every role of this section trusts exactly one such subject, spelled out in full: no wildcard owner,
repository, branch or environment, so a fork, another repository of the organisation or another branch
never gets the role.

- ``github.services.<name>``: the repository of a service of ``platform:services.deployments``. Its
  role may push to that service's ECR repository and roll out that service's image, nothing else.
- ``github.infrastructure``: this repository; its deploy role runs ``pulumi up`` of this stack from
  the pipeline, its preview role (optional) ``pulumi preview`` for pull requests.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from infra.config.base import _KeyedError, _Model

GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# GitHub's rules: owners are letters, digits and single hyphens (at most 39); repositories letters,
# digits, '.', '-', '_' (at most 100).
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_REPOSITORY = re.compile(rf"^(?P<owner>{_OWNER})/(?P<name>[A-Za-z0-9._-]{{1,100}})$")
# Git ref names and environment names, without the characters IAM's StringLike or Git would treat as
# patterns or refuse (the condition is StringEquals; a '*' would still only be a literal there, and is
# refused so that nobody believes it matches more).
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)(?!.*/$)(?!.*\.lock$)[A-Za-z0-9._/-]{1,200}$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._ -]{1,255}$")
_WILDCARDS = ("*", "?", "[", "]")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,128}$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]{1,512}$")
_ADMIN_POLICIES = ("/administratoraccess", "/poweruseraccess", "/iamfullaccess")
_PROVIDER_ARN = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_ISSUER)}$")


def _no_wildcard(value: str, what: str) -> str:
    if any(c in value for c in _WILDCARDS):
        raise ValueError(f"{value!r}: a {what} is named exactly, without wildcards (* ? [ ])")
    return value


def check_repository(value: str) -> str:
    _no_wildcard(value, "repository")
    if not _REPOSITORY.match(value) or value.endswith((".git", "/.", "/..")):
        raise ValueError(f"{value!r} is not a GitHub repository like example-org/user-service")
    return value


def check_branch(value: str) -> str:
    _no_wildcard(value, "branch")
    if value.startswith("refs/"):
        raise ValueError(f"{value!r}: give the branch name alone (main), not the ref")
    if not _BRANCH.match(value):
        raise ValueError(f"{value!r} is not a branch name (A-Z a-z 0-9 . _ / -)")
    return value


def check_environment(value: str) -> str:
    _no_wildcard(value, "GitHub environment")
    if not _ENVIRONMENT.match(value) or value != value.strip():
        raise ValueError(f"{value!r} is not a GitHub environment name (A-Z a-z 0-9 . _ - and spaces)")
    return value


class GithubSubject(_Model):
    """One repository and the branch or GitHub environment whose jobs may assume a role."""

    repository: str = Field(description="owner/repo, exactly")
    branch: str | None = Field(None, description="jobs on this branch (sub ...:ref:refs/heads/<branch>)")
    environment: str | None = Field(None, description="jobs of this GitHub environment (sub ...:environment:<name>)")

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        return check_repository(value)

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        return None if value is None else check_branch(value)

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str | None) -> str | None:
        return None if value is None else check_environment(value)

    @model_validator(mode="after")
    def _one_of(self) -> GithubSubject:
        if (self.branch is None) == (self.environment is None):
            raise _KeyedError("environment", "name exactly one of branch or environment")
        return self

    @property
    def subject(self) -> str:
        """The token's ``sub`` claim, exactly."""
        if self.environment is not None:
            return f"repo:{self.repository}:environment:{self.environment}"
        return f"repo:{self.repository}:ref:refs/heads/{self.branch}"


class InfrastructureRepoConfig(_Model):
    """This repository's pipeline: the deploy role of this stack and, optionally, the preview role."""

    repository: str
    environment: str = Field(description="the GitHub environment of the job that deploys this stack")
    preview: bool = Field(True, description="a read-only role for pull requests (sub ...:pull_request)")
    state_bucket: str = Field(description="the S3 bucket of the Pulumi state backend (made before the stack)")
    secrets_key_arn: str = Field(description="the KMS key of the stack's secrets provider (awskms://)")
    deploy_policy_arns: tuple[str, ...] = Field(
        (), description="managed policies with what pulumi up of this stack creates (the account's own)"
    )

    @field_validator("state_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        _no_wildcard(value, "state bucket")
        if not _BUCKET.match(value) or ".." in value:
            raise ValueError(f"{value!r} is not an S3 bucket name (3-63 of a-z 0-9 . -)")
        return value

    @field_validator("secrets_key_arn")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY_ARN.match(value):
            raise ValueError(f"{value!r} is not a KMS key ARN like arn:aws:kms:us-east-1:123456789012:key/<id>")
        return value

    @field_validator("deploy_policy_arns")
    @classmethod
    def _policies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not _POLICY_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an IAM managed policy ARN")
            if arn.lower().endswith(_ADMIN_POLICIES):
                raise ValueError(f"{arn} is administrator access; name policies with what the stack creates")
        return value

    @property
    def deploy(self) -> GithubSubject:
        return GithubSubject(repository=self.repository, environment=self.environment)

    @property
    def preview_subject(self) -> str:
        return f"repo:{self.repository}:pull_request"

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        return check_repository(value)

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        return check_environment(value)


class GithubConfig(_Model):
    """GitHub Actions as an identity provider of this account, and the roles its jobs may assume."""

    oidc_provider_arn: str | None = Field(
        None,
        description="the account's existing provider for token.actions.githubusercontent.com; default: create it",
    )
    services: dict[str, GithubSubject] = Field(default_factory=dict)
    infrastructure: InfrastructureRepoConfig | None = None

    @field_validator("oidc_provider_arn")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        if value is not None and not _PROVIDER_ARN.match(value):
            example = f"arn:aws:iam::123456789012:oidc-provider/{GITHUB_ISSUER}"
            raise ValueError(f"{value!r} is not an IAM OIDC provider ARN like {example}")
        return value


class DeliveryConfig(_Model):
    """``platform:delivery``: how service and infrastructure code reaches this stack."""

    github: GithubConfig = GithubConfig()
    role_session_seconds: int = Field(3600, ge=900, le=43_200, description="longest session of a delivery role")


def release_role_name(name_prefix: str, service: str) -> str:
    """The IAM role a service's release workflow assumes in this stack."""
    return f"{name_prefix}-{service}-release"


def release_parameter_name(name_prefix: str, service: str) -> str:
    """The SSM parameter holding the image reference (tag or digest) a service's release rolled out."""
    return f"/{name_prefix}/releases/{service}/image"
