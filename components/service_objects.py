"""The objects of a ServiceDeployment that are pure data: its pod template and its NetworkPolicies.

The pod: requests and limits from config (validated against the system's per-pod range), liveness,
readiness and startup probes on ``/health`` (HTTP on its port; workers serve ``/health`` and
``/metrics`` on a small metrics port), spread across zones, the security context of
``infra.k8s_security``, a writable ``/tmp`` emptyDir, secrets only by Secret name.

The NetworkPolicies: a default deny (ingress and egress) for the service's pods, then only ingress
from the gateway's pods on its port, ingress from Prometheus on its metrics port, egress to cluster
DNS, egress to the data subnets on the ports of the datastores it uses, and to the AWS APIs on 443
when it has AWS permissions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import PeerPods
from components.parts import kubelet_probes_spec
from infra.k8s_security import container_security_context, pod_security_context, tmp_mount, tmp_volume

if TYPE_CHECKING:
    from components.service_args import ServiceDeploymentArgs
    from infra.config.services import AnalysisConfig

NAME_LABEL = "app.kubernetes.io/name"
HEALTH_PATH = "/health"
ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"
ROLLOUT_HASH_LABEL = "rollouts-pod-template-hash"  # Argo's label per colour (ReplicaSet)
# Startup and readiness probes: every PROBE_PERIOD s; a pod has STARTUP_FAILURES periods to start.
PROBE_PERIOD, STARTUP_FAILURES = 5, 24


def pod_spec(args: ServiceDeploymentArgs, svc: str, pinned: pulumi.Output[str]) -> dict[str, Any]:
    """The pod template's spec: one hardened container, probes on /health, spread across zones."""
    ports = []
    if args.port is not None:
        ports.append({"name": "http", "containerPort": args.port, "protocol": "TCP"})
    if args.metrics_port is not None and args.metrics_port != args.port:
        ports.append({"name": "metrics", "containerPort": args.metrics_port, "protocol": "TCP"})
    env: list[dict[str, Any]] = [{"name": "SERVICE_NAME", "value": svc}]
    if args.port is not None:
        env.append({"name": "PORT", "value": str(args.port)})
    env += [{"name": k, "value": v} for k, v in sorted(args.env.items())]
    env += [
        {"name": s.env, "valueFrom": {"secretKeyRef": {"name": s.secret, "key": s.key, "optional": False}}}
        for s in args.secret_env
    ]
    probe = {"httpGet": {"path": HEALTH_PATH, "port": args.probe_port}}
    container: dict[str, Any] = {
        "name": svc,
        "image": pinned,
        "imagePullPolicy": "IfNotPresent",
        "ports": ports,
        "env": env,
        "resources": {
            "requests": {"cpu": args.resources.requests.cpu, "memory": args.resources.requests.memory},
            "limits": {"cpu": args.resources.limits.cpu, "memory": args.resources.limits.memory},
        },
        # Up to 2 minutes to start; then restarted after 30 s unhealthy, out of rotation after 15 s.
        "startupProbe": {
            **probe,
            "periodSeconds": PROBE_PERIOD,
            "timeoutSeconds": 2,
            "failureThreshold": STARTUP_FAILURES,
        },
        "livenessProbe": {**probe, "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3},
        "readinessProbe": {**probe, "periodSeconds": PROBE_PERIOD, "timeoutSeconds": 2, "failureThreshold": 3},
        "securityContext": container_security_context(),
        "volumeMounts": [tmp_mount()],
    }
    if args.spec.command:
        container["command"] = list(args.spec.command)
    if args.spec.container_args:
        container["args"] = list(args.spec.container_args)
    colour = {"matchLabels": {NAME_LABEL: svc}}
    return {
        "serviceAccountName": svc,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": args.spec.termination_grace_period_seconds,
        "securityContext": pod_security_context(),
        "containers": [container],
        "volumes": [tmp_volume()],
        # Each colour spread on its own (its hash), across zones strictly and nodes when possible.
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": ZONE_KEY,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": colour,
                "matchLabelKeys": [ROLLOUT_HASH_LABEL],
            },
            {
                "maxSkew": 1,
                "topologyKey": HOST_KEY,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": colour,
                "matchLabelKeys": [ROLLOUT_HASH_LABEL],
            },
        ],
    }


