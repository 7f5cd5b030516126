"""``infra cost``: the monthly cost of a plan at list prices, per resource, per component and in total.

Prices come from ``tools.insights.prices`` (dated on-demand prices, and dated Spot prices for SPOT node
groups, for the regions it has); usage a plan cannot show
comes from its ``USAGE`` assumptions, printed with every estimate. A resource is one of three things:
priced (with how), free (AWS bills nothing for it by itself), or unpriced (no figure here: listed,
never counted as zero).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.insights import prices as p
from tools.insights.plans import Resource, components, custom, name

MONTH = p.HOURS_PER_MONTH


@dataclass(frozen=True)
class Line:
    urn: str
    type: str
    component: str
    monthly: float
    basis: str  # how the figure was reached


@dataclass(frozen=True)
class Unpriced:
    urn: str
    type: str
    component: str
    reason: str


@dataclass
class CostReport:
    stack: str
    region: str
    lines: list[Line] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    free: int = 0
    notes: list[str] = field(default_factory=list)  # stated zeros and other remarks

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    def by_component(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for line in self.lines:
            totals[line.component] = totals.get(line.component, 0.0) + line.monthly
        return {k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))}

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "pricesDate": p.PRICES_DATE,
            "totalMonthlyUsd": self.total,
            "components": self.by_component(),
            "resources": [
                {
                    "urn": x.urn,
                    "type": x.type,
                    "component": x.component,
                    "monthlyUsd": round(x.monthly, 2),
                    "basis": x.basis,
                }
                for x in self.lines
            ],
            "unpriced": [{"urn": u.urn, "type": u.type, "reason": u.reason} for u in self.unpriced],
            "free": self.free,
            "assumptions": assumptions(),
            "notes": self.notes,
        }


class PriceMissingError(Exception):
    """No price for this resource's class, size or kind."""


def assumptions() -> list[str]:
    fixed = [
        f"on-demand list prices of {p.PRICES_DATE}, {p.HOURS_PER_MONTH:g} hours a month, no free tier, no discounts",
        f"SPOT node groups: Spot prices of {p.SPOT_DATE} (on-demand less the Spot Instance Advisor's average saving), "
        "each node at the dearest of the group's instance types",
        "node groups run their desired size all month (the autoscaler may add nodes up to the maximum)",
    ]
    return fixed + [p.USAGE_TEXT[k].format(v=v) for k, v in p.USAGE.items()]


def region_of(resources: Sequence[Resource], default: str = "us-east-1") -> str:
    """The region of the primary AWS provider (the one most resources use), else ``default``."""
    counts: dict[str, int] = {}
    regions: dict[str, str] = {}
    for r in resources:
        if r.get("type") == "pulumi:providers:aws":
            regions[r["urn"]] = str((r.get("inputs") or {}).get("region", default))
    for r in resources:
        ref = str(r.get("provider") or "").rpartition("::")[0]
        if ref in regions:
            counts[ref] = counts.get(ref, 0) + 1
    if not counts:
        return default
    return regions[max(counts, key=lambda k: (counts[k], k))]


def estimate(resources: Sequence[Resource], stack: str = "", region: str | None = None) -> CostReport:
    region = region or region_of(resources)
    report = CostReport(stack=stack, region=region)
    owner = components(resources)
    regions = {
        r["urn"]: str((r.get("inputs") or {}).get("region", region))
        for r in resources
        if r.get("type") == "pulumi:providers:aws"
    }
    context = _Context(resources, region)
    for r in custom(resources):
        kind = r["type"]
        if kind in p.FREE_TYPES or (kind.startswith(p.FREE_PREFIXES) and kind not in CLAIMING_KINDS):
            report.free += 1
            continue
        if kind in p.NEGLIGIBLE_TYPES:
            report.free += 1
            note = f"{name(r['urn'])} ({kind}): $0.00 assumed, {p.NEGLIGIBLE_TYPES[kind]}"
            report.notes.append(note)
            continue
        where = regions.get(str(r.get("provider") or "").rpartition("::")[0], region)
        if where not in p.REGIONS:
            report.unpriced.append(Unpriced(r["urn"], kind, owner[r["urn"]], f"no price table for {where}"))
            continue
        pricer = PRICERS.get(kind)
        if pricer is None:
            report.unpriced.append(Unpriced(r["urn"], kind, owner[r["urn"]], "no price for this resource type"))
            continue
        context.region = where
        try:
            monthly, basis = pricer(r.get("inputs") or {}, context)
        except PriceMissingError as missing:
            report.unpriced.append(Unpriced(r["urn"], kind, owner[r["urn"]], str(missing)))
            continue
        if kind in CLAIMING_KINDS and monthly == 0.0:
            report.free += 1
            continue
        report.lines.append(Line(r["urn"], kind, owner[r["urn"]], round(monthly, 4), basis))
    return report


