"""The rollout as data (``components/service_rollout.py``): the analysis gates the preview before
promotion and the active colour after it, with the configured limits; the autoscaler owns the count."""

from __future__ import annotations

from components.service_rollout import analysis_spec, analysis_template_name, rollout_spec
from tests.unit.service.support import ROLLOUTS


def test_the_analysis_runs_on_the_preview_before_promotion_and_on_the_active_colour_after() -> None:
    spec = rollout_spec("user-service", ROLLOUTS, {"a": "b"}, {"app": "user-service"}, {"containers": []})
    blue_green = spec["strategy"]["blueGreen"]
    assert (blue_green["activeService"], blue_green["previewService"]) == ("user-service", "user-service-preview")
    template = [{"templateName": analysis_template_name("user-service")}]
    assert blue_green["prePromotionAnalysis"] == {
        "templates": template,
        "args": [{"name": "service", "value": "user-service-preview"}],
    }
    assert blue_green["postPromotionAnalysis"] == {
        "templates": template,
        "args": [{"name": "service", "value": "user-service"}],
    }
    assert blue_green["autoPromotionEnabled"] is False and blue_green["scaleDownDelaySeconds"] == 900
    assert "replicas" not in spec and spec["progressDeadlineAbort"] is True


def test_the_analysis_fails_past_the_configured_error_rate() -> None:
    (metric,) = analysis_spec(ROLLOUTS, "http://prometheus:9090", "q")["metrics"]
    assert metric["successCondition"] == "len(result) > 0 && result[0] <= 0.01"
    assert (metric["interval"], metric["count"], metric["failureLimit"]) == ("60s", 5, 1)
    assert metric["provider"]["prometheus"] == {"address": "http://prometheus:9090", "query": "q"}
