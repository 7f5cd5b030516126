"""Readiness: no object without its controller.

An object whose kind something in the cluster must act on (an HPA, a NetworkPolicy, a volume claim, a
custom resource) does nothing, silently, when that something is not installed. This stack rule finds,
for every such object of the plan (and of the rendered charts, under ``infra check --render``), its
controller in the same plan: a Helm release of the right chart, an EKS add-on, or for custom resources
whatever installs their CRD. A typed custom resource must also be created after that release: the
release is among its dependencies (directly or through what it depends on).

The mapping is one table, :data:`CONTROLLERS`: a new add-on is a new row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.rules._base import get, kind_of, listify, stack_rule

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
EKS_ADDON = "aws:eks/addon:Addon"
CRD = "CustomResourceDefinition"


@dataclass(frozen=True)
class Controller:
    """What acts on objects of ``kinds`` (Kind names) or of ``groups`` (API groups): a Helm release of
    one of ``charts`` or an EKS add-on named in ``addons``; ``addon_settings`` are configuration values
    that add-on must carry for it to act (e.g. the VPC CNI enforces network policies only when told)."""

    what: str
    kinds: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    charts: frozenset[str] = frozenset()
    addons: frozenset[str] = frozenset()
    addon_settings: tuple[tuple[str, str], ...] = ()
    crd_charts: frozenset[str] = frozenset()  # charts that install the CRDs apart from the controller


def _row(what: str, *, kinds: Iterable[str] = (), groups: Iterable[str] = (), charts: Iterable[str] = (),
         addons: Iterable[str] = (), settings: Iterable[tuple[str, str]] = (),
         crd_charts: Iterable[str] = ()) -> Controller:  # fmt: skip
    return Controller(what, frozenset(kinds), frozenset(groups), frozenset(charts), frozenset(addons), tuple(settings),
                      frozenset(crd_charts))  # fmt: skip


CONTROLLERS: tuple[Controller, ...] = (
    _row("metrics-server", kinds=["HorizontalPodAutoscaler"], charts=["metrics-server"], addons=["metrics-server"]),
    _row("an enforcing network plugin (the VPC CNI with network policy on, or Cilium/Calico)",
         kinds=["NetworkPolicy"], charts=["cilium", "tigera-operator", "calico"], addons=["vpc-cni"],
         settings=[("enableNetworkPolicy", "true")]),
    _row("cert-manager", groups=["cert-manager.io", "acme.cert-manager.io"], charts=["cert-manager"],
         addons=["cert-manager"]),
    _row("External Secrets", groups=["external-secrets.io", "generators.external-secrets.io"],
         charts=["external-secrets"], addons=["external-secrets"]),
    _row("the Prometheus operator", groups=["monitoring.coreos.com"],
         charts=["kube-prometheus-stack", "prometheus-operator"], crd_charts=["prometheus-operator-crds"]),
    _row("Argo Rollouts", groups=["argoproj.io"], charts=["argo-rollouts"]),
    _row("Kong's ingress controller", groups=["configuration.konghq.com"], charts=["kong", "ingress"]),
    _row("the ECK operator", groups=["elasticsearch.k8s.elastic.co", "kibana.k8s.elastic.co",
                                     "logstash.k8s.elastic.co", "beat.k8s.elastic.co", "agent.k8s.elastic.co",
                                     "apm.k8s.elastic.co", "enterprisesearch.k8s.elastic.co"],
         charts=["eck-operator"]),
    _row("Istio", groups=["networking.istio.io", "security.istio.io", "telemetry.istio.io"], charts=["istiod"]),
    # EKS's VPC resource controller (control plane) with the VPC CNI's branch interfaces on the nodes.
    _row("security groups for pods (the VPC CNI add-on)", groups=["vpcresources.k8s.aws"], addons=["vpc-cni"]),
)  # fmt: skip

# StorageClass provisioners -> the CSI driver that serves them (a chart or an EKS add-on of that name).
PROVISIONERS: Mapping[str, frozenset[str]] = {
    "ebs.csi.aws.com": frozenset({"aws-ebs-csi-driver"}),
    "kubernetes.io/aws-ebs": frozenset({"aws-ebs-csi-driver"}),  # in-tree name, migrated to the CSI driver
    "efs.csi.aws.com": frozenset({"aws-efs-csi-driver"}),
    "fsx.csi.aws.com": frozenset({"aws-fsx-csi-driver"}),
}
# Classes EKS itself creates (not in any plan).
BUILT_IN_CLASSES: Mapping[str, str] = {"gp2": "kubernetes.io/aws-ebs"}
# Which values key of which chart names the IngressClass its controller serves, and its default.
INGRESS_CLASS_KEYS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "nginx-ingress": (("controller", "ingressClass", "name"), "nginx"),
    "ingress-nginx": (("controller", "ingressClassResource", "name"), "nginx"),
    "kong": (("ingressController", "ingressClass"), "kong"),
    "ingress": (("controller", "ingressController", "ingressClass"), "kong"),
}
Found = Iterable[tuple[str, str | None]]


def _group(props: Mapping[str, object], resource_type: str) -> str:
    api_version = str(get(props, "apiVersion", default="") or "")
    if not api_version and resource_type.startswith("kubernetes:"):
        api_version = resource_type.split(":")[1]
    return api_version.rpartition("/")[0]


def _label(resource: PolicyResource) -> str:
    meta = get(resource.props, "metadata", default={}) or {}
    name = get(meta, "name", default="") or resource.name
    namespace = get(meta, "namespace", default="")
    return f"{kind_of(resource.resource_type)} {namespace + '/' if namespace else ''}{name}"


def _addon_settings(addon: PolicyResource) -> dict[str, str]:
    raw = get(addon.props, "configurationValues", default="") or ""
    try:
        loaded = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        loaded = {}
    return {str(k): str(v).lower() for k, v in loaded.items()} if isinstance(loaded, dict) else {}


class _Cluster:
    """What the plan installs: releases by chart, EKS add-ons by name, CRDs by group, classes."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.releases: dict[str, list[PolicyResource]] = {}
        self.addons: dict[str, PolicyResource] = {}
        self.crd_groups: dict[str, list[PolicyResource]] = {}  # group -> releases (or CRD objects) installing it
        self.storage_classes: dict[str, str] = dict(BUILT_IN_CLASSES)
        self.default_class: str | None = None
        self.ingress_classes: set[str] = set()
        for r in resources:
            if r.resource_type == HELM_RELEASE:
                chart = str(get(r.props, "chart", default=""))
                self.releases.setdefault(chart, []).append(r)
                keys = INGRESS_CLASS_KEYS.get(chart)
                if keys is not None:
                    self.ingress_classes.add(str(get(r.props, "values", *keys[0], default=keys[1])))
            elif r.resource_type == EKS_ADDON:
                self.addons[str(get(r.props, "addonName", default=""))] = r
            elif kind_of(r.resource_type) == CRD:
                group = str(get(r.props, "spec", "group", default=""))
                installer = r.parent if r.parent is not None and r.parent.resource_type == HELM_RELEASE else r
                self.crd_groups.setdefault(group, []).append(installer)
            elif kind_of(r.resource_type) == "StorageClass":
                name = str(get(r.props, "metadata", "name", default=""))
                self.storage_classes[name] = str(get(r.props, "provisioner", default=""))
                annotations = get(r.props, "metadata", "annotations", default={}) or {}
                if str(annotations.get("storageclass.kubernetes.io/is-default-class", "")).lower() == "true":
                    self.default_class = name

    def providers(self, charts: Iterable[str], addons: Iterable[str] = (),
                  settings: tuple[tuple[str, str], ...] = ()) -> list[PolicyResource]:  # fmt: skip
        found = [release for chart in charts for release in self.releases.get(chart, [])]
        for name in addons:
            addon = self.addons.get(name)
            if addon is not None and all(_addon_settings(addon).get(k) == v for k, v in settings):
                found.append(addon)
        return found