class _Context:
    """What some prices need from other resources of the plan."""

    def __init__(self, resources: Sequence[Resource], region: str = "us-east-1") -> None:
        self.region = region  # the region of the resource being priced (set for each one)
        self.rds_gb = sum(
            float((r.get("inputs") or {}).get("allocatedStorage") or 0)
            for r in resources
            if r.get("type") == "aws:rds/instance:Instance"
        )
        self.docdb_clusters = sum(1 for r in resources if r.get("type") == "aws:docdb/cluster:Cluster")
        self.launch_templates = {
            str(r.get("id") or (r.get("outputs") or {}).get("id", "")): r.get("inputs") or {}
            for r in resources
            if r.get("type") == "aws:ec2/launchTemplate:LaunchTemplate"
        }

    @property
    def protected_gb(self) -> float:
        return self.rds_gb + self.docdb_clusters * p.USAGE["docdb_gb"]


def _hourly(table: Mapping[str, float], size: Any, what: str) -> float:
    if not isinstance(size, str) or size not in table:
        raise PriceMissingError(f"no price for {what} {size!r}")
    return table[size]


def _eks(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    return p.EKS_CLUSTER_HOUR * MONTH, f"control plane ${p.EKS_CLUSTER_HOUR}/h (standard support)"


def _node_group(inputs: Mapping[str, Any], ctx: _Context) -> tuple[float, str]:
    types = [str(t) for t in inputs.get("instanceTypes") or []]
    capacity = inputs.get("capacityType") or "ON_DEMAND"
    scaling = inputs.get("scalingConfig") or {}
    count = int(scaling.get("desiredSize") or scaling.get("minSize") or 0)
    if capacity == "ON_DEMAND":
        # On-demand managed node groups launch their first type (the "prioritized" strategy).
        size = types[0] if types else None
        hour = _hourly(p.EC2_HOUR, size, "instance type")
        priced = f"{size} at ${hour}/h"
    elif capacity == "SPOT":
        table = p.SPOT_HOUR.get(ctx.region, {})
        if not types:
            raise PriceMissingError("a SPOT node group without instance types is not priced")
        missing = [t for t in types if t not in table]
        if missing:
            raise PriceMissingError(f"no Spot price of {p.SPOT_DATE} for {', '.join(missing)} in {ctx.region}")
        size = max(types, key=lambda t: (table[t], t))
        hour = table[size]
        priced = f"Spot ({p.SPOT_DATE}), the dearest of {len(types)} types: {size} at ${hour}/h"
    else:
        raise PriceMissingError(f"capacity type {capacity!r} is not priced (ON_DEMAND and SPOT are)")
    volume_gb, volume_type = _template_volumes(inputs, ctx, float(inputs.get("diskSize") or 20))
    volume = _hourly(p.EBS_GB, volume_type, "volume type")
    monthly = count * (hour * MONTH + volume_gb * volume)
    return monthly, f"{count} x {priced} + {volume_gb:g} GB {volume_type} each"


def _template_volumes(inputs: Mapping[str, Any], ctx: _Context, default_gb: float) -> tuple[float, str]:
    """(GB, volume type) of the volumes the resource's launch template gives; ``default_gb`` of gp3 without one."""
    template = ctx.launch_templates.get(str((inputs.get("launchTemplate") or {}).get("id", "")))
    if template is None:
        return default_gb, "gp3"
    volume_gb, volume_type = 0.0, "gp3"
    for mapping in template.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") or {}
        volume_gb += float(ebs.get("volumeSize") or 0)
        volume_type = str(ebs.get("volumeType") or "gp3")
    return volume_gb, volume_type


def _instance(inputs: Mapping[str, Any], ctx: _Context) -> tuple[float, str]:
    size = inputs.get("instanceType")
    hour = _hourly(p.EC2_HOUR, size, "instance type")
    root = inputs.get("rootBlockDevice") or {}
    if root:  # the instance's own root volume overrides its launch template's
        volume_gb, volume_type = float(root.get("volumeSize") or 8), str(root.get("volumeType") or "gp3")
    else:
        volume_gb, volume_type = _template_volumes(inputs, ctx, 8.0)
    volume = _hourly(p.EBS_GB, volume_type, "volume type")
    monthly = hour * MONTH + volume_gb * volume
    return monthly, f"{size} at ${hour}/h + {volume_gb:g} GB {volume_type}"


def _nat(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    gb = p.USAGE["nat_gb"]
    return p.NAT_HOUR * MONTH + gb * p.NAT_GB, f"${p.NAT_HOUR}/h + {gb:g} GB at ${p.NAT_GB}/GB"


def _eip(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    return p.PUBLIC_IPV4_HOUR * MONTH, f"public IPv4 address ${p.PUBLIC_IPV4_HOUR}/h"


def _endpoint(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    if inputs.get("vpcEndpointType", "Gateway") != "Interface":
        return 0.0, "gateway endpoint: free"
    zones = len(inputs.get("subnetIds") or []) or 1
    gb = p.USAGE["endpoint_gb"]
    monthly = zones * p.INTERFACE_ENDPOINT_ZONE_HOUR * MONTH + gb * p.INTERFACE_ENDPOINT_GB
    return monthly, f"{zones} zone{'s' if zones != 1 else ''} x ${p.INTERFACE_ENDPOINT_ZONE_HOUR}/h + {gb:g} GB"


def _lb(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    lcu = p.USAGE["alb_lcu"]
    if inputs.get("loadBalancerType", "application") == "network":
        return (p.NLB_HOUR + lcu * p.NLB_LCU_HOUR) * MONTH, f"NLB ${p.NLB_HOUR}/h + {lcu:g} NLCU"
    return (p.ALB_HOUR + lcu * p.ALB_LCU_HOUR) * MONTH, f"ALB ${p.ALB_HOUR}/h + {lcu:g} LCU"


def _rds(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    if inputs.get("engine") != "postgres":
        raise PriceMissingError(f"engine {inputs.get('engine')!r} is not priced")
    size = inputs.get("instanceClass")
    hour = _hourly(p.RDS_POSTGRES_HOUR, size, "instance class")
    copies = 2 if inputs.get("multiAz") else 1
    gb = float(inputs.get("allocatedStorage") or 20)
    storage = _hourly(p.RDS_STORAGE_GB, inputs.get("storageType") or "gp2", "storage type")
    monthly = copies * (hour * MONTH + gb * storage)
    az = "Multi-AZ" if copies == 2 else "Single-AZ"
    return monthly, f"{size} {az} at ${hour}/h x {copies} + {gb:g} GB x {copies} at ${storage}/GB"


def _elasticache(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    size = inputs.get("nodeType")
    hour = _hourly(p.ELASTICACHE_HOUR, size, "node type")
    nodes = int(inputs.get("numCacheClusters") or 1)
    return nodes * hour * MONTH, f"{nodes} x {size} at ${hour}/h"


def _mq(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    if inputs.get("engineType") != "RabbitMQ":
        raise PriceMissingError(f"engine {inputs.get('engineType')!r} is not priced")
    size = inputs.get("hostInstanceType")
    hour = _hourly(p.MQ_RABBITMQ_HOUR, size, "broker instance type")
    instances = 3 if inputs.get("deploymentMode") == "CLUSTER_MULTI_AZ" else 1
    gb = p.USAGE["mq_gb"]
    monthly = instances * (hour * MONTH + gb * p.MQ_STORAGE_GB)
    return monthly, f"{instances} x {size} at ${hour}/h + {gb:g} GB each"


def _docdb_cluster(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    gb, io = p.USAGE["docdb_gb"], p.USAGE["docdb_million_io"]
    return gb * p.DOCDB_STORAGE_GB + io * p.DOCDB_IO_MILLION, f"{gb:g} GB storage + {io:g} million I/O"


def _docdb_instance(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    size = inputs.get("instanceClass")
    hour = _hourly(p.DOCDB_HOUR, size, "instance class")
    return hour * MONTH, f"{size} at ${hour}/h"


def _bucket(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    gb = p.USAGE["s3_gb"]
    return gb * p.S3_STANDARD_GB, f"{gb:g} GB S3 Standard"


def _ecr(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    gb = p.USAGE["ecr_gb"]
    return gb * p.ECR_GB, f"{gb:g} GB of images"


def _kms(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    requests = p.USAGE["kms_requests"]
    return p.KMS_KEY_MONTH + requests / 10_000 * p.KMS_10K_REQUESTS, f"key-month + {requests:,.0f} requests"


def _waf(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    rules = len(inputs.get("rules") or [])
    million = p.USAGE["waf_million_requests"]
    monthly = p.WAF_ACL_MONTH + rules * p.WAF_RULE_MONTH + million * p.WAF_MILLION_REQUESTS
    return monthly, f"web ACL + {rules} rules + {million:g} million requests"


def _logs(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    function = str(inputs.get("name") or "").startswith("/aws/lambda/")
    gb = p.USAGE["function_log_gb" if function else "log_gb"]
    months = min(float(inputs.get("retentionInDays") or 365) / 30.0, 12.0)
    monthly = gb * p.LOGS_INGEST_GB + gb * months * p.LOGS_STORED_GB
    return monthly, f"{gb:g} GB ingested + {gb * months:g} GB kept"


def _secret(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    return p.SECRET_MONTH, "secret-month"


def _parameter(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    if str(inputs.get("tier") or "Standard") == "Advanced":
        return p.SSM_ADVANCED_MONTH, "advanced parameter-month"
    return 0.0, "standard parameter: free"


def _vault(inputs: Mapping[str, Any], ctx: _Context) -> tuple[float, str]:
    gb = ctx.protected_gb * p.USAGE["vault_fraction"]
    return gb * p.BACKUP_STORAGE_GB, f"{gb:g} GB of recovery points at ${p.BACKUP_STORAGE_GB}/GB"


def _pitr_copy(inputs: Mapping[str, Any], ctx: _Context) -> tuple[float, str]:
    gb = ctx.rds_gb * p.USAGE["vault_fraction"]
    return gb * (p.BACKUP_STORAGE_GB + p.INTER_REGION_GB), f"{gb:g} GB kept in the other region + transfer"


_GI = re.compile(r"^(\d+(?:\.\d+)?)(Gi|G|Ti|T|Mi|M)$")
_FACTOR = {"Gi": 1.073741824, "G": 1.0, "Ti": 1099.511627776, "T": 1000.0, "Mi": 0.001048576, "M": 0.001}


def _gb(quantity: Any) -> float:
    match = _GI.match(str(quantity))
    if not match:
        raise PriceMissingError(f"volume size {quantity!r} is not a quantity like 10Gi")
    return float(match.group(1)) * _FACTOR[match.group(2)]


def release_volumes(values: Any) -> list[tuple[str, float, int]]:
    """Persistent volumes a chart claims, from its values: (where, GB each, replicas). A
    ``volumeClaimTemplate`` counts once per ``replicas`` of the spec holding it; ``persistence`` blocks
    (``enabled`` + ``size``) once."""
    found: list[tuple[str, float, int]] = []

    def walk(node: Any, path: str, replicas: int) -> None:
        if not isinstance(node, dict):
            return
        here = int(node["replicas"]) if isinstance(node.get("replicas"), int | float) else replicas
        template = node.get("volumeClaimTemplate")
        if isinstance(template, dict):
            size = (((template.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
            if size is not None:
                found.append((f"{path}.volumeClaimTemplate", _gb(size), here))
        persistence = node.get("persistence")
        if isinstance(persistence, dict) and persistence.get("enabled") in (True, "true") and "size" in persistence:
            found.append((f"{path}.persistence", _gb(persistence["size"]), 1))
        for key, child in node.items():
            walk(child, f"{path}.{key}" if path else key, here)

    walk(values if isinstance(values, dict) else {}, "", 1)
    return found


def _release(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    values = inputs.get("values")
    if isinstance(values, dict) and "4dabf18193072939515e22adb298388d" in values:
        raise PriceMissingError("its values are secret: the volumes it claims cannot be read")
    volumes = release_volumes(values)
    gb = sum(size * replicas for _, size, replicas in volumes)
    if not gb:
        return 0.0, ""
    parts = ", ".join(f"{replicas} x {size:.3g} GB ({where})" for where, size, replicas in volumes)
    return gb * p.EBS_GB["gp3"], f"gp3 volumes it claims: {parts}"


def _eck(inputs: Mapping[str, Any], _: _Context) -> tuple[float, str]:
    """Volumes an ECK resource claims: ``count`` x each ``volumeClaimTemplates`` entry, per node set."""
    spec = inputs.get("spec") or {}
    groups = spec.get("nodeSets") or [spec]
    gb, parts = 0.0, []
    for group in groups:
        count = int(group.get("count") or 1)
        for claim in group.get("volumeClaimTemplates") or []:
            size = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
            if size is not None:
                gb += count * _gb(size)
                parts.append(f"{count} x {_gb(size):.3g} GB")
    return gb * p.EBS_GB["gp3"], ("gp3 volumes it claims: " + ", ".join(parts)) if parts else ""


PRICERS: dict[str, Any] = {
    "aws:eks/cluster:Cluster": _eks,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/instance:Instance": _instance,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _endpoint,
    "aws:lb/loadBalancer:LoadBalancer": _lb,
    "aws:rds/instance:Instance": _rds,
    "aws:elasticache/replicationGroup:ReplicationGroup": _elasticache,
    "aws:mq/broker:Broker": _mq,
    "aws:docdb/cluster:Cluster": _docdb_cluster,
    "aws:docdb/clusterInstance:ClusterInstance": _docdb_instance,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:ecr/repository:Repository": _ecr,
    "aws:kms/key:Key": _kms,
    "aws:wafv2/webAcl:WebAcl": _waf,
    "aws:cloudwatch/logGroup:LogGroup": _logs,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:ssm/parameter:Parameter": _parameter,
    "aws:backup/vault:Vault": _vault,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": _pitr_copy,
    "kubernetes:helm.sh/v3:Release": _release,
    "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch": _eck,
    "kubernetes:logstash.k8s.elastic.co/v1alpha1:Logstash": _eck,
}
# Kubernetes kinds whose volumes cost money: priced like the rest, free when they claim none.
CLAIMING_KINDS = {"kubernetes:helm.sh/v3:Release", *(k for k in PRICERS if k.startswith("kubernetes:"))}


def format_text(reports: Sequence[CostReport], detail: bool = True) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(
            f"Monthly cost of stack {report.stack!r} ({report.region}, prices of {p.PRICES_DATE}): ${report.total:,.2f}"
        )
        for component, total in report.by_component().items():
            lines.append(f"  {component:<28} ${total:>10,.2f}")
            if detail:
                for line in report.lines:
                    if line.component == component:
                        lines.append(f"      ${line.monthly:>9,.2f}  {name(line.urn)} ({line.type}): {line.basis}")
        if report.unpriced:
            lines.append(f"  Unpriced ({len(report.unpriced)}, not in the total):")
            lines += [f"      {name(u.urn)} ({u.type}): {u.reason}" for u in report.unpriced]
        lines.append(f"  Free of charge by themselves: {report.free} resources")
        lines += [f"  Note: {note}" for note in report.notes]
    if len(reports) > 1:
        lines.append(compare_table(reports))
    lines.append("Assumptions:")
    lines += [f"  - {a}" for a in assumptions()]
    return "\n".join(lines)


def compare_table(reports: Sequence[CostReport]) -> str:
    names = [r.stack for r in reports]
    components_all = sorted({c for r in reports for c in r.by_component()})
    out = ["| component | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for component in components_all:
        cells = [f"${r.by_component().get(component, 0.0):,.2f}" for r in reports]
        out.append(f"| {component} | " + " | ".join(cells) + " |")
    out.append("| **total** | " + " | ".join(f"**${r.total:,.2f}**" for r in reports) + " |")
    out.append("| unpriced resources | " + " | ".join(str(len(r.unpriced)) for r in reports) + " |")
    return "\n".join(out)


def format_markdown(reports: Sequence[CostReport]) -> str:
    lines = [
        f"### Monthly cost (list prices of {p.PRICES_DATE}, Spot of {p.SPOT_DATE})",
        "",
        compare_table(reports),
        "",
    ]
    for report in reports:
        if report.unpriced:
            lines.append(f"Unpriced in `{report.stack}`: " + ", ".join(f"`{name(u.urn)}` ({u.reason})"
                                                                       for u in report.unpriced))  # fmt: skip
    lines.append("")
    lines.append("Assumptions: " + "; ".join(assumptions()) + ".")
    return "\n".join(lines)


def format_json(reports: Sequence[CostReport]) -> str:
    return json.dumps({"stacks": [r.as_dict() for r in reports]}, indent=2)
