"""Fluent Bit (fluent/helm-charts, chart ``fluent-bit``): the log shipper on every node, a DaemonSet in the
logging namespace that tolerates every taint, so no node's containers go unlogged.

It tails the containers' log files (``/var/log/containers``, the CRI format of EKS's containerd, its
read positions kept in a database on the node so a restart neither loses nor repeats lines), adds
each line's Kubernetes metadata from the API server (namespace, pod, container, node, labels: the
chart's ClusterRole), and sends the records as JSON over HTTP to Logstash, which parses them. Its own
container's lines are not shipped (a shipper reading itself loops). Prometheus scrapes it (a
ServiceMonitor: the Prometheus Operator's CRDs come first, the caller's ``depends_on``). Keys read in
the chart's ``values.yaml`` at 0.58.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.addons.base import AddOnArgs, ChartPin, HelmAddOn, resources

PIN = ChartPin(
    chart="fluent-bit",
    version="0.58.1",
    repository="https://fluent.github.io/helm-charts",
    app_version="5.1.1",
    known_keys=frozenset(
        {
            "kind",
            "tolerations",
            "priorityClassName",
            "resources",
            "securityContext",
            "testFramework.enabled",
            "serviceMonitor.enabled",
            "extraVolumes",
            "extraVolumeMounts",
            "config.inputs",
            "config.filters",
            "config.outputs",
        }
    ),
    free_form=frozenset({"tolerations", "resources", "securityContext", "extraVolumes", "extraVolumeMounts"}),
)
RELEASE = "fluent-bit"
# Where the tail input keeps its read positions, on the node (survives the pod).
STATE_DIR = "/var/lib/fluent-bit"


def inputs() -> str:
    return "\n".join(
        [
            "[INPUT]",
            "    Name tail",
            "    Path /var/log/containers/*.log",
            f"    Exclude_Path /var/log/containers/{RELEASE}-*.log",
            "    multiline.parser cri, docker",
            "    Tag kube.*",
            f"    DB {STATE_DIR}/tail-containers.db",
            "    Mem_Buf_Limit 50MB",
            "    Skip_Long_Lines On",
            "    Refresh_Interval 10",
            "",
        ]
    )


def filters() -> str:
    # The raw line stays in "log": Logstash parses it (JSON services, NGINX and Kong access logs).
    return "\n".join(
        [
            "[FILTER]",
            "    Name kubernetes",
            "    Match kube.*",
            "    Merge_Log Off",
            "    Keep_Log On",
            "    Labels On",
            "    Annotations Off",
            "    K8S-Logging.Exclude On",
            "",
        ]
    )


def outputs(host: str, port: int) -> str:
    return "\n".join(
        [
            "[OUTPUT]",
            "    Name http",
            "    Match kube.*",
            f"    Host {host}",
            f"    Port {port}",
            "    URI /",
            "    Format json",
            "    Json_Date_Key timestamp",
            "    Json_Date_Format iso8601",
            "    Retry_Limit False",
            "",
        ]
    )


@dataclass(frozen=True)
class FluentBitSettings:
    logstash_host: str  # Logstash's HTTP input Service (DNS name inside the cluster)
    logstash_port: int

    def values(self) -> dict[str, Any]:
        return {
            "kind": "DaemonSet",
            # Every node, whatever its taints (system pools, GPU pools, nodes being drained).
            "tolerations": [{"operator": "Exists"}],
            "priorityClassName": "system-node-critical",
            "resources": resources("100m", "128Mi", "1000m", "256Mi"),
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "testFramework": {"enabled": False},  # a helm-test pod on an unpinned busybox image
            "serviceMonitor": {"enabled": True},
            "extraVolumes": [{"name": "state", "hostPath": {"path": STATE_DIR, "type": "DirectoryOrCreate"}}],
            "extraVolumeMounts": [{"name": "state", "mountPath": STATE_DIR}],
            "config": {
                "inputs": inputs(),
                "filters": filters(),
                "outputs": outputs(self.logstash_host, self.logstash_port),
            },
        }


@dataclass(frozen=True)
class FluentBitArgs(AddOnArgs):
    namespace: pulumi.Input[str]  # made by its owner (the logging component)
    settings: FluentBitSettings


class FluentBit(HelmAddOn):
    PIN = PIN

    def __init__(self, name: str, args: FluentBitArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)
        self._use_namespace(args.namespace)
        self._install(name, RELEASE, args.settings.values(), timeout=900)
        self._publish()
