"""Encryption at rest with customer-managed KMS keys, and TLS in transit in every form the providers
accept (the system's requirements: AES-256 at rest, TLS 1.3 in transit). "Enabled but optional" is
not encrypted: a Redis transit mode of ``preferred``, a parameter group that does not force TLS, a
listener policy that still offers TLS 1.2."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import Props, get, is_true, kind_of, listify, resource_rule, stack_rule

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
DOCDB_CLUSTER = "aws:docdb/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
MQ_BROKER = "aws:mq/broker:Broker"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET = "aws:secretsmanager/secret:Secret"
EBS_VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EFS = "aws:efs/fileSystem:FileSystem"
ECR = "aws:ecr/repository:Repository"
SNS = "aws:sns/topic:Topic"
SQS = "aws:sqs/queue:Queue"
BACKUP_VAULT = "aws:backup/vault:Vault"
KMS_KEY = "aws:kms/key:Key"
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener", "aws:elasticloadbalancingv2/listener:Listener")
LISTENER_RULE = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
RDS_PARAMETER_GROUPS = ("aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup")
DOCDB_PARAMETER_GROUP = "aws:docdb/clusterParameterGroup:ClusterParameterGroup"
EBS_PROVISIONERS = ("ebs.csi.aws.com", "kubernetes.io/aws-ebs")

# ELB security policies that negotiate TLS 1.3 only.
TLS13_ONLY_POLICIES = frozenset(
    {
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
    }
)
# DocumentDB's tls parameter: every value but "disabled" requires TLS.
DOCDB_TLS_ON = frozenset({"enabled", "fips-140-3", "tls1.2+", "tls1.3+"})


def _storage(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    kind = args.resource_type
    if kind in (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER):
        if not is_true(get(props, "storageEncrypted")):
            yield "storage is not encrypted (storageEncrypted is not true)"
        elif not get(props, "kmsKeyId"):
            yield "storage is encrypted with the AWS-managed key; name a customer-managed KMS key (kmsKeyId)"
    elif kind == REDIS:
        if not is_true(get(props, "atRestEncryptionEnabled")):
            yield "at-rest encryption is off (atRestEncryptionEnabled)"
        elif not get(props, "kmsKeyId"):
            yield "at-rest encryption uses the AWS-managed key; name a customer-managed KMS key (kmsKeyId)"
    elif kind == MQ_BROKER:
        options = get(props, "encryptionOptions", default={})
        if is_true(get(options, "useAwsOwnedKey", default=True)) or not get(options, "kmsKeyId"):
            yield "the broker uses an AWS-owned key; set encryptionOptions.kmsKeyId and useAwsOwnedKey false"
    elif kind in (LOG_GROUP, SECRET, SNS):
        if not get(props, "kmsKeyId") and not get(props, "kmsMasterKeyId"):
            yield "no customer-managed KMS key (kmsKeyId)"
    elif kind in (EBS_VOLUME, EFS):
        if not is_true(get(props, "encrypted")) or not get(props, "kmsKeyId"):
            yield "not encrypted with a customer-managed KMS key (encrypted, kmsKeyId)"
    elif kind == SQS:
        if not get(props, "kmsMasterKeyId"):
            yield "the queue is not encrypted with a customer-managed KMS key (kmsMasterKeyId)"
    elif kind == ECR:
        configs = listify(get(props, "encryptionConfigurations"))
        if not configs or any(str(get(c, "encryptionType", default="AES256")).upper() != "KMS" for c in configs):
            yield "the repository is not encrypted with KMS (encryptionConfigurations)"
    elif kind == BACKUP_VAULT:
        if not get(props, "kmsKeyArn"):
            yield "the vault is not encrypted with a customer-managed KMS key (kmsKeyArn)"
    elif kind == LAUNCH_TEMPLATE:
        for mapping in listify(get(props, "blockDeviceMappings")):
            ebs = get(mapping, "ebs", default={})
            if not is_true(get(ebs, "encrypted", default=False)) or not get(ebs, "kmsKeyId"):
                yield f"block device {get(mapping, 'deviceName', default='?')} is not encrypted with a KMS key"
    elif kind == EKS_CLUSTER:
        encryption = listify(get(props, "encryptionConfig"))
        if not any("secrets" in listify(get(e, "resources")) and get(e, "provider", "keyArn") for e in encryption):
            yield "Kubernetes secrets are not envelope-encrypted with a KMS key (encryptionConfig)"
    elif kind_of(kind) == "StorageClass" and str(get(props, "provisioner", default="")) in EBS_PROVISIONERS:
        parameters = get(props, "parameters", default={})
        if not is_true(get(parameters, "encrypted")) or not get(parameters, "kmsKeyId"):
            yield "the StorageClass makes EBS volumes without KMS encryption (parameters.encrypted, kmsKeyId)"


def _rotation(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    # KMS rotates symmetric encryption keys only; asymmetric and HMAC keys are replaced, not rotated.
    symmetric = str(get(props, "customerMasterKeySpec", default="SYMMETRIC_DEFAULT")).upper() == "SYMMETRIC_DEFAULT"
    if symmetric and not is_true(get(props, "enableKeyRotation")):
        yield "automatic key rotation is off (enableKeyRotation)"
    window = float(get(props, "deletionWindowInDays", default=30))
    if window < 30:
        yield f"deletion window is {window:g} days; 30 leaves time to notice a mistaken deletion"


def _parameters(props: Props) -> dict[str, str]:
    return {
        str(get(p, "name", default="")).lower(): str(get(p, "value", default="")).strip().lower()
        for p in listify(get(props, "parameters"))
    }


def parameter_group_problem(kind: str, props: Props) -> str | None:
    """Why a database parameter group does not require TLS, or None (also None: not a TLS engine)."""
    family = str(get(props, "family", default="")).lower()
    values = _parameters(props)
    if kind == DOCDB_PARAMETER_GROUP:
        if values.get("tls", "enabled") not in DOCDB_TLS_ON:
            return f"DocumentDB TLS is {values.get('tls')} (parameter tls must be enabled)"
    elif "postgres" in family:
        if values.get("rds.force_ssl") not in ("1", "on", "true"):
            return "PostgreSQL does not require TLS (parameter rds.force_ssl must be 1)"
        if values.get("ssl_min_protocol_version", "tlsv1.2") not in ("tlsv1.2", "tlsv1.3"):
            return f"PostgreSQL accepts {values['ssl_min_protocol_version']} (ssl_min_protocol_version)"
    elif ("mysql" in family or "mariadb" in family) and values.get("require_secure_transport") not in (
        "1",
        "on",
        "true",
    ):
        return "MySQL does not require TLS (parameter require_secure_transport must be ON)"
    return None


def _tls(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    kind = args.resource_type
    if kind in (REDIS, CACHE_CLUSTER) and str(get(props, "engine", default="redis")).lower() != "memcached":
        if not is_true(get(props, "transitEncryptionEnabled")):
            yield "in-transit encryption is off (transitEncryptionEnabled)"
        elif str(get(props, "transitEncryptionMode", default="required")).strip().lower() != "required":
            yield "in-transit encryption is optional (transitEncryptionMode preferred); it must be required"
    elif kind in (*RDS_PARAMETER_GROUPS, DOCDB_PARAMETER_GROUP):
        problem = parameter_group_problem(kind, props)
        if problem is not None:
            yield problem
    elif kind in LISTENER:
        protocol = str(get(props, "protocol", default="HTTP")).upper()
        if protocol in ("HTTPS", "TLS"):
            policy = get(props, "sslPolicy")
            if policy not in TLS13_ONLY_POLICIES:
                yield f"the listener accepts protocols older than TLS 1.3 (sslPolicy {policy})"
        elif protocol == "HTTP":
            for action in listify(get(props, "defaultActions")):
                kind_ = str(get(action, "type", default="")).lower()
                target = str(get(action, "redirect", "protocol", default="")).upper()
                if kind_ == "forward" or (kind_ == "redirect" and target != "HTTPS"):
                    yield "plain HTTP is served instead of redirected to HTTPS"
            if not listify(get(props, "defaultActions")):
                yield "plain HTTP is served instead of redirected to HTTPS"
    elif kind == MQ_BROKER and str(get(props, "engineType", default="")).lower() not in ("rabbitmq", "activemq"):
        yield f"unknown broker engine {get(props, 'engineType')}"


def _of(args: StackValidationArgs, *types: str) -> Iterator[PolicyResource]:
    return (r for r in args.resources if r.resource_type in types)


def _uses(resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
    return any(d.urn == target.urn for d in resource.property_dependencies.get(prop, [])) or (
        get(resource.props, prop) is not None and get(resource.props, prop) == get(target.props, "name")
    )


def _tls_in_use(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    """Databases use a parameter group of the stack that requires TLS (a default group does not for
    PostgreSQL before 15 or MySQL); a plain-HTTP listener has no rule that forwards around its redirect."""
    groups = list(_of(args, *RDS_PARAMETER_GROUPS, DOCDB_PARAMETER_GROUP))
    for database in _of(args, RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER):
        engine = str(get(database.props, "engine", default="")).lower()
        prop = "parameterGroupName" if database.resource_type == RDS_INSTANCE else "dbClusterParameterGroupName"
        used = [g for g in groups if _uses(database, prop, g)]
        if not used and any(e in engine for e in ("postgres", "mysql", "mariadb")):
            yield f"the {engine} database uses no parameter group of the stack that requires TLS ({prop})", database.urn
        for group in used:
            problem = parameter_group_problem(group.resource_type, group.props)
            if problem is not None:
                yield f"its parameter group does not require TLS: {problem}", database.urn
    plain = [ln for ln in _of(args, *LISTENER) if str(get(ln.props, "protocol", default="")).upper() == "HTTP"]
    for rule in _of(args, *LISTENER_RULE):
        on_plain = [p for p in plain if _uses(rule, "listenerArn", p)]
        forwards = [
            a for a in listify(get(rule.props, "actions")) if str(get(a, "type", default="")).lower() == "forward"
        ]
        if on_plain and forwards:
            yield "a rule of the plain-HTTP listener forwards requests instead of redirecting them", rule.urn


STORAGE_ENCRYPTED = resource_rule(
    "storage-encrypted-with-kms",
    "Data at rest (databases, caches, brokers, logs, secrets, volumes, file systems, queues, topics, "
    "registries, backup vaults, Kubernetes secrets, EBS StorageClasses) is encrypted with a customer-managed "
    "KMS key (AES-256); S3 buckets are covered by s3-private-versioned-encrypted.",
    Severity.HIGH,
    "Create an aws.kms.Key with rotation and pass its ARN (kmsKeyId / keyArn); enable the resource's encryption flag.",
    (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER, REDIS, MQ_BROKER, LOG_GROUP, SECRET, EBS_VOLUME, LAUNCH_TEMPLATE,
     EKS_CLUSTER, EFS, ECR, SNS, SQS, BACKUP_VAULT, lambda t: kind_of(t) == "StorageClass"),
    _storage,
)  # fmt: skip

KEY_ROTATION = resource_rule(
    "kms-key-rotation",
    "Customer-managed symmetric KMS keys rotate yearly; every key is deleted only after a 30-day window.",
    Severity.MEDIUM,
    "Set enable_key_rotation=True and deletion_window_in_days=30 on the aws.kms.Key.",
    (KMS_KEY,),
    _rotation,
)

TLS_IN_TRANSIT = resource_rule(
    "tls-in-transit",
    "Traffic is encrypted in transit and TLS is required, not offered: TLS 1.3 only at the public listeners, "
    "HTTP redirected to HTTPS, Redis transit encryption in required mode, parameter groups forcing TLS for "
    "PostgreSQL (rds.force_ssl, TLS 1.2+), MySQL (require_secure_transport) and DocumentDB (tls).",
    Severity.HIGH,
    "Use a TLS13-1-3 ELB security policy and an HTTP->HTTPS redirect; set rds.force_ssl=1, "
    "transit_encryption_enabled=True with transit_encryption_mode required, DocumentDB tls=enabled.",
    (REDIS, CACHE_CLUSTER, *RDS_PARAMETER_GROUPS, DOCDB_PARAMETER_GROUP, *LISTENER, MQ_BROKER),
    _tls,
)

TLS_PARAMETER_GROUPS_USED = stack_rule(
    "tls-required-where-used",
    "Every PostgreSQL, MySQL and DocumentDB database uses a parameter group of the stack that requires TLS, "
    "and no rule of a plain-HTTP listener forwards around its redirect to HTTPS.",
    Severity.HIGH,
    "Create the engine's parameter group with TLS forced and pass its name (parameter_group_name / "
    "db_cluster_parameter_group_name); give the HTTP listener only a redirect.",
    _tls_in_use,
)

POLICIES = (STORAGE_ENCRYPTED, KEY_ROTATION, TLS_IN_TRANSIT, TLS_PARAMETER_GROUPS_USED)
