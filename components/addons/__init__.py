"""Add-ons installed from Helm charts: one module per chart, each with its pin, its typed settings and
the values keys read in the chart, and a component built on :class:`components.addons.base.HelmAddOn`."""

from components.addons import (
    argo_rollouts,
    cert_manager,
    cloudwatch_exporter,
    cluster_autoscaler,
    eck_operator,
    external_secrets,
    fluent_bit,
    kong,
    kube_prometheus_stack,
    metrics_server,
    nginx_ingress,
    oauth2_proxy,
    prometheus_operator_crds,
)

# isort: split
from components.addons import reloader

# isort: split
from components.addons import istio_base, istio_cni, istio_istiod, istio_ztunnel
from components.addons.base import ChartPin

# Every chart the platform installs, pinned in its add-on's module.
PINS: tuple[ChartPin, ...] = (
    cluster_autoscaler.PIN,
    metrics_server.PIN,
    cert_manager.PIN,
    external_secrets.PIN,
    argo_rollouts.PIN,
    kube_prometheus_stack.PIN,
    nginx_ingress.PIN,
    kong.PIN,
    oauth2_proxy.PIN,
    prometheus_operator_crds.PIN,
    cloudwatch_exporter.PIN,
    eck_operator.PIN,
    fluent_bit.PIN,
    reloader.PIN,
    istio_base.PIN,
    istio_istiod.PIN,
    istio_cni.PIN,
    istio_ztunnel.PIN,
)
