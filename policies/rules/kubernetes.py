"""Workload hygiene: resource requests and limits inside the per-pod range, probes, a hardened security
context, pinned images (the system's requirements: resource limits per pod, zero-downtime deployments)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity

from policies.rules._base import Props, config, get, listify, resource_rule
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


def pod_spec(resource_type: str, props: Props) -> Props:
    if resource_type == "kubernetes:core/v1:Pod":
        return get(props, "spec", default={})
    if resource_type == "kubernetes:batch/v1:CronJob":
        return get(props, "spec", "jobTemplate", "spec", "template", "spec", default={})
    return get(props, "spec", "template", "spec", default={})


def containers(spec: Props, init: bool = False) -> Iterator[Props]:
    yield from listify(get(spec, "containers"))
    if init:
        yield from listify(get(spec, "initContainers"))


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


def _security(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    spec = pod_spec(args.resource_type, props)
    pod = get(spec, "securityContext", default={})
    if get(spec, "hostNetwork") is True or get(spec, "hostPID") is True:
        yield "the pod shares the host's network or PID namespace"
    for container in containers(spec, init=True):
        name = get(container, "name", default="?")
        sc = get(container, "securityContext", default={})
        if get(sc, "runAsNonRoot", default=get(pod, "runAsNonRoot")) is not True:
            yield f"container {name} may run as root (runAsNonRoot)"
        if get(sc, "readOnlyRootFilesystem") is not True:
            yield f"container {name} has a writable root filesystem (readOnlyRootFilesystem)"
        if get(sc, "allowPrivilegeEscalation", default=True) is not False:
            yield f"container {name} allows privilege escalation (allowPrivilegeEscalation)"
        if get(sc, "privileged") is True:
            yield f"container {name} is privileged"
        if "ALL" not in listify(get(sc, "capabilities", "drop")):
            yield f"container {name} keeps Linux capabilities (capabilities.drop must include ALL)"
        seccomp = get(sc, "seccompProfile", "type", default=get(pod, "seccompProfile", "type"))
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield f"container {name} runs without a seccomp profile (RuntimeDefault)"


def _images(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    for container in containers(pod_spec(args.resource_type, props), init=True):
        image = str(get(container, "image", default=""))
        if "@sha256:" in image:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            yield f"container {get(container, 'name', default='?')} image {image!r} is not pinned (digest or fixed tag)"


CONTAINER_RESOURCES = resource_rule(
    "container-resources-in-range",
    "Every container requests and is limited in CPU and memory, inside the per-pod range the system requires "
    "(CPU 500m-2000m, memory 512Mi-2Gi).",
    Severity.HIGH,
    "Set resources.requests and resources.limits for cpu and memory (platform:workloads.resources).",
    WORKLOADS,
    _resources,
    PolicyConfigSchema(
        properties={
            "cpuMin": {"type": "string", "default": "500m"},
            "cpuMax": {"type": "string", "default": "2000m"},
            "memoryMin": {"type": "string", "default": "512Mi"},
            "memoryMax": {"type": "string", "default": "2Gi"},
        }
    ),
)

PROBES = resource_rule(
    "workload-probes",
    "Every container has liveness and readiness probes, so rollouts wait for healthy pods and stuck ones restart.",
    Severity.MEDIUM,
    "Add liveness_probe and readiness_probe (httpGet /health, or exec for workers).",
    WORKLOADS,
    _probes,
)

SECURITY_CONTEXT = resource_rule(
    "hardened-security-context",
    "Containers run as non-root with a read-only root filesystem, no privilege escalation, all "
    "capabilities dropped and the RuntimeDefault seccomp profile.",
    Severity.HIGH,
    "Use the security context from infra's helper (runAsNonRoot, readOnlyRootFilesystem, "
    "allowPrivilegeEscalation false, drop ALL, seccomp RuntimeDefault).",
    WORKLOADS,
    _security,
)

PINNED_IMAGES = resource_rule(
    "images-pinned",
    "Images are pinned by digest or an immutable tag, never ':latest' or untagged.",
    Severity.MEDIUM,
    "Reference images as repo@sha256:... or repo:<release> from an ECR repository with immutable tags.",
    WORKLOADS,
    _images,
)

POLICIES = (CONTAINER_RESOURCES, PROBES, SECURITY_CONTEXT, PINNED_IMAGES)
