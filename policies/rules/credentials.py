"""Rotated credentials reach the pods: a Rollout whose pods read a Secret through an environment variable
(read once, at start) is restarted when that Secret changes. Reloader does it for the Secrets named in
``secret.reloader.stakater.com/reload``, restarting a Rollout in place (``reloader.stakater.com/
rollout-strategy: restart``: evictions under the PodDisruptionBudget) rather than through a new
blue-green revision that could wait for a manual promotion while the previous credential expires."""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import ResourceValidationArgs, Severity

from policies.rules._base import Props, get, listify, resource_rule

ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout"
RELOAD = "secret.reloader.stakater.com/reload"
STRATEGY = "reloader.stakater.com/rollout-strategy"


def _secrets_read(props: Props) -> set[str]:
    spec = get(props, "spec", "template", "spec") or {}
    names: set[str] = set()
    for container in [*listify(get(spec, "containers")), *listify(get(spec, "initContainers"))]:
        for variable in listify(get(container, "env")):
            name = get(variable, "valueFrom", "secretKeyRef", "name")
            if name:
                names.add(str(name))
        for source in listify(get(container, "envFrom")):
            name = get(source, "secretRef", "name")
            if name:
                names.add(str(name))
    return names


def _reloaded(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    read = _secrets_read(props)
    if not read:
        return
    annotations = get(props, "metadata", "annotations") or {}
    named = {n.strip() for n in str(annotations.get(RELOAD, "")).split(",") if n.strip()}
    missing = sorted(read - named)
    if missing:
        yield f"the pods read the Secrets {', '.join(missing)} at start, but nothing restarts them when they change"
    if str(annotations.get(STRATEGY, "")) != "restart":
        yield f"a Secret change would roll out a new blue-green revision; set {STRATEGY}: restart"


SECRETS_RELOADED = resource_rule(
    "rollouts-reload-rotated-secrets",
    "A Rollout whose pods read Secrets into environment variables names each in "
    "secret.reloader.stakater.com/reload and is restarted in place (reloader.stakater.com/rollout-strategy: "
    "restart), so a rotated credential reaches every pod while the previous one is still valid.",
    Severity.HIGH,
    "Build the Rollout with components/service.py (reload_annotations of components/addons/reloader.py).",
    (ROLLOUT,),
    _reloaded,
)

POLICIES = (SECRETS_RELOADED,)
