"""The managed datastores and the edge, hardened beyond "encrypted": the highest TLS minimum each engine
offers, master credentials the service manages (never a password in the program's inputs or its state),
audit and access logs for every managed service into log groups the stack owns (so they are encrypted
and kept as configured), and a WAF with the managed rule groups an API in front of SQL and document
databases needs, blocking."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pulumi_policy import PolicyConfigSchema, PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import Props, config, get, in_environments, is_true, listify, resource_rule, stack_rule
from policies.rules.protection import ENVIRONMENTS_SCHEMA, environments

RDS_INSTANCE = "aws:rds/instance:Instance"
DOCDB_CLUSTER = "aws:docdb/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
MQ_BROKER = "aws:mq/broker:Broker"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
DOCDB_PARAMETER_GROUP = "aws:docdb/clusterParameterGroup:ClusterParameterGroup"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"

# DocumentDB's strictest TLS setting (4.0 from engine 2.0.10980, 5.0 from 3.0.11051 on).
DOCDB_TLS_MINIMUM = "tls1.3+"
# The log streams each engine must export, and the prefix of the log group the service writes them to.
POSTGRES_EXPORTS = ("postgresql",)
DOCDB_EXPORTS = ("audit", "profiler")
REDIS_LOG_TYPES = ("slow-log", "engine-log")
REQUIRED_WAF_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesSQLiRuleSet",
)
_TLS_ORDER = {"tlsv1": 0, "tlsv1.1": 1, "tlsv1.2": 2, "tlsv1.3": 3}


def postgres_tls_minimum(family: str) -> str:
    """The highest ``ssl_min_protocol_version`` RDS offers for a family: TLS 1.3 from PostgreSQL 16 on."""
    major = re.search(r"(\d+)", family)
    return "tlsv1.3" if major is not None and int(major.group(1)) >= 16 else "tlsv1.2"


def _parameters(props: Props) -> dict[str, str]:
    return {
        str(get(p, "name", default="")).lower(): str(get(p, "value", default="")).strip().lower()
        for p in listify(get(props, "parameters"))
    }


def _tls_minimum(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    values = _parameters(props)
    if args.resource_type == DOCDB_PARAMETER_GROUP:
        if values.get("tls", "enabled") != DOCDB_TLS_MINIMUM:
            yield f"DocumentDB accepts TLS older than 1.3 (tls is {values.get('tls', 'enabled')}, must be tls1.3+)"
        return
    family = str(get(props, "family", default="")).lower()
    if not family.startswith("postgres"):
        return
    wanted = postgres_tls_minimum(family)
    found = values.get("ssl_min_protocol_version")
    if found is None:
        yield f"ssl_min_protocol_version is not set (RDS's default accepts TLS 1.2); set {wanted} for {family}"
    elif _TLS_ORDER.get(found, -1) < _TLS_ORDER[wanted]:
        yield f"ssl_min_protocol_version is {found}; {family} offers {wanted}"


def _credentials(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    if args.resource_type == RDS_INSTANCE:
        if get(props, "replicateSourceDb"):
            return  # a read replica has the source's credentials
        written = [f for f in ("password", "passwordWo") if get(props, f, hidden_ok=True) is not None]
        key = "masterUserSecretKmsKeyId"
    else:
        written = [f for f in ("masterPassword", "masterPasswordWo") if get(props, f, hidden_ok=True) is not None]
        key = None
    if written:
        yield f"the master password is set by the program ({', '.join(written)}): it is in the inputs and never rotates"
    if not is_true(get(props, "manageMasterUserPassword")):
        yield "the service does not manage and rotate the master password (manageMasterUserPassword)"
    elif key is not None and not get(props, key):
        yield f"the managed master secret is encrypted with the AWS-managed key, not the domain's key ({key})"


def _of(args: StackValidationArgs, *types: str) -> Iterator[PolicyResource]:
    return (r for r in args.resources if r.resource_type in types)


def _owned_groups(args: StackValidationArgs) -> dict[str, PolicyResource]:
    """The stack's log groups that are encrypted with a key and expire, by name."""
    return {
        str(get(g.props, "name")): g
        for g in _of(args, LOG_GROUP)
        if get(g.props, "kmsKeyId") and int(get(g.props, "retentionInDays", default=0) or 0) > 0
    }