def network_policies(
    name: str,
    args: ServiceDeploymentArgs,
    svc: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> None:
    pods = k8s.meta.v1.LabelSelectorArgs(match_labels=dict(selector))

    def policy(suffix: str, spec: k8s.networking.v1.NetworkPolicySpecArgs) -> None:
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{suffix}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{svc}-{suffix}", namespace=args.namespace, labels=labels),
            spec=spec,
            opts=opts,
        )

    def peer(pods_in: PeerPods) -> k8s.networking.v1.NetworkPolicyPeerArgs:
        return k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                match_labels={"kubernetes.io/metadata.name": pods_in.namespace}
            ),
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pods_in.pod_labels)),
        )

    def tcp(port: pulumi.Input[int]) -> k8s.networking.v1.NetworkPolicyPortArgs:
        return k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port)

    def meshed(port: pulumi.Input[int]) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
        """``port``, and the HBONE port a meshed peer's tunnel arrives on."""
        return [tcp(port), *([tcp(args.mesh.hbone_port)] if args.mesh is not None else [])]

    # Everything is denied to and from the service's pods unless a policy below allows it.
    policy(
        "default-deny",
        k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=pods, policy_types=["Ingress", "Egress"]),
    )
    if args.gateway is not None and args.port is not None:
        policy(
            "from-gateway",
            k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=pods,
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[peer(args.gateway)], ports=meshed(args.port))
                ],
            ),
        )
    metrics_port = args.metrics_port if args.metrics_port is not None else args.port
    assert metrics_port is not None
    policy(
        "from-prometheus",
        k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=pods,
            policy_types=["Ingress"],
            ingress=[
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[peer(args.scrapers)], ports=meshed(metrics_port))
            ],
        ),
    )
    probe_port = args.port if args.port is not None else metrics_port  # the number behind args.probe_port
    if args.mesh is not None:  # in the mesh, the kubelet's probes arrive from ztunnel's link-local address
        policy("from-kubelet-probes", kubelet_probes_spec(pods, args.mesh.probe_source_cidr, [tcp(probe_port)]))
    policy(
        "to-dns",
        k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=pods,
            policy_types=["Egress"],
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[peer(args.dns)],
                    ports=[
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=53),
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=53),
                    ],
                )
            ],
        ),
    )

    def egress_to(suffix: str, cidrs: Sequence[str], port: pulumi.Input[int]) -> None:
        policy(
            f"to-{suffix}",
            k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=pods,
                policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
                            for cidr in cidrs
                        ],
                        ports=[tcp(port)],
                    )
                ],
            ),
        )

    for target in args.datastore_egress:
        egress_to(target.name, target.cidrs, target.port)
    if args.aws_permissions:
        egress_to("aws-apis", args.aws_api_cidrs, 443)


def image(repository: str, reference: str) -> str:
    """``repo@sha256:...`` for a digest, ``repo:tag`` for a tag."""
    return f"{repository}@{reference}" if reference.startswith("sha256:") else f"{repository}:{reference}"


def error_rate_query(namespace: str, spec: AnalysisConfig, error_metric: str, error_selector: str) -> str:
    """Share of the service's requests (or tasks) that failed, over a window of two intervals (at
    least 2 minutes, four scrapes). No errors is 0, not "no data"; no traffic at all is no data, which
    fails the measurement: an unexercised colour is never promoted."""
    window = f"{max(120, 2 * spec.interval_seconds)}s"
    scope = f'namespace="{namespace}",service="{{{{args.service}}}}"'
    errors = f"sum(rate({error_metric}{{{scope},{error_selector}}}[{window}]))"
    total = f"sum(rate({error_metric}{{{scope}}}[{window}]))"
    return f"({errors} or vector(0)) / {total}"


def utilization(resource: str, percent: int) -> k8s.autoscaling.v2.MetricSpecArgs:
    return k8s.autoscaling.v2.MetricSpecArgs(
        type="Resource",
        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
            name=resource,
            target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=percent),
        ),
    )


def lifecycle_policy(keep_images: int) -> dict[str, Any]:
    """Untagged layers go after 7 days; of the tagged images the newest ``keep_images`` stay (enough
    for both colours and a long rollback history)."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images after 7 days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_images} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }
