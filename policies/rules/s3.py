"""S3, every resource type of the pinned provider: buckets (``Bucket``, the former ``BucketV2``, directory
buckets) and the split resources that configure them, in both their names (``BucketVersioning`` and
``BucketVersioningV2``, ...). Every bucket blocks public access, is versioned, is encrypted with a
customer-managed KMS key and has a policy denying requests without TLS; no ACL, object, access point
or policy makes anything public. A configuration resource belongs to a bucket by its ``bucket``
input: the bucket's URN among its dependencies, or the bucket's name. The one exception to KMS: a
bucket a load balancer writes access logs into may use SSE-S3 (AES-256), the only encryption Elastic
Load Balancing accepts there."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from policies.rules._base import (
    Props,
    allows,
    condition_keys,
    field,
    get,
    is_true,
    listify,
    policy_statements,
    principals,
    resource_rule,
    stack_rule,
)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:s3/directoryBucket:DirectoryBucket")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ACCESS_POINT = "aws:s3/accessPoint:AccessPoint"
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
WEBSITES = (
    "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
    "aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2",
)
OBJECTS = (
    "aws:s3/bucketObject:BucketObject",
    "aws:s3/bucketObjectv2:BucketObjectv2",
    "aws:s3/BucketObject:BucketObject",
)
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_GRANTEES = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
# Conditions that keep a statement with Principal "*" to known callers.
RESTRICTING_KEYS = frozenset(
    {"aws:principalorgid", "aws:principalaccount", "aws:principalarn", "aws:sourceaccount", "aws:sourcearn",
     "aws:sourceorgid", "aws:sourcevpce", "aws:sourcevpc", "aws:principalorgpaths"}
)  # fmt: skip


def public_acl(acl: Any) -> bool:
    return str(acl or "private").strip().lower() in ("public-read", "public-read-write", "authenticated-read")


def open_to_anyone(statement: Mapping[str, Any]) -> bool:
    """An Allow statement whose principal is anyone (``*`` in any shape), with no condition naming the caller."""
    if not allows(statement):
        return False
    if field(statement, "NotPrincipal") is not None:
        return True
    return "*" in principals(statement) and not (set(condition_keys(statement)) & RESTRICTING_KEYS)


def _flags_off(props: Props, default: bool = False) -> list[str]:
    return [f for f in BLOCK_FLAGS if not is_true(get(props, f, default=default))]


def _public(args: ResourceValidationArgs, props: Props) -> Iterable[str]:
    kind = args.resource_type
    if kind in (PUBLIC_ACCESS_BLOCK, ACCOUNT_PUBLIC_ACCESS_BLOCK):
        off = _flags_off(props)
        if off:
            yield f"public access is not fully blocked ({', '.join(off)} not true)"
    elif kind == ACCESS_POINT:
        off = _flags_off(get(props, "publicAccessBlockConfiguration", default={}), default=True)
        if off:
            yield f"the access point does not block public access ({', '.join(off)})"
    elif kind in ACLS:
        if public_acl(get(props, "acl")):
            yield f"the bucket ACL is {get(props, 'acl')}"
        for grant in listify(get(props, "accessControlPolicy", "grants")):
            uri = str(get(grant, "grantee", "uri", default=""))
            if any(uri.endswith(g) for g in PUBLIC_GRANTEES):
                yield f"the ACL grants {get(grant, 'permission', default='?')} to {uri.rsplit('/', 1)[-1]}"
    elif public_acl(get(props, "acl")):  # a bucket's own or an object's ACL
        yield f"the ACL is {get(props, 'acl')}"


def _of(args: StackValidationArgs, *types: str) -> Iterator[PolicyResource]:
    return (r for r in args.resources if r.resource_type in types)


def belongs(resource: PolicyResource, bucket: PolicyResource) -> bool:
    """``resource`` configures ``bucket``: its ``bucket`` input depends on the bucket or names it."""
    if any(d.urn == bucket.urn for d in resource.property_dependencies.get("bucket", [])):
        return True
    name = get(bucket.props, "bucket")
    return name is not None and get(resource.props, "bucket") == name


def _kms_rules(rules: Any) -> bool:
    listed = listify(rules)
    return bool(listed) and all(
        str(get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm", default="")).lower()
        in ("aws:kms", "aws:kms:dsse")
        and get(r, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
        for r in listed
    )


def _sse_s3_rules(rules: Any) -> bool:
    listed = listify(rules)
    return bool(listed) and all(
        str(get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm", default="")).lower() == "aes256"
        for r in listed
    )


LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def access_log_buckets(args: StackValidationArgs) -> tuple[set[str], set[str]]:
    """The names and URNs of the buckets load balancers write access logs into."""
    names: set[str] = set()
    urns: set[str] = set()
    for lb in _of(args, *LOAD_BALANCERS):
        if is_true(get(lb.props, "accessLogs", "enabled")):
            name = get(lb.props, "accessLogs", "bucket")
            if isinstance(name, str):
                names.add(name)
            urns |= {d.urn for d in lb.property_dependencies.get("accessLogs", [])}
    return names, urns


def _denies_plain_http(statement: Mapping[str, Any]) -> bool:
    if str(field(statement, "Effect") or "").strip().lower() != "deny" or "*" not in principals(statement):
        return False
    actions = [str(a).lower() for a in listify(field(statement, "Action"))]
    if not any(a in ("*", "s3:*") for a in actions):
        return False
    condition = field(statement, "Condition")
    for operator, block in condition.items() if isinstance(condition, Mapping) else []:
        if str(operator).lower() in ("bool", "boolifexists") and isinstance(block, Mapping):
            for key, value in block.items():
                if str(key).lower() == "aws:securetransport" and all(str(v).lower() == "false" for v in listify(value)):
                    return True
    return False


def _buckets(args: StackValidationArgs) -> Iterable[tuple[str, str | None]]:
    blocks = list(_of(args, PUBLIC_ACCESS_BLOCK))
    versionings = list(_of(args, *VERSIONING))
    encryptions = list(_of(args, *ENCRYPTION))
    policies = list(_of(args, *POLICY))
    websites = list(_of(args, *WEBSITES))
    log_names, log_urns = access_log_buckets(args)
    for bucket in _of(args, *BUCKETS):
        access_logs = bucket.urn in log_urns or get(bucket.props, "bucket") in log_names
        mine = [b for b in blocks if belongs(b, bucket)]
        if not mine:
            yield "the bucket has no public access block", bucket.urn
        elif any(_flags_off(b.props) for b in mine):
            yield "the bucket's public access block leaves some public access open", bucket.urn
        if bucket.resource_type == "aws:s3/directoryBucket:DirectoryBucket":
            yield "a directory bucket cannot be versioned; use a general-purpose bucket", bucket.urn
        else:
            inline = is_true(get(bucket.props, "versioning", "enabled")) or any(
                is_true(get(v, "enabled")) for v in listify(get(bucket.props, "versionings"))
            )
            status = [str(get(v.props, "versioningConfiguration", "status", default="")).lower()
                      for v in versionings if belongs(v, bucket)]  # fmt: skip
            versioned = all(s == "enabled" for s in status) if status else inline
            if not versioned:
                yield "versioning is not enabled on the bucket", bucket.urn
        inline_sse = [
            rule
            for config in listify(get(bucket.props, "serverSideEncryptionConfiguration"))
            + listify(get(bucket.props, "serverSideEncryptionConfigurations"))
            for rule in listify(get(config, "rule")) + listify(get(config, "rules"))
        ]
        configured = [e for e in encryptions if belongs(e, bucket)]
        if access_logs and configured and all(_sse_s3_rules(get(e.props, "rules")) for e in configured):
            pass  # ELB writes access logs only into SSE-S3 buckets
        elif (
            not (configured or inline_sse)
            or not all(_kms_rules(get(e.props, "rules")) for e in configured)
            or (inline_sse and not configured and not _kms_rules(inline_sse))
        ):
            yield "the bucket's default encryption is not SSE-KMS with a customer-managed key", bucket.urn
        statements = [s for p in policies if belongs(p, bucket) for s in policy_statements(get(p.props, "policy"))]
        statements += policy_statements(get(bucket.props, "policy"))
        if not any(_denies_plain_http(s) for s in statements):
            yield (
                "no bucket policy denies requests without TLS (Deny s3:* when aws:SecureTransport is false)",
                bucket.urn,
            )
        if any(open_to_anyone(s) for s in statements):
            yield "the bucket policy lets anyone in (Principal '*' without a condition naming the caller)", bucket.urn
        if any(belongs(w, bucket) for w in websites) or get(bucket.props, "website"):
            yield "the bucket serves a website, over plain HTTP and meant to be public", bucket.urn


NO_PUBLIC_BUCKETS = resource_rule(
    "s3-no-public-access",
    "S3 public access blocks (bucket, account, access point) have all four flags on; no bucket, object or "
    "ACL resource grants access to everyone or every AWS user.",
    Severity.CRITICAL,
    "Add a BucketPublicAccessBlock with all four flags true; remove public ACLs and grants.",
    (PUBLIC_ACCESS_BLOCK, ACCOUNT_PUBLIC_ACCESS_BLOCK, ACCESS_POINT, *ACLS, *OBJECTS, *BUCKETS),
    _public,
)

BUCKETS_PRIVATE_VERSIONED_ENCRYPTED = stack_rule(
    "s3-private-versioned-encrypted",
    "Every S3 bucket has a public access block with all flags on, versioning enabled, default SSE-KMS "
    "encryption with a customer-managed key, and a policy that denies requests without TLS and lets no "
    "one in unconditionally; no bucket serves a website.",
    Severity.HIGH,
    "Add BucketPublicAccessBlock, BucketVersioning (Enabled), BucketServerSideEncryptionConfiguration (aws:kms) "
    "and a BucketPolicy denying aws:SecureTransport false (components/backups/buckets.py builds them).",
    _buckets,
)

POLICIES = (NO_PUBLIC_BUCKETS, BUCKETS_PRIVATE_VERSIONED_ENCRYPTED)
