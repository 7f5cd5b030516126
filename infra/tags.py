"""Default tags, applied once through the AWS providers' ``default_tags`` (never copied per resource)."""

from __future__ import annotations

from infra.config import PlatformConfig

MANAGED_BY = "pulumi"


def default_tags(cfg: PlatformConfig, stack: str) -> dict[str, str]:
    """The tags every AWS resource of the stack carries. The stack's own ``tags`` may add keys, not
    replace the four the platform relies on (cost reports and policies read them)."""
    tags = dict(cfg.tags)
    tags.update(
        {
            "Project": cfg.project,
            "Environment": cfg.environment.value,
            "Stack": stack,
            "ManagedBy": MANAGED_BY,
        }
    )
    return tags
