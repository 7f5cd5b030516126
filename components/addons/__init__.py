"""Add-ons installed from Helm charts: one module per chart, each with its pin, its typed settings and
the values keys read in the chart, and a component built on :class:`components.addons.base.HelmAddOn`."""
