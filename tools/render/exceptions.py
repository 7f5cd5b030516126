"""The one place where a rule is relaxed for what a chart renders: each exception names the chart, the
rule it relaxes, the objects (kind and a name pattern) and the violation text it covers, and why.

An exception that matches nothing is reported by ``infra check --render`` (a stale entry hides the
next real finding), so this table stays as short as what the charts really need.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class RuleException:
    chart: str
    rule: str
    kind: str
    name: str  # fnmatch pattern over the object's name
    message: str  # fnmatch pattern over the violation's text
    reason: str

    def covers(self, chart: str, rule: str, kind: str, name: str, message: str) -> bool:
        return (
            self.chart == chart
            and self.rule == rule
            and self.kind == kind
            and fnmatchcase(name, self.name)
            and fnmatchcase(message, self.message)
        )


EXCEPTIONS: tuple[RuleException, ...] = (
    RuleException(
        "kube-prometheus-stack",
        "hardened-security-context",
        "DaemonSet",
        "*-prometheus-node-exporter",
        "*host*",
        "node-exporter reports the node itself: it reads the host's /proc, /sys and root filesystem and shares "
        "its network and PID namespaces by design (the monitoring namespace admits it at the privileged level)",
    ),
    RuleException(
        "kube-prometheus-stack",
        "hardened-security-context",
        "Deployment",
        "*-grafana",
        "container init-chown-data*",
        "grafana's init container chowns the data volume to grafana's user once; it must run as root with "
        "CHOWN to do so, and exits before grafana starts",
    ),
    RuleException(
        "kube-prometheus-stack",
        "workload-probes",
        "Job",
        "*-admission-*",
        "*",
        "the admission webhook's certificate Jobs run once to completion as Helm hooks; a probe has nothing to watch",
    ),
    RuleException(
        "cert-manager",
        "workload-probes",
        "Job",
        "*-startupapicheck",
        "*",
        "the start-up API check is a Helm hook Job that runs once to completion",
    ),
    RuleException(
        "kube-prometheus-stack",
        "hardened-security-context",
        "Deployment",
        "*-grafana",
        "container * has a writable root filesystem*",
        "grafana writes its plugins, sessions and the sidecars' provisioned files inside the container; a "
        "read-only root needs writable mounts for each (not yet set through grafana's values)",
    ),
)
EXCEPTIONS += (
    RuleException(
        "fluent-bit", "hardened-security-context", "DaemonSet", "fluent-bit", "volume * is a hostPath volume*",
        "Fluent Bit tails every pod's log files on its node (/var/log, the container runtime's logs) and keeps "
        "its read positions on the host, so a restarted pod neither loses nor repeats lines",
    ),
    RuleException(
        "fluent-bit", "hardened-security-context", "DaemonSet", "fluent-bit", "container fluent-bit may run as root*",
        "the node's log files belong to root (mode 0640): Fluent Bit reads them as root, with every capability "
        "dropped, no privilege escalation and a read-only root filesystem",
    ),
)  # fmt: skip
# Controllers whose charts define no liveness or readiness probe (leader-elected reconcilers that serve
# no traffic; Kubernetes restarts them when they exit): the probes rule is relaxed for them, by name.
_NO_PROBE_IN_CHART = (
    ("cert-manager", "Deployment", "cert-manager"),
    ("cert-manager", "Deployment", "cert-manager-cainjector"),
    ("cluster-autoscaler", "Deployment", "*-cluster-autoscaler"),
    ("external-secrets", "Deployment", "external-secrets-*"),  # the webhook and cert controller: liveness only
    ("nginx-ingress", "Deployment", "*-controller"),
    ("kube-prometheus-stack", "Deployment", "*-grafana"),
    ("eck-operator", "StatefulSet", "elastic-operator"),
)
EXCEPTIONS += tuple(
    RuleException(chart, "workload-probes", kind, name, "*",
                  "the chart at its pinned version defines no such probe for this container (a controller or "
                  "sidecar that serves no traffic; it is restarted when it exits)")
    for chart, kind, name in _NO_PROBE_IN_CHART
)  # fmt: skip

# Istio's node agents (1.30.3): the CNI agent writes the CNI configuration and plugin onto the node and
# enters every meshed pod's network namespace (host paths, root, NET_ADMIN and SYS_ADMIN); ztunnel enters
# them too, through the agent's socket on the host. The istio-system namespace admits them as privileged.
_ROOT_AND_CAPS = ("may run as root*", "runs as root*", "allows privilege escalation*", "adds capabilities*")
_ISTIO_NODE_AGENTS = (
    ("cni", "istio-cni-node", "install-cni", (*_ROOT_AND_CAPS, "has a writable root*")),  # it writes its config
    ("ztunnel", "ztunnel", "istio-proxy", _ROOT_AND_CAPS),
)
EXCEPTIONS += tuple(
    RuleException(chart, "hardened-security-context", "DaemonSet", name, message,
                  "Istio's ambient node agents rewire each meshed pod's network namespace from the node: root, "
                  "NET_ADMIN, SYS_ADMIN and NET_RAW, and host paths for the CNI files and the agents' socket")
    for chart, name, container, findings in _ISTIO_NODE_AGENTS
    for message in ("volume * is a hostPath volume*", *(f"container {container} {f}" for f in findings))
)  # fmt: skip
EXCEPTIONS += (
    RuleException("ztunnel", "hardened-security-context", "DaemonSet", "ztunnel",
                  "container istio-proxy runs without a seccomp*",
                  "the ztunnel chart at 1.30.3 has no seccompProfile setting (istiod's and the CNI agent's are set)"),
)  # fmt: skip
EXCEPTIONS += tuple(
    RuleException(chart, "workload-probes", kind, name, "container * has no livenessProbe",
                  "Istio's charts define a readiness probe only (istiod, the CNI agent, ztunnel); a pod that stops "
                  "being ready leaves the Service's endpoints, and the process exits on a fatal error")
    for chart, kind, name in (("istiod", "Deployment", "istiod"), ("cni", "DaemonSet", "istio-cni-node"),
                              ("ztunnel", "DaemonSet", "ztunnel"))
)  # fmt: skip


def exception_for(chart: str, rule: str, kind: str, name: str, message: str) -> RuleException | None:
    return next((e for e in EXCEPTIONS if e.covers(chart, rule, kind, name, message)), None)
