"""Encryption at rest with customer-managed KMS keys, and TLS in transit (the system's requirements:
AES-256 at rest, TLS 1.3 in transit)."""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import ResourceValidationArgs, Severity

from policies.rules._base import Props, get, listify, resource_rule

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
DOCDB_CLUSTER = "aws:docdb/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
MQ_BROKER = "aws:mq/broker:Broker"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET = "aws:secretsmanager/secret:Secret"
EBS_VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KMS_KEY = "aws:kms/key:Key"
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener", "aws:elasticloadbalancingv2/listener:Listener")
RDS_PARAMETER_GROUPS = ("aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup")
DOCDB_PARAMETER_GROUP = "aws:docdb/clusterParameterGroup:ClusterParameterGroup"

# ELB security policies that negotiate TLS 1.3 only.
TLS13_ONLY_POLICIES = frozenset(
    {
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
    }
)


def _storage(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    kind = args.resource_type
    if kind in (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER):
        if get(props, "storageEncrypted") is not True:
            yield "storage is not encrypted (storageEncrypted is not true)"
        elif not get(props, "kmsKeyId"):
            yield "storage is encrypted with the AWS-managed key; name a customer-managed KMS key (kmsKeyId)"
    elif kind == REDIS:
        if get(props, "atRestEncryptionEnabled") is not True:
            yield "at-rest encryption is off (atRestEncryptionEnabled)"
        elif not get(props, "kmsKeyId"):
            yield "at-rest encryption uses the AWS-managed key; name a customer-managed KMS key (kmsKeyId)"
    elif kind == MQ_BROKER:
        options = get(props, "encryptionOptions", default={})
        if get(options, "useAwsOwnedKey", default=True) is not False or not get(options, "kmsKeyId"):
            yield "the broker uses an AWS-owned key; set encryptionOptions.kmsKeyId and useAwsOwnedKey false"
    elif kind in (LOG_GROUP, SECRET):
        if not get(props, "kmsKeyId"):
            yield "no customer-managed KMS key (kmsKeyId)"
    elif kind == EBS_VOLUME:
        if get(props, "encrypted") is not True or not get(props, "kmsKeyId"):
            yield "the volume is not encrypted with a customer-managed KMS key"
    elif kind == LAUNCH_TEMPLATE:
        for mapping in listify(get(props, "blockDeviceMappings")):
            ebs = get(mapping, "ebs", default={})
            if str(get(ebs, "encrypted", default="false")).lower() != "true" or not get(ebs, "kmsKeyId"):
                yield f"block device {get(mapping, 'deviceName', default='?')} is not encrypted with a KMS key"
    elif kind == EKS_CLUSTER:
        encryption = get(props, "encryptionConfig")
        if "secrets" not in listify(get(encryption, "resources")) or not get(encryption, "provider", "keyArn"):
            yield "Kubernetes secrets are not envelope-encrypted with a KMS key (encryptionConfig)"
    elif kind == S3_SSE:
        for rule in listify(get(props, "rules")):
            default = get(rule, "applyServerSideEncryptionByDefault", default={})
            if get(default, "sseAlgorithm") not in ("aws:kms", "aws:kms:dsse") or not get(default, "kmsMasterKeyId"):
                yield "the bucket's default encryption is not SSE-KMS with a customer-managed key"


def _rotation(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    # KMS rotates symmetric encryption keys only; asymmetric and HMAC keys are replaced, not rotated.
    symmetric = get(props, "customerMasterKeySpec", default="SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    if symmetric and get(props, "enableKeyRotation") is not True:
        yield "automatic key rotation is off (enableKeyRotation)"
    window = get(props, "deletionWindowInDays", default=30)
    if window < 30:
        yield f"deletion window is {window} days; 30 leaves time to notice a mistaken deletion"


def _tls(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    kind = args.resource_type
    if kind == REDIS and get(props, "transitEncryptionEnabled") is not True:
        yield "in-transit encryption is off (transitEncryptionEnabled)"
    elif kind in RDS_PARAMETER_GROUPS and "postgres" in str(get(props, "family", default="")):
        forced = [p for p in listify(get(props, "parameters")) if get(p, "name") == "rds.force_ssl"]
        if not forced or str(get(forced[0], "value")) != "1":
            yield "PostgreSQL does not require TLS (parameter rds.force_ssl must be 1)"
    elif kind == DOCDB_PARAMETER_GROUP:
        for parameter in listify(get(props, "parameters")):
            if get(parameter, "name") == "tls" and str(get(parameter, "value")) == "disabled":
                yield "DocumentDB TLS is disabled (parameter tls)"
    elif kind in LISTENER:
        protocol = str(get(props, "protocol", default="HTTP")).upper()
        if protocol in ("HTTPS", "TLS"):
            policy = get(props, "sslPolicy")
            if policy not in TLS13_ONLY_POLICIES:
                yield f"the listener accepts protocols older than TLS 1.3 (sslPolicy {policy})"
        elif protocol == "HTTP":
            actions = listify(get(props, "defaultActions"))
            redirects = [a for a in actions if get(a, "type") == "redirect"]
            if not redirects or str(get(redirects[0], "redirect", "protocol", default="")).upper() != "HTTPS":
                yield "plain HTTP is served instead of redirected to HTTPS"
    elif kind == MQ_BROKER and str(get(props, "engineType", default="")).lower() not in ("rabbitmq", "activemq"):
        yield f"unknown broker engine {get(props, 'engineType')}"


STORAGE_ENCRYPTED = resource_rule(
    "storage-encrypted-with-kms",
    "Data at rest (databases, caches, brokers, logs, secrets, volumes, buckets, Kubernetes secrets) is "
    "encrypted with a customer-managed KMS key (AES-256).",
    Severity.HIGH,
    "Create an aws.kms.Key with rotation and pass its ARN (kmsKeyId / keyArn); enable the resource's encryption flag.",
    (RDS_INSTANCE, RDS_CLUSTER, DOCDB_CLUSTER, REDIS, MQ_BROKER, LOG_GROUP, SECRET, EBS_VOLUME, LAUNCH_TEMPLATE,
     EKS_CLUSTER, S3_SSE),
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
    "Traffic is encrypted in transit: TLS 1.3 only at the public listeners, HTTP redirected to HTTPS, "
    "TLS required by PostgreSQL, Redis, DocumentDB and the broker.",
    Severity.HIGH,
    "Use a TLS13-1-3 ELB security policy and an HTTP->HTTPS redirect; set rds.force_ssl=1, "
    "transit_encryption_enabled=True, DocumentDB tls=enabled.",
    (REDIS, *RDS_PARAMETER_GROUPS, DOCDB_PARAMETER_GROUP, *LISTENER, MQ_BROKER),
    _tls,
)

POLICIES = (STORAGE_ENCRYPTED, KEY_ROTATION, TLS_IN_TRANSIT)
