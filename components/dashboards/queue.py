"""The queue: the Celery workers (tasks by state, failures, replicas and CPU against the HPA) and the
broker, Amazon MQ for RabbitMQ (each queue's depth and consumers, connections) from its CloudWatch
metrics as the CloudWatch exporter exports them (5-minute periods)."""

from __future__ import annotations

from collections.abc import Mapping

from components.alerts import promql as q
from components.dashboards import queries as pq
from components.dashboards.grafana import Board, Query, Section, board, stat_panel, timeseries_panel
from infra.config.services import ServiceConfig

UID = "platform-queue"


def broker_matcher(broker: str) -> q.Matcher:
    """The broker's CloudWatch dimension: its name (a cluster's nodes add -1, -2, ...)."""
    return q.regex("dimension_Broker", f"{broker}(-[0-9]+)?")


def queue_board(
    workers: Mapping[str, ServiceConfig], namespace: str, broker: str, datasource_uid: str, folder: str
) -> Board:
    """``workers``: the services without a port (the Celery workers); ``broker``: the broker's name."""
    names = sorted(workers)
    worker_panels = []
    for name in names:
        svc = workers[name]
        worker_panels += [
            timeseries_panel(
                f"{name}: tasks per second, by state",
                Query(pq.request_rate(namespace, name, svc, by=("state",)), "{{state}}"),
                unit="ops",
                width=8,
            ),
            timeseries_panel(
                f"{name}: failed share",
                Query(pq.error_ratio(namespace, name, svc), "failed"),
                unit="percentunit",
                width=8,
                minimum=0,
                thresholds=((0.01, "orange"), (0.05, "red")),
                description=f"{svc.error_metric} with {svc.error_selector}",
            ),
            timeseries_panel(
                f"{name}: replicas and CPU",
                Query(pq.hpa("current", namespace, name), "replicas"),
                Query(pq.hpa("max", namespace, name), "maximum"),
                Query(pq.scale(pq.cpu_of_requests(namespace, name), 10), "CPU / requests x 10"),
                width=8,
            ),
        ]
    on_broker = broker_matcher(broker)

    def per_queue(metric: str) -> q.Expr:
        return pq.agg("max", pq.datastore("amazonmq-queues", metric, on_broker), ("dimension_Queue",))

    depth = pq.agg("sum", pq.datastore("amazonmq-queues", "MessageCount", on_broker))
    idle = q.compare(pq.datastore("amazonmq-queues", "ConsumerCount", on_broker), "==", q.number(0))
    broker_panels = (
        stat_panel(
            "Messages in the queues",
            Query(depth, "messages"),
            thresholds=((1000, "orange"),),
            description="the Celery backlog: every queue's depth, ready and unacknowledged",
        ),
        stat_panel(
            "Queues without a consumer",
            Query(q.or_zero(pq.agg("count", idle)), "queues"),
            thresholds=((1, "red"),),
            description="a queue nothing reads from: its tasks wait until a worker comes back",
        ),
        stat_panel(
            "Broker connections",
            Query(pq.agg("max", pq.datastore("amazonmq", "ConnectionCount", on_broker)), "connections"),
            width=12,
        ),
        timeseries_panel(
            "Depth, by queue",
            Query(per_queue("MessageCount"), "{{dimension_Queue}}"),
            description="a depth that only grows: the workers do not keep up (is their HPA at its maximum?)",
        ),
        timeseries_panel("Consumers, by queue", Query(per_queue("ConsumerCount"), "{{dimension_Queue}}")),
    )
    sections = [Section("Workers", tuple(worker_panels))] if worker_panels else []
    sections.append(Section("Broker (Amazon MQ for RabbitMQ, CloudWatch)", broker_panels))
    return board(
        uid=UID,
        title="Platform / Queue",
        description="Celery workers and the RabbitMQ broker: throughput, failures, backlog, consumers",
        tags=("platform", "queue"),
        sections=tuple(sections),
        datasource_uid=datasource_uid,
        folder=folder,
    )
