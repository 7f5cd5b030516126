"""Alerts and SLOs as code: the catalogue of exported metrics (``metrics``), typed PromQL builders
(``promql``), the rules as data (``rules``) and the component that makes them PrometheusRules
(``component``)."""