def controller_for(kind: str, group: str) -> Controller | None:
    for row in CONTROLLERS:
        if kind in row.kinds or group in row.groups:
            return row
    return None


def _ancestors(resource: PolicyResource) -> Iterator[PolicyResource]:
    """Everything ``resource`` waits for: its dependencies, theirs, ... (and its parent release)."""
    seen: set[str] = set()
    stack = [*resource.dependencies, *([resource.parent] if resource.parent is not None else [])]
    while stack:
        current = stack.pop()
        if current.urn in seen:
            continue
        seen.add(current.urn)
        yield current
        stack.extend(current.dependencies)


def _volumes(resource: PolicyResource, cluster: _Cluster) -> Found:
    kind = kind_of(resource.resource_type)
    if kind == "StorageClass":
        wanted = [str(get(resource.props, "provisioner", default=""))]
    elif kind == "PersistentVolumeClaim":
        wanted = [_provisioner(get(resource.props, "spec", "storageClassName"), cluster)]
    elif kind == "StatefulSet":
        wanted = [_provisioner(get(t, "spec", "storageClassName"), cluster)
                  for t in listify(get(resource.props, "spec", "volumeClaimTemplates"))]  # fmt: skip
    else:
        return
    for provisioner in wanted:
        drivers = PROVISIONERS.get(provisioner)
        if drivers is None:
            yield f"{_label(resource)}: no CSI driver in the plan serves provisioner {provisioner or '(none)'}", None
        elif not cluster.providers(drivers, drivers):
            yield (
                (
                    f"{_label(resource)}: provisioner {provisioner} needs the CSI driver "
                    f"({', '.join(sorted(drivers))}), which the plan does not install"
                ),
                None,
            )


