"""Which input changes make Pulumi replace a resource instead of updating it in place.

The Python SDKs of pulumi-aws and pulumi-kubernetes do not carry the providers' schemas' ``forceNew``
flags, so this is a table, from the AWS provider's documentation of each resource (arguments marked
"Forces new resource" / "Changing this forces a new resource") and the Kubernetes provider's rules
(an object's name or namespace, and immutable fields such as a Deployment's selector). A path listed
here replaces the resource when it, or anything below it, changes.
"""

from __future__ import annotations

REPLACE_PATHS: dict[str, tuple[str, ...]] = {
    "aws:rds/instance:Instance": (
        "identifier", "identifierPrefix", "engine", "dbName", "kmsKeyId", "storageEncrypted",
        "availabilityZone", "username", "characterSetName", "timezone", "snapshotIdentifier",
        "restoreToPointInTime", "replicateSourceDb", "customIamInstanceProfile",
    ),
    "aws:rds/parameterGroup:ParameterGroup": ("name", "family"),
    "aws:rds/subnetGroup:SubnetGroup": ("name",),
    "aws:ec2/vpc:Vpc": ("cidrBlock", "instanceTenancy"),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "vpcId", "availabilityZone", "availabilityZoneId"),
    "aws:ec2/natGateway:NatGateway": ("subnetId", "allocationId", "connectivityType"),
    "aws:ec2/eip:Eip": ("domain",),
    "aws:ec2/instance:Instance": ("ami", "availabilityZone", "subnetId", "keyName", "launchTemplate", "tenancy"),
    "aws:ec2/networkInterface:NetworkInterface": ("subnetId", "privateIp", "interfaceType"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "vpcId", "description"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcId", "vpcEndpointType"),
    "aws:ec2/routeTable:RouteTable": ("vpcId",),
    "aws:ec2/launchTemplate:LaunchTemplate": ("name", "namePrefix"),
    "aws:eks/cluster:Cluster": (
        "name", "roleArn", "kubernetesNetworkConfig.serviceIpv4Cidr", "kubernetesNetworkConfig.ipFamily",
        "encryptionConfig.provider.keyArn", "outpostConfig", "bootstrapSelfManagedAddons",
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        "clusterName", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "subnetIds", "instanceTypes",
        "amiType", "capacityType", "diskSize", "remoteAccess",
    ),
    "aws:eks/addon:Addon": ("clusterName", "addonName"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName", "port", "engine",
        "snapshotName", "snapshotArns", "dataTieringEnabled",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": ("name",),
    "aws:mq/broker:Broker": (
        "brokerName", "deploymentMode", "engineType", "encryptionOptions", "storageType", "subnetIds",
        "publiclyAccessible", "authenticationStrategy",
    ),
    "aws:docdb/cluster:Cluster": (
        "clusterIdentifier", "clusterIdentifierPrefix", "kmsKeyId", "storageEncrypted", "masterUsername",
        "dbSubnetGroupName", "availabilityZones", "snapshotIdentifier", "engine",
    ),
    "aws:docdb/clusterInstance:ClusterInstance": ("identifier", "identifierPrefix", "clusterIdentifier", "engine"),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"),
    "aws:kms/alias:Alias": ("name", "namePrefix"),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "namePrefix", "internal", "loadBalancerType"),
    "aws:lb/targetGroup:TargetGroup": ("name", "namePrefix", "port", "protocol", "vpcId", "targetType"),
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": ("name", "role"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix"),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
    "aws:backup/vault:Vault": ("name", "kmsKeyArn"),
    "aws:backup/plan:Plan": ("name",),
    "aws:ecr/repository:Repository": ("name", "encryptionConfigurations"),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:acm/certificate:Certificate": ("domainName", "subjectAlternativeNames", "keyAlgorithm"),
    "aws:route53/record:Record": ("name", "type", "zoneId", "setIdentifier"),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:apps/v1:StatefulSet": ("spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"),
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
}  # fmt: skip
# Every Kubernetes object is replaced when its name or namespace changes.
KUBERNETES_REPLACE_PATHS = ("metadata.name", "metadata.namespace")

# Types whose replacement loses data (or every object inside them): shown first in a diff.
STATEFUL_TYPES = {
    "aws:rds/instance:Instance",
    "aws:docdb/cluster:Cluster",
    "aws:docdb/clusterInstance:ClusterInstance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:mq/broker:Broker",
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:backup/vault:Vault",
    "aws:secretsmanager/secret:Secret",
    "aws:eks/cluster:Cluster",
    "aws:ecr/repository:Repository",
    "aws:cloudwatch/logGroup:LogGroup",
}


def replacing_paths(kind: str, changed: list[str]) -> list[str]:
    """The changed paths of ``kind`` that force a replacement."""
    rules = REPLACE_PATHS.get(kind, ())
    if kind.startswith("kubernetes:") and kind != "kubernetes:helm.sh/v3:Release":
        rules = (*rules, *KUBERNETES_REPLACE_PATHS)
    return [p for p in changed if any(p == r or p.startswith((r + ".", r + "[")) for r in rules)]
