"""Pod security defaults, in one place: every workload the platform defines takes them from here.

They satisfy the Kubernetes ``restricted`` Pod Security Standard (the services' namespace enforces it):
non-root with a fixed non-zero user, read-only root filesystem, no privilege escalation, the runtime's
default seccomp profile, every Linux capability dropped. A writable ``/tmp`` comes from an ``emptyDir``
(on the node's disk, size-limited: documents being parsed do not count against the memory limit)
because the root filesystem is read-only.
"""

from __future__ import annotations

from typing import Any

# A user and group outside the range base images give to real accounts (and not 65534/nobody, which
# other workloads share): files the app writes belong to nobody else.
RUN_AS_USER = 10001
RUN_AS_GROUP = 10001
TMP_VOLUME = "tmp"
TMP_MOUNT_PATH = "/tmp"
TMP_SIZE_LIMIT = "256Mi"


def pod_security_context(user: int = RUN_AS_USER, group: int = RUN_AS_GROUP) -> dict[str, Any]:
    """``spec.securityContext`` of a pod (camelCase, as the API takes it)."""
    if user == 0 or group == 0:
        raise ValueError("pods run as a non-zero user and group")
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": group,
        "fsGroup": group,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(user: int = RUN_AS_USER, group: int = RUN_AS_GROUP) -> dict[str, Any]:
    """``securityContext`` of every container (repeats the user so a container-level override cannot
    silently make it root)."""
    if user == 0 or group == 0:
        raise ValueError("containers run as a non-zero user and group")
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": group,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def tmp_volume() -> dict[str, Any]:
    """The writable scratch space a read-only root filesystem needs."""
    return {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": TMP_SIZE_LIMIT}}


def tmp_mount() -> dict[str, Any]:
    return {"name": TMP_VOLUME, "mountPath": TMP_MOUNT_PATH}
