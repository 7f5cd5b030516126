"""The blue-green rollout of a service, as data: the ``AnalysisTemplate`` that measures a colour's error
rate in Prometheus, and the Argo Rollouts ``Rollout`` that runs it before and after promotion (pure
functions; ``components/service.py`` makes the objects).

A new image starts as the *preview* colour at full size behind ``<name>-preview``; a failing analysis
aborts the rollout: before promotion the active Service never moves; after it, the active Service goes
back to the previous colour, still running for ``scaleDownDelaySeconds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from infra.config.services import ServicesConfig

ROLLOUTS_API = "argoproj.io/v1alpha1"


def analysis_template_name(svc: str) -> str:
    return f"{svc}-error-rate"


def analysis_spec(
    rollouts: ServicesConfig, prometheus_address: pulumi.Input[str], query: pulumi.Input[str]
) -> dict[str, Any]:
    """The error rate of the Service named by the ``service`` argument, ``count`` times every
    ``interval``: at most ``failureLimit`` measurements above ``max_error_rate``."""
    analysis = rollouts.analysis
    return {
        "args": [{"name": "service"}],
        "metrics": [
            {
                "name": "error-rate",
                "interval": f"{analysis.interval_seconds}s",
                "count": analysis.count,
                "failureLimit": analysis.failure_limit,
                "successCondition": f"len(result) > 0 && result[0] <= {analysis.max_error_rate}",
                "provider": {"prometheus": {"address": prometheus_address, "query": query}},
            }
        ],
    }


def rollout_spec(
    svc: str,
    rollouts: ServicesConfig,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    pod_spec: Mapping[str, Any],
) -> dict[str, Any]:
    """Blue-green between the Services ``<svc>`` (active) and ``<svc>-preview``, the analysis before
    promotion on the preview and after it on the active one; no replicas (the autoscaler owns them)."""
    template_name = analysis_template_name(svc)
    return {
        # No replicas: the HorizontalPodAutoscaler owns the count.
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": dict(selector)},
        "progressDeadlineSeconds": 600,
        "progressDeadlineAbort": True,  # a colour that never becomes ready is rolled back too
        "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        "strategy": {
            "blueGreen": {
                "activeService": svc,
                "previewService": f"{svc}-preview",
                "autoPromotionEnabled": rollouts.auto_promotion,
                "scaleDownDelaySeconds": rollouts.scale_down_delay_seconds,
                "abortScaleDownDelaySeconds": 30,
                "prePromotionAnalysis": {
                    "templates": [{"templateName": template_name}],
                    "args": [{"name": "service", "value": f"{svc}-preview"}],
                },
                "postPromotionAnalysis": {
                    "templates": [{"templateName": template_name}],
                    "args": [{"name": "service", "value": svc}],
                },
            }
        },
    }
