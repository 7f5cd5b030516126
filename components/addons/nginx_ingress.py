"""NGINX Inc's nginx-ingress (nginx/kubernetes-ingress, chart ``nginx-ingress``): the cluster's public
ingress, reached by the ALB on fixed NodePorts, balancing by least connections and accepting TLS 1.3
only. Not the community ingress-nginx: that one has no least-connections method and is out of
maintenance.

Watching named namespaces (``watch_namespaces``), the controller gets no cluster-wide access to Secrets:
the chart's ClusterRole (which reads every Secret, ConfigMap and Pod of the cluster) is not rendered, a
ClusterRole of the add-on's own holds only what is cluster-scoped (its IngressClass, the namespaces it
checks), and namespaced Roles grant the rest in each namespace it serves (:func:`served_namespace_access`
for the namespaces other components make; its own here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.addons.base import JOB, AddOnArgs, ChartPin, HelmAddOn

PIN = ChartPin(
    chart="nginx-ingress",
    version="2.6.4",
    repository="https://helm.nginx.com/stable",
    app_version="5.5.4",
    known_keys=frozenset(
        {
            "controller.kind",
            "controller.replicaCount",
            "controller.ingressClass.name",
            "controller.ingressClass.create",
            "controller.watchNamespace",
            "controller.watchSecretNamespace",
            "controller.config.entries",
            "controller.defaultTLS.secret",
            "controller.wildcardTLS.secret",
            "controller.healthStatus",
            "controller.healthStatusURI",
            "controller.enableLatencyMetrics",
            "controller.readOnlyRootFilesystem",
            "controller.podDisruptionBudget.enabled",
            "controller.podDisruptionBudget.minAvailable",
            "controller.topologySpreadConstraints",
            "controller.priorityClassName",
            "controller.telemetryReporting.enable",
            "controller.initContainerResources",
            "controller.resources.requests.cpu",
            "controller.resources.requests.memory",
            "controller.resources.limits.cpu",
            "controller.resources.limits.memory",
            "controller.service.type",
            "controller.service.externalTrafficPolicy",
            "controller.service.httpPort.nodePort",
            "controller.service.httpsPort.nodePort",
            "prometheus.create",
            "prometheus.port",
            "prometheus.service.create",
            "prometheus.serviceMonitor.create",
            "rbac.clusterrole.create",
        }
    ),
    free_form=frozenset(
        {"controller.config.entries", "controller.topologySpreadConstraints", "controller.initContainerResources"}
    ),
)
RELEASE = "nginx-ingress"
# TLS 1.3 only towards clients of NGINX (nginx's ssl_protocols syntax).
SSL_PROTOCOLS = "TLSv1.3"

# RBAC rules as (API groups, resources, verbs), read from the chart's ClusterRole and Role and the
# controller's calls at the pinned version.
Rule = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
READ = ("get", "list", "watch")
# Cluster-scoped, so a ClusterRole: the IngressClass it checks at start, the watched namespaces it checks
# exist. Nothing namespaced: no Secret, ConfigMap, Pod or Service anywhere.
CLUSTER_RULES: tuple[Rule, ...] = (
    (("networking.k8s.io",), ("ingressclasses",), ("get", "list")),
    (("",), ("namespaces",), ("get",)),
)
# In each namespace it serves: what its informers watch there (Ingresses, their Services, endpoints and
# Secrets, its custom resources), the Ingresses' status and events.
WATCH_RULES: tuple[Rule, ...] = (
    (("",), ("configmaps", "pods", "secrets", "services"), READ),
    (("discovery.k8s.io",), ("endpointslices",), READ),
    (("networking.k8s.io",), ("ingresses",), READ),
    (("networking.k8s.io",), ("ingresses/status",), ("update",)),
    (("",), ("events",), ("create", "patch", "list")),
    (
        ("k8s.nginx.org",),
        ("virtualservers", "virtualserverroutes", "globalconfigurations", "transportservers", "policies"),
        READ,
    ),
    (
        ("k8s.nginx.org",),
        ("virtualservers/status", "virtualserverroutes/status", "policies/status", "transportservers/status"),
        ("update",),
    ),
)
# In its own namespace besides (the chart's Role has its leases and ConfigMap): the headless Service it
# manages for itself, and its pod's owner, which it reads for that Service's selector.
OWN_RULES: tuple[Rule, ...] = (
    (("",), ("services",), ("create", "update", "patch", "delete")),
    (("apps",), ("replicasets", "daemonsets", "statefulsets"), ("get",)),
)


def full_name(release: str) -> str:
    """The chart's name for its objects and its service account (its ``fullname`` helper, no override)."""
    return release if PIN.chart in release else f"{release}-{PIN.chart}"


def policy_rules(rules: tuple[Rule, ...]) -> list[k8s.rbac.v1.PolicyRuleArgs]:
    return [k8s.rbac.v1.PolicyRuleArgs(api_groups=list(g), resources=list(r), verbs=list(v)) for g, r, v in rules]


