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


def exception_for(chart: str, rule: str, kind: str, name: str, message: str) -> RuleException | None:
    return next((e for e in EXCEPTIONS if e.covers(chart, rule, kind, name, message)), None)