def _provisioner(class_name: object, cluster: _Cluster) -> str:
    name = str(class_name) if class_name else cluster.default_class
    return cluster.storage_classes.get(name or "", "") if name else ""


def _gaps(args: StackValidationArgs) -> Found:
    resources = list(args.resources)
    cluster = _Cluster(resources)
    for resource in resources:
        if not resource.resource_type.startswith("kubernetes:") or resource.resource_type == HELM_RELEASE:
            continue
        kind = kind_of(resource.resource_type)
        group = _group(resource.props, resource.resource_type)
        rendered = resource.parent is not None and resource.parent.resource_type == HELM_RELEASE
        for message, _ in _volumes(resource, cluster):
            yield message, resource.urn
        if kind == "Ingress":
            class_name = get(resource.props, "spec", "ingressClassName")
            if class_name and str(class_name) not in cluster.ingress_classes:
                yield f"{_label(resource)}: no controller in the plan serves IngressClass {class_name}", resource.urn
            continue
        row = controller_for(kind, group)
        if row is not None:
            providers = cluster.providers(row.charts, row.addons, row.addon_settings)
            if not providers:
                yield f"{_label(resource)} needs {row.what}, which the plan does not install", resource.urn
                continue
            providers = providers + cluster.providers(row.crd_charts)
        elif group and "." in group and not group.endswith(".k8s.io") and kind != CRD:
            providers = cluster.crd_groups.get(group, [])
            if not providers:
                yield f"{_label(resource)}: nothing in the plan installs the CRD of {group}", resource.urn
                continue
        else:
            continue
        if rendered or kind in ("HorizontalPodAutoscaler", "NetworkPolicy"):
            continue  # a chart's own objects come with it; built-in kinds need no CRD first
        before = {r.urn for r in _ancestors(resource)}
        if not any(p.urn in before for p in providers):
            names = ", ".join(sorted(p.name for p in providers))
            yield f"{_label(resource)} is not created after {names}, which installs its CRD", resource.urn


CONTROLLERS_PRESENT = stack_rule(
    "objects-have-controllers",
    "Every object that something in the cluster must act on has it in the plan: HPA -> metrics-server, "
    "NetworkPolicy -> an enforcing network plugin, volumes -> the CSI driver of their provisioner, "
    "cert-manager / External Secrets / Prometheus operator / Argo Rollouts / Kong / ECK / Istio resources "
    "-> their operator, an Ingress class -> its controller, any other custom resource -> whatever installs "
    "its CRD; custom resources are created after the release that installs their CRDs.",
    Severity.HIGH,
    "Install the controller (a row of policies/rules/readiness.py's CONTROLLERS names it) and make the "
    "object depend on its release.",
    _gaps,
)

POLICIES = (CONTROLLERS_PRESENT,)
