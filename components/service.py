"""One service of the platform, deployed blue-green with automatic rollback, hardened and autoscaled.

Every service (the system's user service, data-processing workers and analytics, and any later one) is
this component with different Args; the differences are configuration. It creates:

- its image registry: an ECR repository (scan on push, immutable tags, encrypted with its own KMS key
  with rotation) and a lifecycle policy;
- its identity: a ServiceAccount bound to an IAM role (IRSA) trusted by exactly that service account and
  holding only the statements it is given (none: the role has no permissions);
- the workload: an Argo Rollouts ``Rollout`` (argoproj.io/v1alpha1) with the blueGreen strategy. A new
  image starts as the *preview* colour at full size behind ``<name>-preview``; an ``AnalysisTemplate``
  measures its error rate in Prometheus before promotion and again after it. A failing analysis aborts
  the rollout: before promotion the active Service never moves; after it, the active Service goes back
  to the previous colour, still running for ``scaleDownDelaySeconds``. Promotion is automatic or waits
  for a manual ``kubectl argo rollouts promote`` (config: prod waits);
- the active Service ``<name>`` (what the gateway routes to) and the preview Service ``<name>-preview``;
- a HorizontalPodAutoscaler (autoscaling/v2) on CPU and memory targeting the Rollout, a
  PodDisruptionBudget (policy/v1);
- NetworkPolicies (default deny, then only what it needs) and the pod template: see
  ``components/service_objects.py``; the Rollout's and the analysis' specs: ``components/service_rollout.py``;
- a ServiceMonitor (monitoring.coreos.com/v1) for its ``/metrics``.

What it is given: ``ServiceDeploymentArgs`` (``components/service_args.py``, re-exported here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.addons.reloader import reload_annotations
from components.parts import besides_crds, crds_for, depends_on_of, kms_key
from components.service_args import EgressTarget, SecretEnv, ServiceDeploymentArgs, TokenSigner
from components.service_objects import (
    NAME_LABEL,
    ROLLOUT_HASH_LABEL,
    error_rate_query,
    image,
    lifecycle_policy,
    network_policies,
    pod_spec,
    utilization,
)
from components.service_rollout import ROLLOUTS_API, analysis_spec, analysis_template_name, rollout_spec
from infra import iam

__all__ = [
    "EgressTarget",
    "SecretEnv",
    "ServiceDeployment",
    "ServiceDeploymentArgs",
    "TokenSigner",
    "error_rate_query",
    "image",
]

MONITORING_API = "monitoring.coreos.com/v1"
METRICS_PATH = "/metrics"


class ServiceDeployment(pulumi.ComponentResource):
    name: str
    namespace: pulumi.Output[str]
    active_service: pulumi.Output[str]
    preview_service: pulumi.Output[str]
    port: int | None
    repository_url: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    image: pulumi.Output[str]

    def __init__(self, name: str, args: ServiceDeploymentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:service:ServiceDeployment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protection.protect)
        # What its objects wait for (opts.depends_on): every one, the namespace's guard rails; the Argo
        # Rollouts kinds, the chart with their CRDs (and its controller); the ServiceMonitor, the Prometheus
        # Operator's CRDs; the Rollout also what its first analysis queries (args.analysis_after).
        after = depends_on_of(opts)
        rails = besides_crds(after)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=rails)
        rollouts_opts = pulumi.ResourceOptions.merge(
            k8s_opts, pulumi.ResourceOptions(depends_on=crds_for(after, ROLLOUTS_API))
        )
        monitor_opts = pulumi.ResourceOptions.merge(
            k8s_opts, pulumi.ResourceOptions(depends_on=crds_for(after, MONITORING_API))
        )
        spec = args.spec
        svc = args.name
        labels = {
            NAME_LABEL: svc,
            "app.kubernetes.io/part-of": "platform",
            "app.kubernetes.io/component": "web" if args.port is not None else "worker",
            "app.kubernetes.io/managed-by": "pulumi",
            "platform/runtime": spec.runtime,
        }
        selector = {NAME_LABEL: svc}

        def meta(object_name: str, extra: Mapping[str, str] | None = None) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(
                name=object_name, namespace=args.namespace, labels={**labels, **(extra or {})}
            )

        # -- image registry ---------------------------------------------------------------------
        key = kms_key(f"{name}-ecr", f"ECR images of {svc}", iam.key_policy(args.aws), keep)
        repository = aws.ecr.Repository(
            f"{name}-ecr",
            name=args.ecr_repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=key.arn)
            ],
            force_delete=False,
            opts=keep,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-ecr",
            repository=repository.name,
            policy=json.dumps(lifecycle_policy(args.keep_images), sort_keys=True),
            opts=child,
        )
        repository_url: pulumi.Output[str] = (
            pulumi.Output.from_input(spec.image.repository) if spec.image.repository else repository.repository_url
        )
        reference = spec.image.reference if args.image_reference is None else args.image_reference
        pinned = pulumi.Output.all(repository_url, reference).apply(lambda ra: image(ra[0], ra[1]))

        # -- identity (IRSA) ----------------------------------------------------------------------
        role = aws.iam.Role(
            f"{name}-irsa",
            name=args.role_name,
            description=pulumi.Output.concat(svc, " in ", args.namespace, ": only the AWS permissions it needs"),
            assume_role_policy=iam.irsa_assume_role(
                args.identity.oidc_provider_arn, args.identity.oidc_issuer_url, args.namespace, svc
            ),
            opts=child,
        )
        permissions = args.aws_permissions
        if permissions:
            aws.iam.RolePolicy(f"{name}-irsa", role=role.id, policy=iam.document(*permissions), opts=child)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=svc,
                namespace=args.namespace,
                labels=labels,
                annotations={"eks.amazonaws.com/role-arn": role.arn},
            ),
            # The pods do not call the Kubernetes API; the IRSA token is projected by EKS separately.
            automount_service_account_token=False,
            opts=k8s_opts,
        )

        # -- Services: active (what the gateway routes to) and preview (the new colour) -----------
        service_ports = []
        if args.port is not None:
            service_ports.append(k8s.core.v1.ServicePortArgs(name="http", port=args.port, target_port="http"))
        if args.metrics_port is not None and args.metrics_port != args.port:
            service_ports.append(
                k8s.core.v1.ServicePortArgs(name="metrics", port=args.metrics_port, target_port="metrics")
            )
        # Argo Rollouts adds the colour's pod-template hash to both selectors; Pulumi leaves them be.
        colour_owned = pulumi.ResourceOptions(ignore_changes=["spec.selector"])
        active = k8s.core.v1.Service(
            f"{name}-active",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=svc,
                namespace=args.namespace,
                labels={**labels, "platform/colour": "active"},
                annotations=dict(args.service_annotations) or None,
            ),
            spec=k8s.core.v1.ServiceSpecArgs(type="ClusterIP", selector=selector, ports=service_ports),
            opts=pulumi.ResourceOptions.merge(k8s_opts, colour_owned),
        )
        preview = k8s.core.v1.Service(
            f"{name}-preview",
            metadata=meta(f"{svc}-preview", {"platform/colour": "preview"}),
            spec=k8s.core.v1.ServiceSpecArgs(type="ClusterIP", selector=selector, ports=service_ports),
            opts=pulumi.ResourceOptions.merge(k8s_opts, colour_owned),
        )

        # -- analysis -----------------------------------------------------------------------------
        analysis = args.rollouts.analysis
        query = pulumi.Output.from_input(args.namespace).apply(
            lambda ns: error_rate_query(ns, analysis, spec.error_metric, spec.error_selector)
        )
        template = k8s.apiextensions.CustomResource(
            f"{name}-analysis",
            api_version=ROLLOUTS_API,
            kind="AnalysisTemplate",
            metadata=meta(analysis_template_name(svc)),
            spec=analysis_spec(args.rollouts, args.prometheus_address, query),
            opts=rollouts_opts,
        )

        # -- the workload -------------------------------------------------------------------------
        # Restarted in place by Reloader when a Secret it reads changes (a rotated credential), through
        # restartAt: pods evicted one at a time under the PodDisruptionBudget, no new blue-green revision.
        secrets = [e.secret for e in args.secret_env]
        rollout_meta = meta(svc)
        if secrets:
            rollout_meta = k8s.meta.v1.ObjectMetaArgs(
                name=svc,
                namespace=args.namespace,
                labels=labels,
                annotations=pulumi.Output.all(*secrets).apply(lambda names: reload_annotations(list(names))),
            )
        rollout = k8s.apiextensions.CustomResource(
            f"{name}-rollout",
            api_version=ROLLOUTS_API,
            kind="Rollout",
            metadata=rollout_meta,
            spec=rollout_spec(svc, args.rollouts, labels, selector, pod_spec(args, svc, pinned)),
            opts=pulumi.ResourceOptions.merge(
                rollouts_opts,
                pulumi.ResourceOptions(depends_on=[account, active, preview, template, *args.analysis_after]),
            ),
        )

        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=meta(svc),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version=ROLLOUTS_API, kind="Rollout", name=svc
                ),
                min_replicas=spec.scaling.min_replicas,
                max_replicas=spec.scaling.max_replicas,
                metrics=[
                    utilization("cpu", spec.scaling.cpu_utilization),
                    utilization("memory", spec.scaling.memory_utilization),
                ],
                behavior=k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
                    scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(stabilization_window_seconds=300)
                ),
            ),
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[rollout])),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=meta(svc),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                unhealthy_pod_eviction_policy="AlwaysAllow",  # a crash-looping pod never blocks a drain
            ),
            opts=k8s_opts,
        )
        network_policies(name, args, svc, labels, selector, k8s_opts)
        k8s.apiextensions.CustomResource(
            f"{name}-monitor",
            api_version=MONITORING_API,
            kind="ServiceMonitor",
            metadata=meta(svc),
            spec={
                "selector": {"matchLabels": selector},
                "namespaceSelector": {"matchNames": [args.namespace]},
                "endpoints": [{"port": args.metrics_port_name, "path": METRICS_PATH, "interval": "30s"}],
                # The colour of each series: the analysis and dashboards can tell blue from green.
                "podTargetLabels": [ROLLOUT_HASH_LABEL],
            },
            opts=pulumi.ResourceOptions.merge(monitor_opts, pulumi.ResourceOptions(depends_on=[active, preview])),
        )

        self.name = svc
        self.namespace = pulumi.Output.from_input(args.namespace)
        self.active_service = active.metadata.name
        self.preview_service = preview.metadata.name
        self.port = args.port
        self.repository_url = repository.repository_url
        self.role_arn = role.arn
        self.image = pinned
        self.register_outputs(
            {
                "active_service": self.active_service,
                "preview_service": self.preview_service,
                "repository_url": self.repository_url,
                "role_arn": self.role_arn,
                "image": self.image,
            }
        )