def watch_access(
    resource_name: str,
    namespace: pulumi.Input[str],
    release: str,
    controller_namespace: pulumi.Input[str],
    rules: tuple[Rule, ...],
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """A Role in ``namespace`` with ``rules``, bound to the controller's service account."""
    name = f"{full_name(release)}-watch"
    role = k8s.rbac.v1.Role(
        f"{resource_name}-role",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        rules=policy_rules(rules),
        opts=opts,
    )
    binding = k8s.rbac.v1.RoleBinding(
        f"{resource_name}-binding",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=name),
        subjects=[
            k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=full_name(release), namespace=controller_namespace)
        ],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role])),
    )
    return [role, binding]


def zone_spread(labels: dict[str, str], max_skew: int = 1) -> list[dict[str, Any]]:
    """Spread pods over availability zones (soft: a lost zone must not block scheduling) and hosts."""
    return [
        {
            "maxSkew": max_skew,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]


@dataclass(frozen=True)
class NginxIngressSettings:
    release: str
    replicas: int
    min_available: int
    default_tls_secret: str  # "<namespace>/<name>": presented to the ALB (which sends no SNI)
    http_node_port: int
    https_node_port: int
    hsts_max_age_seconds: int
    ingress_class: str = "nginx"
    metrics_port: int = 9113
    service_monitor: bool = False  # only once the Prometheus Operator's CRDs are in the cluster
    # The namespaces whose Ingresses (and their Secrets) it serves, its own (the default certificate)
    # included; empty: every namespace. An internet-facing pod then watches no other namespace's Secrets.
    watch_namespaces: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        watched = ",".join(sorted(set(self.watch_namespaces)))
        return {
            # Watching named namespaces, its access comes from namespaced Roles (NginxIngress): no chart
            # ClusterRole, which would read every Secret of the cluster.
            **({"rbac": {"clusterrole": {"create": False}}} if watched else {}),
            "controller": {
                **({"watchNamespace": watched, "watchSecretNamespace": watched} if watched else {}),
                "kind": "deployment",
                "replicaCount": self.replicas,
                "ingressClass": {"name": self.ingress_class, "create": True},
                "config": {
                    # ConfigMap data: strings only.
                    "entries": {
                        "lb-method": "least_conn",
                        "ssl-protocols": SSL_PROTOCOLS,
                        "ssl-redirect": "true",
                        "redirect-to-https": "false",
                        "http-redirect-code": "301",
                        "hsts": "true",
                        "hsts-max-age": str(self.hsts_max_age_seconds),
                        "hsts-include-subdomains": "true",
                        "hsts-behind-proxy": "false",
                        "server-tokens": "false",
                    }
                },
                "defaultTLS": {"secret": self.default_tls_secret},
                "wildcardTLS": {"secret": self.default_tls_secret},
                "healthStatus": True,
                "healthStatusURI": "/nginx-health",
                "enableLatencyMetrics": True,
                "readOnlyRootFilesystem": True,
                "podDisruptionBudget": (
                    {"enabled": True, "minAvailable": self.min_available}
                    if self.min_available > 0
                    else {"enabled": False}
                ),
                "topologySpreadConstraints": zone_spread(
                    {"app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": self.release}
                ),
                "priorityClassName": "system-cluster-critical",
                # The controller reports usage data to the vendor unless told not to.
                "telemetryReporting": {"enable": False},
                "initContainerResources": JOB,
                "resources": {
                    "requests": {"cpu": "500m", "memory": "512Mi"},
                    "limits": {"cpu": "2000m", "memory": "2Gi"},
                },
                "service": {
                    "type": "NodePort",
                    "externalTrafficPolicy": "Local",
                    "httpPort": {"nodePort": self.http_node_port},
                    "httpsPort": {"nodePort": self.https_node_port},
                },
            },
            "prometheus": {
                "create": True,
                "port": self.metrics_port,
                "service": {"create": True},
                **({"serviceMonitor": {"create": True}} if self.service_monitor else {}),
            },
        }


@dataclass(frozen=True)
class NginxIngressArgs(AddOnArgs):
    namespace: pulumi.Input[str]  # made by its owner (the ingress component, with the TLS certificate)
    settings: NginxIngressSettings


class NginxIngress(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: NginxIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        settings = args.settings
        access = self._access(name, settings) if settings.watch_namespaces else []
        self._install(name, settings.release, settings.values(), depends_on=access, timeout=900)
        self.service_account = full_name(settings.release)
        self._publish()

    def _access(self, name: str, settings: NginxIngressSettings) -> list[pulumi.Resource]:
        """Its ClusterRole (cluster-scoped objects only) and its Role in its own namespace, before the
        release; the Roles in the other namespaces it serves are their namespaces' (served_namespace_access)."""
        account = full_name(settings.release)
        cluster_name = f"{account}-cluster-scope"
        cluster_role = k8s.rbac.v1.ClusterRole(
            f"{name}-cluster-scope",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=cluster_name),
            rules=policy_rules(CLUSTER_RULES),
            opts=self._opts(f"{name}-cluster-scope", cluster=True),
        )
        binding = k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-cluster-scope-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=cluster_name),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=cluster_name
            ),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=account, namespace=self.namespace)],
            opts=self._opts(f"{name}-cluster-scope-binding", cluster=True, depends_on=[cluster_role]),
        )
        own = watch_access(
            f"{name}-own",
            self.namespace,
            settings.release,
            self.namespace,
            WATCH_RULES + OWN_RULES,
            self._opts(f"{name}-own", cluster=True),
        )
        return [cluster_role, binding, *own]
