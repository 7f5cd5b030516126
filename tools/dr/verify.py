"""``infra dr verify``: the account's evidence that a plan's protected resources are protected.

For each datastore: the newest recovery point (AWS Backup, and for RDS its automated snapshots and
point-in-time window, for DocumentDB its point-in-time window, for ElastiCache its snapshots) is younger
than the RPO, and its copy in the backup region's vault is younger than the RPO plus the copy lag. For
each replicated bucket: replication with Replication Time Control, versioning on both buckets, the newest
object replicated. For each vault: its lock as configured. The backup plan's retention, in the plan and
in the account. Every check is one ``Finding``; a breach is a finding that is not met.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from infra.config.backups import BackupsConfig
from tools.dr import evidence
from tools.dr.aws import Clients, call, items
from tools.dr.evidence import NOT_THERE, USABLE
from tools.dr.targets import Datastore, Replication, Targets


@dataclass(frozen=True)
class Finding:
    resource: str
    check: str
    met: bool
    newest: datetime | None = None  # the newest recovery point (or object) the check looked at
    age_minutes: float | None = None
    copy: str = ""  # where the cross-region copy is, when the check is about one
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "check": self.check,
            "met": self.met,
            "newest": self.newest.isoformat() if self.newest else None,
            "ageMinutes": None if self.age_minutes is None else round(self.age_minutes, 1),
            "copy": self.copy,
            "detail": self.detail,
        }


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else (now - moment) / timedelta(minutes=1)


def verify(
    targets: Targets, backups: BackupsConfig, backup_region: str, now: datetime, clients: Clients
) -> list[Finding]:
    """Every check of ``targets`` against the account; ``now`` is timezone-aware."""
    findings: list[Finding] = []
    for datastore in targets.datastores:
        findings += _datastore(datastore, targets, backups, backup_region, now, clients)
    for replication in targets.replications:
        findings += _replication(replication, backup_region, now, clients)
    findings += _vaults(targets, backups, clients)
    findings += _retention(targets, backups, clients)
    return findings


CACHE_RECOVERY_POINT_MINUTES = 25 * 60


def _datastore(
    ds: Datastore, targets: Targets, backups: BackupsConfig, backup_region: str, now: datetime, clients: Clients
) -> list[Finding]:
    label = f"{ds.kind} {ds.identifier}"
    backed_up = evidence.recovery_points(ds, clients) if ds.kind != "redis" else None
    native, what = evidence.native(ds, clients)
    newest = evidence.newest(backed_up, native)
    age = _age(newest, now)
    # Redis is a cache (sessions and cached values, rebuilt from PostgreSQL): its recovery point is its
    # daily snapshot, so it is held to a day and an hour, not to the data's RPO.
    rpo = CACHE_RECOVERY_POINT_MINUTES if ds.kind == "redis" else backups.rpo_minutes
    found = [
        Finding(
            label,
            f"recovery point <= {rpo} min",
            age is not None and age <= rpo,
            newest,
            age,
            detail="no recovery point" if newest is None else ("AWS Backup" if newest == backed_up else what),
        )
    ]
    allowed = rpo + backups.copy_lag_minutes
    check = f"copy in {backup_region} <= {allowed} min"
    if ds.kind == "redis":  # AWS Backup does not protect ElastiCache: no cross-region copy to look for
        return [*found, Finding(label, check, True, copy="n/a", detail="ElastiCache is not an AWS Backup resource")]
    vault = targets.vault_in(backup_region)
    if vault is None:
        return [*found, Finding(label, check, False, detail=f"the plan has no backup vault in {backup_region}")]
    copies = items(
        clients("backup", backup_region),
        "list_recovery_points_by_backup_vault",
        "RecoveryPoints",
        ds.identifier,
        missing=NOT_THERE,
        BackupVaultName=vault.name,
        ByResourceArn=ds.arn,
    )
    in_vault = evidence.newest(
        *(c.get("CreationDate") for c in copies if c.get("ResourceArn") == ds.arn and c.get("Status") in USABLE)
    )
    native = evidence.native_copy(ds, backup_region, clients)
    copied = evidence.newest(in_vault, native)
    copy_age = _age(copied, now)
    met = copy_age is not None and copy_age <= allowed
    where = (
        f"{vault.name} ({backup_region})"
        if copied is None or copied == in_vault
        else f"{ds.kind} copies ({backup_region})"
    )
    detail = f"no copy in {vault.name}" if copied is None else ("" if met else "the newest copy is too old")
    return [*found, Finding(label, check, met, copied, copy_age, copy=where, detail=detail)]


def _replication(rep: Replication, backup_region: str, now: datetime, clients: Clients) -> list[Finding]:
    label = f"bucket {rep.source}"
    s3 = clients("s3", rep.region)
    found = call(
        s3, "get_bucket_replication", rep.source, missing=("ReplicationConfigurationNotFoundError",), Bucket=rep.source
    )
    rules = (found or {}).get("ReplicationConfiguration", {}).get("Rules", [])
    rule = next(
        (
            r
            for r in rules
            if r.get("Status") == "Enabled" and r.get("Destination", {}).get("Bucket") == rep.destination_arn
        ),
        None,
    )
    destination = (rule or {}).get("Destination", {})
    rtc = destination.get("ReplicationTime", {})
    problems = []
    if rule is None:
        problems.append(f"no enabled replication rule to {rep.destination}")
    elif rtc.get("Status") != "Enabled":
        problems.append("Replication Time Control is off")
    elif destination.get("Metrics", {}).get("Status") != "Enabled":
        problems.append("replication metrics are off (RTC needs them)")
    findings = [Finding(label, f"replication to {rep.destination} with RTC", not problems, detail="; ".join(problems))]

    off = []
    for bucket, region in ((rep.source, rep.region), (rep.destination, rep.destination_region or backup_region)):
        status = call(clients("s3", region), "get_bucket_versioning", bucket, missing=("NoSuchBucket",), Bucket=bucket)
        if (status or {}).get("Status") != "Enabled":
            off.append(bucket)
    findings.append(
        Finding(label, "versioning on both buckets", not off, detail=f"versioning off: {', '.join(off)}" if off else "")
    )

    newest = max(
        items(s3, "list_objects_v2", "Contents", rep.source, missing=("NoSuchBucket",), Bucket=rep.source),
        key=lambda o: o["LastModified"],
        default=None,
    )
    if newest is None:
        return [*findings, Finding(label, "newest object replicated", True, detail="the bucket is empty")]
    head = call(s3, "head_object", f"{rep.source}/{newest['Key']}", Bucket=rep.source, Key=newest["Key"])
    status = head.get("ReplicationStatus", "none")
    age = _age(newest["LastModified"], now)
    window = rep.rtc_minutes or 15
    # Replication Time Control replicates within its window: a PENDING object younger than it is on time.
    met = status == "COMPLETED" or (status == "PENDING" and age is not None and age <= window)
    if status == "none":
        # No replication status on the object: whether the same object is in the replica decides.
        replica = call(
            clients("s3", rep.destination_region or backup_region),
            "head_object",
            f"{rep.destination}/{newest['Key']}",
            missing=("404", "NoSuchKey"),
            Bucket=rep.destination,
            Key=newest["Key"],
        )
        if replica is not None and replica.get("ETag") == head.get("ETag"):
            met, status = True, "in the replica"
    return [
        *findings,
        Finding(
            label,
            "newest object replicated",
            met,
            newest["LastModified"],
            age,
            copy=rep.destination,
            detail=f"{newest['Key']}: {status}",
        ),
    ]


def _vaults(targets: Targets, backups: BackupsConfig, clients: Clients) -> list[Finding]:
    if not targets.vaults:
        return [Finding("backup vaults", "present in the plan", False, detail="the plan has no aws:backup/vault:Vault")]
    findings = []
    days = backups.retention_days
    for vault in targets.vaults:
        label = f"vault {vault.name} ({vault.region})"
        live = call(
            clients("backup", vault.region),
            "describe_backup_vault",
            vault.name,
            missing=("ResourceNotFoundException",),
            BackupVaultName=vault.name,
        )
        if live is None:
            findings.append(Finding(label, "exists", False, detail="not found in the account"))
            continue
        if not backups.vault_lock:
            findings.append(Finding(label, "exists (vault lock not configured)", True))
            continue
        problems = []
        if vault.name not in targets.locks:
            problems.append("the plan has no VaultLockConfiguration for it")
        elif (targets.locks[vault.name] or 0) < days:
            problems.append(f"the plan locks {targets.locks[vault.name]} days")
        if not live.get("Locked"):
            problems.append("not locked")
        elif (live.get("MinRetentionDays") or 0) < days:
            problems.append(f"locked with MinRetentionDays {live.get('MinRetentionDays')}")
        findings.append(
            Finding(label, f"locked, min retention >= {days} days", not problems, detail="; ".join(problems))
        )
    return findings


def _retention(targets: Targets, backups: BackupsConfig, clients: Clients) -> list[Finding]:
    days = backups.retention_days
    if not targets.rules:
        return [
            Finding("backup plan", "present in the plan", False, detail="the plan has no aws:backup/plan:Plan rules")
        ]
    findings = []
    for rule in targets.rules:
        short = [f"kept {rule.delete_after} days"] if (rule.delete_after or 0) < days else []
        short += [f"copy kept {kept} days" for _, kept in rule.copies if (kept or 0) < days]
        if not rule.copies:
            short.append("no copy to the backup region")
        findings.append(
            Finding(
                f"plan {rule.plan}/{rule.rule}", f"retention >= {days} days (plan)", not short, detail="; ".join(short)
            )
        )
    if backups.continuous_backup and not any(rule.continuous for rule in targets.rules):
        findings.append(Finding("backup plan", "continuous backup (plan)", False, detail="no rule enables it"))
    region = targets.vaults[0].region if targets.vaults else None
    primary = next((d.region for d in targets.datastores), region)
    if primary is None:
        return findings
    backup = clients("backup", primary)
    for name in targets.plans:
        live = next(
            (p for p in items(backup, "list_backup_plans", "BackupPlansList", name) if p.get("BackupPlanName") == name),
            None,
        )
        if live is None:
            findings.append(
                Finding(
                    f"plan {name}", "retention (account)", True, detail="not deployed: the plan's rules were checked"
                )
            )
            continue
        document = call(backup, "get_backup_plan", name, BackupPlanId=live["BackupPlanId"])["BackupPlan"]
        short = []
        for rule in document.get("Rules", []):
            kept = rule.get("Lifecycle", {}).get("DeleteAfterDays")
            if kept is not None and kept < days:
                short.append(f"{rule.get('RuleName')}: kept {kept} days")
            short += [
                f"{rule.get('RuleName')}: copy kept {c['Lifecycle']['DeleteAfterDays']} days"
                for c in rule.get("CopyActions", [])
                if c.get("Lifecycle", {}).get("DeleteAfterDays") is not None
                and c["Lifecycle"]["DeleteAfterDays"] < days
            ]
        findings.append(
            Finding(f"plan {name}", f"retention >= {days} days (account)", not short, detail="; ".join(short))
        )
    return findings


def _when(f: Finding) -> str:
    return f.newest.strftime("%Y-%m-%d %H:%M") if f.newest else "-"


def _minutes(f: Finding) -> str:
    return "-" if f.age_minutes is None else f"{f.age_minutes:.0f} min"


def format_text(findings: list[Finding], now: datetime) -> str:
    header = ("resource", "check", "newest recovery point", "age", "copy", "met")
    rows = [header] + [
        (f.resource, f.check, _when(f), _minutes(f), f.copy or "-", "yes" if f.met else "NO") for f in findings
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for f in findings:
        if not f.met:
            lines.append(f"breach: {f.resource}: {f.check}: {f.detail or 'not met'}")
    breaches = sum(not f.met for f in findings)
    lines.append(f"{len(findings)} checks at {now.isoformat()}: " + (f"{breaches} breached" if breaches else "all met"))
    return "\n".join(lines)


def format_json(findings: list[Finding], now: datetime) -> str:
    return json.dumps(
        {"now": now.isoformat(), "met": all(f.met for f in findings), "findings": [f.as_dict() for f in findings]},
        indent=2,
    )
