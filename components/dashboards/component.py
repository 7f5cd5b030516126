"""Dashboards: the platform's Grafana dashboards as ConfigMaps that Grafana's dashboard sidecar loads.

One ConfigMap per dashboard in the namespace Monitoring publishes (``DashboardSink``), labelled with the
sidecar's label and value and annotated with the folder it is filed in, its one key ``<uid>.json`` the
dashboard's JSON model: the platform overview, one per configured service, the edge (when there is
one), the queue, the datastores and the SLOs' error budgets. The panels query the datasource whose uid
the sink names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.alerts.component import service_slos
from components.contracts import DashboardSink
from components.dashboards.datastores import DatastoreNames, datastores_board
from components.dashboards.edge import edge_board
from components.dashboards.grafana import Board
from components.dashboards.overview import overview_board
from components.dashboards.queue import queue_board
from components.dashboards.service import service_board
from components.dashboards.slos import slos_board
from components.parts import depends_on_of
from infra.config.alerts import AlertsConfig
from infra.config.services import ServiceConfig

FOLDER = "Platform"
CONFIGMAP_LIMIT = 1024 * 1024  # the API server refuses a ConfigMap over 1 MiB


def build_boards(
    services: Mapping[str, ServiceConfig],
    alerts: AlertsConfig,
    namespace: str,
    datastores: DatastoreNames,
    edge: bool,
    retention_days: int,
    datasource_uid: str,
) -> tuple[Board, ...]:
    """Every dashboard of the platform, in a stable order (a pure function of the config)."""
    workers = {n: s for n, s in services.items() if s.port is None}
    boards = [overview_board(services, namespace, edge, datasource_uid, FOLDER)]
    boards += [service_board(n, services[n], namespace, datasource_uid, FOLDER) for n in sorted(services)]
    if edge:
        boards.append(edge_board(datasource_uid, FOLDER))
    boards.append(queue_board(workers, namespace, datastores.rabbitmq, datasource_uid, FOLDER))
    boards.append(datastores_board(datastores, datasource_uid, FOLDER))
    slos = service_slos(alerts, services, namespace)
    boards.append(slos_board(slos, retention_days, datasource_uid, FOLDER))
    return tuple(boards)


@dataclass(frozen=True)
class DashboardsArgs:
    services: Mapping[str, ServiceConfig]  # the enabled services
    alerts: AlertsConfig  # the objectives the SLO board shows
    service_namespace: pulumi.Input[str]  # where the services' series come from
    sink: DashboardSink  # where Grafana picks dashboards up (Monitoring's)
    datastores: DatastoreNames
    retention_days: int  # how much history Prometheus keeps (bounds the budget period shown)
    kubernetes_provider: k8s.Provider
    edge: bool  # Kong and NGINX are installed


class Dashboards(pulumi.ComponentResource):
    uids: list[str]

    def __init__(self, name: str, args: DashboardsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:dashboards:Dashboards", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider, depends_on=depends_on_of(opts))
        sink = args.sink

        def boards(namespace: str) -> tuple[Board, ...]:
            return build_boards(
                args.services,
                args.alerts,
                namespace,
                args.datastores,
                args.edge,
                args.retention_days,
                sink.datasource_uid,
            )

        # The uids do not depend on the namespace: build once with a placeholder to name the objects.
        planned = boards("-")
        built = pulumi.Output.from_input(args.service_namespace).apply(boards)
        for index, dashboard in enumerate(planned):
            document = built.apply(functools.partial(_document, index=index))
            k8s.core.v1.ConfigMap(
                f"{name}-{dashboard.uid}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{dashboard.uid}",
                    namespace=sink.namespace,
                    labels={sink.label: sink.label_value, "app.kubernetes.io/part-of": "platform-dashboards"},
                    annotations={sink.folder_annotation: dashboard.folder},
                ),
                data=document.apply(functools.partial(_data, uid=dashboard.uid)),
                opts=child,
            )
        self.uids = [b.uid for b in planned]
        self.register_outputs({"uids": self.uids})


def _document(boards: tuple[Board, ...], index: int) -> str:
    return boards[index].json()


def _data(text: str, uid: str) -> dict[str, str]:
    """The ConfigMap's one key; a dashboard too large for a ConfigMap stops the program."""
    size = len(text.encode())
    if size > CONFIGMAP_LIMIT:
        raise ValueError(f"dashboard {uid} is {size} bytes; a ConfigMap holds at most 1 MiB")
    return {f"{uid}.json": text}
