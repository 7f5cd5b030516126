"""Plan insights: what a plan costs, how long it takes, what a change does, when it must be upgraded.

Each module reads a plan in the ``pulumi stack export`` shape (``infra plan``'s ``plan.json`` or a real
export) and nothing else: ``cost`` (monthly on-demand cost from ``prices``), ``timing`` (the estimate of
``pulumi up`` and its critical paths), ``diff`` (two plans), ``lifecycle`` (EKS support dates, pins),
``graph`` (Mermaid), ``budget`` (the ``platform:budget`` check of ``infra check``).
"""