def _uses(resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
    return any(d.urn == target.urn for d in resource.property_dependencies.get(prop, [])) or (
        get(resource.props, prop) is not None and get(resource.props, prop) == get(target.props, "name")
    )


def _audit_logs(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    groups = _owned_groups(args)

    def exported(resource: PolicyResource, streams: Iterable[str], prefix: str) -> Iterable[tuple[str, str | None]]:
        exports = {str(e).lower() for e in listify(get(resource.props, "enabledCloudwatchLogsExports"))}
        for stream in streams:
            if stream not in exports:
                yield f"the {stream} log is not exported to CloudWatch (enabledCloudwatchLogsExports)", resource.urn
            elif f"{prefix}/{stream}" not in groups:
                yield (
                    f"no log group {prefix}/{stream} with a KMS key and a retention in the stack: the service "
                    "would make one unencrypted and kept forever",
                    resource.urn,
                )

    for db in _of(args, RDS_INSTANCE):
        if "postgres" not in str(get(db.props, "engine", default="")).lower():
            continue
        yield from exported(db, POSTGRES_EXPORTS, f"/aws/rds/instance/{get(db.props, 'identifier')}")
        if not int(get(db.props, "monitoringInterval", default=0) or 0) or not get(db.props, "monitoringRoleArn"):
            yield "Enhanced Monitoring is off (monitoringInterval, monitoringRoleArn)", db.urn
    docdb_groups = list(_of(args, DOCDB_PARAMETER_GROUP))
    for cluster in _of(args, DOCDB_CLUSTER):
        yield from exported(cluster, DOCDB_EXPORTS, f"/aws/docdb/{get(cluster.props, 'clusterIdentifier')}")
        used = [g for g in docdb_groups if _uses(cluster, "dbClusterParameterGroupName", g)]
        values = _parameters(used[0].props) if used else {}
        if values.get("audit_logs", "disabled") in ("disabled", "none"):
            yield "DocumentDB writes no audit log (cluster parameter audit_logs)", cluster.urn
        if values.get("profiler", "disabled") != "enabled":
            yield "DocumentDB's profiler is off (cluster parameter profiler)", cluster.urn
    for group in _of(args, REDIS):
        deliveries = {str(get(d, "logType")): d for d in listify(get(group.props, "logDeliveryConfigurations"))}
        for log_type in REDIS_LOG_TYPES:
            delivery = deliveries.get(log_type)
            if delivery is None:
                yield f"the {log_type} is not delivered (logDeliveryConfigurations)", group.urn
            elif (
                str(get(delivery, "destinationType")) != "cloudwatch-logs"
                or str(get(delivery, "destination")) not in groups
            ):
                yield f"the {log_type} goes to no encrypted log group of the stack with a retention", group.urn
    for broker in _of(args, MQ_BROKER):
        if not is_true(get(broker.props, "logs", "general")):
            yield "the broker's general log is off (logs.general)", broker.urn
        activemq = str(get(broker.props, "engineType", default="")).lower() == "activemq"
        if activemq and not is_true(get(broker.props, "logs", "audit")):
            yield "the ActiveMQ broker's audit log is off (logs.audit)", broker.urn
    for lb in _of(args, *LOAD_BALANCERS):
        if is_true(get(lb.props, "internal", default=False)):
            continue
        if not is_true(get(lb.props, "accessLogs", "enabled")) or not get(lb.props, "accessLogs", "bucket"):
            yield "the internet-facing load balancer writes no access logs (accessLogs)", lb.urn


def _rotation(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    """A datastore whose credential the program generates (an AUTH token, a broker user) has its secret
    rotated on a schedule by a function; the secret belongs to the datastore's component."""
    rotations = list(_of(args, SECRET_ROTATION))
    secrets = [r for r in args.resources if r.resource_type == "aws:secretsmanager/secret:Secret"]
    maximum = int(config(args).get("maximumDays", 30))
    for store in _of(args, REDIS, MQ_BROKER):
        if store.resource_type == REDIS and not (
            get(store.props, "authToken", hidden_ok=True) or get(store.props, "authTokenWo", hidden_ok=True)
        ):
            continue
        siblings = [s for s in secrets if _parent(s) is not None and _parent(s) == _parent(store)]
        rotated = [
            r
            for r in rotations
            for s in siblings
            if _uses(r, "secretId", s) or get(r.props, "secretId") == get(s.props, "arn")
        ]
        if not rotated:
            yield "the credential's secret has no rotation (SecretRotation with a rotation function)", store.urn
            continue
        for rotation in rotated:
            days = get(rotation.props, "rotationRules", "automaticallyAfterDays")
            if days is not None and int(days) > maximum:
                yield f"the credential rotates every {days} days; at most {maximum}", store.urn


def _parent(resource: PolicyResource) -> str | None:
    """The URN of the resource's parent (the component it belongs to)."""
    if resource.parent is not None:
        return str(resource.parent.urn)
    parent = getattr(resource.opts, "parent", None)
    return str(parent) if parent else None


def _waf(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    managed = {
        str(get(r, "statement", "managedRuleGroupStatement", "name")): r
        for r in listify(get(props, "rules"))
        if get(r, "statement", "managedRuleGroupStatement") is not None
    }
    missing = [g for g in REQUIRED_WAF_GROUPS if g not in managed]
    if missing:
        yield f"the web ACL lacks the managed rule groups {', '.join(missing)}"
    if in_environments(environments(args), config(args).get("environments", ["prod"])):
        counting = sorted(
            g for g in REQUIRED_WAF_GROUPS if g in managed and get(managed[g], "overrideAction", "count") is not None
        )
        if counting:
            yield f"in a protected environment the groups {', '.join(counting)} only count; they must block"


TLS_MINIMUM = resource_rule(
    "datastore-tls-minimum",
    "Each datastore accepts only the newest TLS its engine offers: PostgreSQL's ssl_min_protocol_version is "
    "TLSv1.3 from PostgreSQL 16 (TLSv1.2 before), DocumentDB's tls is tls1.3+ (enabled also accepts TLS 1.0).",
    Severity.HIGH,
    "Set ssl_min_protocol_version=TLSv1.3 in the PostgreSQL parameter group and tls=tls1.3+ in the DocumentDB "
    "cluster parameter group (components/datastores/postgres.py, documentdb.py).",
    (RDS_PARAMETER_GROUP, DOCDB_PARAMETER_GROUP),
    _tls_minimum,
)

MANAGED_CREDENTIALS = resource_rule(
    "datastore-credentials-managed",
    "RDS and DocumentDB master passwords are managed and rotated by the service in Secrets Manager "
    "(manageMasterUserPassword; RDS's secret under a customer-managed key): no password in the program's inputs.",
    Severity.HIGH,
    "Set manage_master_user_password=True (and master_user_secret_kms_key_id on RDS); drop password/master_password.",
    (RDS_INSTANCE, DOCDB_CLUSTER),
    _credentials,
)

CREDENTIALS_ROTATE = stack_rule(
    "datastore-credentials-rotate",
    "The credentials the program generates for Redis (AUTH token) and RabbitMQ (broker user) are rotated by a "
    "Secrets Manager rotation function at most every 30 days.",
    Severity.HIGH,
    "Add an aws.secretsmanager.SecretRotation for the datastore's secret with its rotation function "
    "(components/datastores/rotation.py).",
    _rotation,
    PolicyConfigSchema(properties={"maximumDays": {"type": "integer", "minimum": 1, "maximum": 365, "default": 30}}),
)

AUDIT_LOGS = stack_rule(
    "datastore-audit-logs",
    "Every managed service writes its audit and access logs into KMS-encrypted, expiring log groups of the "
    "stack: PostgreSQL's log exported with Enhanced Monitoring on, DocumentDB's audit and profiler logs "
    "(and the cluster parameters that turn them on), ElastiCache's slow and engine logs, Amazon MQ's general "
    "log (and ActiveMQ's audit log), the internet-facing load balancer's access logs.",
    Severity.HIGH,
    "Create the log groups before the datastore (components/datastores/common.py log_groups), export the logs, "
    "and turn on the ALB's access_logs (components/alb_logs.py).",
    _audit_logs,
)

WAF_GROUPS = resource_rule(
    "waf-managed-groups",
    "The web ACL has the AWS managed rule groups an API in front of SQL and document databases needs (common, "
    "known bad inputs, IP reputation, anonymous IPs, SQL injection); in protected environments (prod) they block.",
    Severity.HIGH,
    "Add the missing groups with override_action none (components/waf.py); leave platform:ingress.wafCountOnly "
    "empty in prod.",
    (WEB_ACL,),
    _waf,
    ENVIRONMENTS_SCHEMA,
)

POLICIES = (TLS_MINIMUM, MANAGED_CREDENTIALS, CREDENTIALS_ROTATE, AUDIT_LOGS, WAF_GROUPS)
