"""Workload hygiene: resource requests and limits inside the per-pod range, probes, a hardened security
context, pinned images (the system's requirements: resource limits per pod, zero-downtime deployments)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity

from policies.rules._base import Props, config, get, is_false, is_true, kind_of, listify, resource_rule
from policies.rules._quantities import cpu_millis, memory_bytes

WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
    "kubernetes:argoproj.io/v1alpha1:Rollout",
)
# Every kind that holds a pod template, in any API group or version and as a Patch: no old API version
# (extensions/v1beta1, apps/v1beta2, batch/v1beta1) or server-side patch dodges the workload rules.
WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "PodTemplate",
     "ReplicationController", "Rollout"}
)  # fmt: skip


CPU_PATTERN = r"^[0-9]+(\.[0-9]+)?m?$"
MEMORY_PATTERN = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$"


def is_workload(resource_type: str) -> bool:
    return kind_of(resource_type) in WORKLOAD_KINDS


def pod_spec(resource_type: str, props: Props) -> Props:
    kind = kind_of(resource_type)
    if kind == "Pod":
        return get(props, "spec", default={})
    if kind == "PodTemplate":
        return get(props, "template", "spec", default={})
    if kind == "CronJob":
        return get(props, "spec", "jobTemplate", "spec", "template", "spec", default={})
    return get(props, "spec", "template", "spec", default={})


def containers(spec: Props, init: bool = False) -> Iterator[Props]:
    yield from listify(get(spec, "containers"))
    if init:
        yield from listify(get(spec, "initContainers"))
        yield from listify(get(spec, "ephemeralContainers"))


def _range_config(args: ResourceValidationArgs) -> dict[str, int]:
    cfg = config(args)
    return {
        "cpu_min": cpu_millis(cfg.get("cpuMin", "500m")),
        "cpu_max": cpu_millis(cfg.get("cpuMax", "2000m")),
        "mem_min": memory_bytes(cfg.get("memoryMin", "512Mi")),
        "mem_max": memory_bytes(cfg.get("memoryMax", "2Gi")),
    }


def _quantity(parse: Any, value: Any) -> int | None:
    try:
        return int(parse(value))
    except (ValueError, TypeError):
        return None


def _resources(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    bounds = _range_config(args)
    for container in containers(pod_spec(args.resource_type, props), init=True):
        name = get(container, "name", default="?")
        resources = get(container, "resources", default={})
        for section in ("requests", "limits"):
            for key, parse, low, high in (
                ("cpu", cpu_millis, bounds["cpu_min"], bounds["cpu_max"]),
                ("memory", memory_bytes, bounds["mem_min"], bounds["mem_max"]),
            ):
                raw = get(resources, section, key)
                if raw is None:
                    yield f"container {name} has no {section}.{key}"
                    continue
                value = _quantity(parse, raw)
                if value is None or not low <= value <= high:
                    yield f"container {name} {section}.{key} {raw} is outside the allowed range"


def _probes(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    for container in containers(pod_spec(args.resource_type, props)):
        missing = [p for p in ("livenessProbe", "readinessProbe") if not get(container, p)]
        if missing:
            yield f"container {get(container, 'name', default='?')} has no {' or '.join(missing)}"


# The restricted Pod Security Standard: what a pod may use.
ALLOWED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret", "name"}
)
SAFE_SYSCTLS = frozenset(
    {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
     "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
     "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
     "net.ipv4.tcp_keepalive_probes"}
)  # fmt: skip


def _pod_level(spec: Props) -> Iterator[str]:
    for key, what in (("hostNetwork", "network"), ("hostPID", "PID"), ("hostIPC", "IPC")):
        if is_true(get(spec, key)):
            yield f"the pod shares the host's {what} namespace ({key})"
    for volume in listify(get(spec, "volumes")):
        kinds = sorted(str(k) for k in (volume if isinstance(volume, Mapping) else {}) if str(k) not in ALLOWED_VOLUMES)
        if kinds:
            yield (
                f"volume {get(volume, 'name', default='?')} is a {kinds[0]} volume "
                "(restricted allows configMap, secret, emptyDir, projected, PVCs, CSI)"
            )
    pod = get(spec, "securityContext", default={})
    for sysctl in listify(get(pod, "sysctls")):
        if str(get(sysctl, "name", default="")) not in SAFE_SYSCTLS:
            yield f"the pod sets the unsafe sysctl {get(sysctl, 'name', default='?')}"
    if str(get(pod, "appArmorProfile", "type", default="")).lower() == "unconfined":
        yield "the pod runs without AppArmor (appArmorProfile Unconfined)"
    if is_true(get(pod, "windowsOptions", "hostProcess")):
        yield "the pod runs as a Windows host process"


def _security(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    spec = pod_spec(args.resource_type, props)
    pod = get(spec, "securityContext", default={})
    yield from _pod_level(spec)
    for container in containers(spec, init=True):
        name = get(container, "name", default="?")
        sc = get(container, "securityContext", default={})
        if not is_true(get(sc, "runAsNonRoot", default=get(pod, "runAsNonRoot"))):
            yield f"container {name} may run as root (runAsNonRoot)"
        if str(get(sc, "runAsUser", default=get(pod, "runAsUser", default=""))) in ("0", "0.0"):
            yield f"container {name} runs as root (runAsUser 0)"
        if not is_true(get(sc, "readOnlyRootFilesystem")):
            yield f"container {name} has a writable root filesystem (readOnlyRootFilesystem)"
        if not is_false(get(sc, "allowPrivilegeEscalation", default=True)):
            yield f"container {name} allows privilege escalation (allowPrivilegeEscalation)"
        if is_true(get(sc, "privileged")):
            yield f"container {name} is privileged"
        if "all" not in {str(c).lower() for c in listify(get(sc, "capabilities", "drop"))}:
            yield f"container {name} keeps Linux capabilities (capabilities.drop must include ALL)"
        added = sorted(str(c) for c in listify(get(sc, "capabilities", "add")) if str(c).upper() != "NET_BIND_SERVICE")
        if added:
            yield f"container {name} adds capabilities {', '.join(added)} (restricted allows NET_BIND_SERVICE only)"
        seccomp = get(sc, "seccompProfile", "type", default=get(pod, "seccompProfile", "type"))
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield f"container {name} runs without a seccomp profile (RuntimeDefault)"
        if str(get(sc, "procMount", default="Default")) != "Default":
            yield f"container {name} unmasks /proc (procMount)"
        if str(get(sc, "appArmorProfile", "type", default="")).lower() == "unconfined":
            yield f"container {name} runs without AppArmor (appArmorProfile Unconfined)"
        if any(get(port, "hostPort") not in (None, 0) for port in listify(get(container, "ports"))):
            yield f"container {name} binds a port on the host (hostPort)"


# Tags that move: named channels, and a bare major or major.minor (the next patch release replaces it).
MOVING_TAGS = frozenset({"latest", "stable", "main", "master", "edge", "nightly", "dev", "mainline"})
_MOVING_VERSION = re.compile(r"^v?[0-9]+(\.[0-9]+)?$")


def _images(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    by_digest = bool(config(args).get("requireDigest", False))
    for container in containers(pod_spec(args.resource_type, props), init=True):
        image = str(get(container, "image", default=""))
        name = get(container, "name", default="?")
        if "@sha256:" in image:
            continue
        if by_digest:
            yield f"container {name} image {image!r} is not referenced by digest (repo@sha256:...)"
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag.lower() in MOVING_TAGS:
            yield f"container {name} image {image!r} is not pinned (digest or fixed tag)"
        elif _MOVING_VERSION.match(tag):
            yield f"container {name} image {image!r} has a moving tag (a bare major.minor): pin a patch release"


CONTAINER_RESOURCES = resource_rule(
    "container-resources-in-range",
    "Every container requests and is limited in CPU and memory, inside the per-pod range the system requires "
    "(CPU 500m-2000m, memory 512Mi-2Gi).",
    Severity.HIGH,
    "Set resources.requests and resources.limits for cpu and memory (platform:workloads.resources).",
    (is_workload,),
    _resources,
    PolicyConfigSchema(
        properties={
            "cpuMin": {"type": "string", "pattern": CPU_PATTERN, "default": "500m"},
            "cpuMax": {"type": "string", "pattern": CPU_PATTERN, "default": "2000m"},
            "memoryMin": {"type": "string", "pattern": MEMORY_PATTERN, "default": "512Mi"},
            "memoryMax": {"type": "string", "pattern": MEMORY_PATTERN, "default": "2Gi"},
        }
    ),
)

PROBES = resource_rule(
    "workload-probes",
    "Every container has liveness and readiness probes, so rollouts wait for healthy pods and stuck ones restart.",
    Severity.MEDIUM,
    "Add liveness_probe and readiness_probe (httpGet /health, or exec for workers).",
    (is_workload,),
    _probes,
)

SECURITY_CONTEXT = resource_rule(
    "hardened-security-context",
    "Every pod template (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Rollouts, in any API version) "
    "meets the restricted Pod Security Standard: no host network, PID, IPC, ports or hostPath volumes; "
    "containers (init and ephemeral too) run as non-root, unprivileged, without privilege escalation, with "
    "all capabilities dropped (NET_BIND_SERVICE the only one added back), RuntimeDefault seccomp, a masked "
    "/proc, no unsafe sysctls, and a read-only root filesystem.",
    Severity.HIGH,
    "Use the security context from infra's helper (runAsNonRoot, readOnlyRootFilesystem, "
    "allowPrivilegeEscalation false, drop ALL, seccomp RuntimeDefault).",
    (is_workload,),
    _security,
)

PINNED_IMAGES = resource_rule(
    "images-pinned",
    "Images are pinned by digest or an exact tag, never ':latest', a channel, a bare major.minor or untagged; "
    "by digest only where the config asks (requireDigest).",
    Severity.MEDIUM,
    "Reference images as repo@sha256:... or repo:<release> from an ECR repository with immutable tags.",
    (is_workload,),
    _images,
    PolicyConfigSchema(properties={"requireDigest": {"type": "boolean", "default": False}}),
)

POLICIES = (CONTAINER_RESOURCES, PROBES, SECURITY_CONTEXT, PINNED_IMAGES)
