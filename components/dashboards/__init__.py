"""Grafana dashboards as code: built with grafana-foundation-sdk, delivered as ConfigMaps for Grafana's
dashboard sidecar (``component.py``)."""
