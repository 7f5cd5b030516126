"""The queue: the Celery workers (tasks by state, failures, replicas and CPU against the HPA) and the
broker, Amazon MQ for RabbitMQ (messages ready and unacknowledged, consumers, publish and ack rates,
connections) from its CloudWatch metrics as the CloudWatch exporter names them."""

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

    def mq(metric: str, statistic: str = "Average") -> q.Expr:
        return pq.agg("sum", pq.datastore("amazonmq", metric, on_broker, statistic))

    broker_panels = (
        stat_panel("Messages ready", Query(mq("MessageReadyCount"), "ready"), thresholds=((1000, "orange"),)),
        stat_panel("Unacknowledged", Query(mq("MessageUnacknowledgedCount"), "unacked")),
        stat_panel("Consumers", Query(mq("ConsumerCount"), "consumers"), base="red", thresholds=((1, "green"),)),
        stat_panel("Queues", Query(mq("QueueCount"), "queues")),
        timeseries_panel(
            "Messages in the broker",
            Query(mq("MessageCount"), "total"),
            Query(mq("MessageReadyCount"), "ready"),
            Query(mq("MessageUnacknowledgedCount"), "unacknowledged"),
            description="a ready count that only grows: the workers do not keep up (their HPA is at its maximum?)",
        ),
        timeseries_panel(
            "Publish and ack rates",
            Query(mq("PublishRate"), "published"),
            Query(mq("AckRate"), "acknowledged"),
            unit="ops",
        ),
        timeseries_panel("Connections", Query(mq("ConnectionCount"), "connections"), width=24, height=6),
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
