"""NGINX's access to the namespaces it serves that other components make (the gateway's, the consoles'):
in each, a Role with what its informers watch there (Secrets included) bound to its service account, made
once the namespace exists. With these and its own namespace's Role (``components/addons/nginx_ingress.py``)
the internet-facing controller reads Secrets in the namespaces whose Ingresses it serves, and nowhere else.

Until a served namespace's Role exists, NGINX's informers there are refused and retry, and the controller
reports not ready: on a first deploy the namespaces (and so these Roles) come minutes before NGINX, which
waits for its certificate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.addons.nginx_ingress import WATCH_RULES, watch_access


@dataclass(frozen=True)
class IngressAccessArgs:
    kubernetes_provider: k8s.Provider
    release: str  # NGINX's release: its service account's name follows from it
    controller_namespace: str  # where NGINX runs
    namespaces: Mapping[str, pulumi.Resource]  # each served namespace -> what makes it


class IngressAccess(pulumi.ComponentResource):
    """``roles``: namespace -> its Role and RoleBinding, for tests."""

    roles: dict[str, list[pulumi.Resource]]

    def __init__(self, name: str, args: IngressAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:ingress:IngressAccess", name, None, opts)
        self.roles = {}
        for namespace, maker in sorted(args.namespaces.items()):
            self.roles[namespace] = watch_access(
                f"{name}-{namespace}",
                namespace,
                args.release,
                args.controller_namespace,
                WATCH_RULES,
                pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=[maker]),
            )
        self.register_outputs({"namespaces": sorted(args.namespaces)})
