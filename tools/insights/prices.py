"""The price table of ``infra cost``: AWS on-demand list prices for one region, in US dollars.

Recorded on PRICES_DATE from the public AWS pricing pages named beside each group (on-demand, Linux,
no reserved capacity, no Savings Plans, no free tier, no taxes). Prices change: refresh the figures
and the date together. A month is HOURS_PER_MONTH hours (AWS's own convention on its pricing pages).
Usage that a plan cannot show (data through a NAT gateway, requests, log volume, stored bytes) is an
assumption in USAGE, printed with every estimate; change it here, in one place.
"""

from __future__ import annotations

PRICES_DATE = "2025-06-01"
HOURS_PER_MONTH = 730.0

# Regions with a table: US East (N. Virginia) and US West (Oregon) list the same on-demand prices for
# everything below. Any other region: every resource is listed as unpriced (never a silent zero).
REGIONS = ("us-east-1", "us-west-2")

# Amazon EKS pricing: per cluster-hour in standard support; extended support costs 0.60.
EKS_CLUSTER_HOUR = 0.10
EKS_EXTENDED_CLUSTER_HOUR = 0.60

# Amazon EC2 On-Demand pricing, Linux, per instance-hour.
EC2_HOUR: dict[str, float] = {
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3.xlarge": 0.1664,
    "t3a.large": 0.0752,
    "t4g.nano": 0.0042,
    "t4g.micro": 0.0084,
    "t4g.small": 0.0168,
    "t4g.medium": 0.0336,
    "t4g.large": 0.0672,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "m5a.xlarge": 0.172,
    "m6a.xlarge": 0.1728,
    "m7i-flex.xlarge": 0.19152,
    "m6i.large": 0.096,
    "m6i.xlarge": 0.192,
    "m6i.2xlarge": 0.384,
    "m6g.large": 0.077,
    "m6g.xlarge": 0.154,
    "m7i.large": 0.1008,
    "m7i.xlarge": 0.2016,
    "c6i.xlarge": 0.17,
    "r6i.large": 0.126,
}

# Amazon EC2 Spot Instances, Linux, per instance-hour, per region: the on-demand price above less the
# average saving over on-demand that the Spot Instance Advisor publishes per type and region (its data
# feed, https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json, as of SPOT_DATE; the advisor
# page, https://aws.amazon.com/ec2/spot/instance-advisor/, shows the same figures). Spot prices move
# with supply and demand, per zone: refresh the savings, the figures and the date together. A SPOT node
# group is priced at the dearest of its instance types (whichever the allocation strategy picks, the
# bill is at most that); a type missing here leaves the group unpriced, never priced as on-demand.
SPOT_DATE = "2025-06-28"
# (type: saving over on-demand in per cent, us-east-1 / us-west-2), from the same feed and date.
SPOT_SAVINGS: dict[str, dict[str, int]] = {
    "us-east-1": {"m5.xlarge": 66, "m5a.xlarge": 54, "m6a.xlarge": 57, "m7i-flex.xlarge": 62, "t3.large": 62,
                  "m5.large": 66, "m6i.large": 63, "m6i.xlarge": 55},
    "us-west-2": {"m5.xlarge": 67, "m5a.xlarge": 54, "m6a.xlarge": 60, "m7i-flex.xlarge": 63, "t3.large": 67,
                  "m5.large": 62, "m6i.large": 62, "m6i.xlarge": 59},
}  # fmt: skip
SPOT_HOUR: dict[str, dict[str, float]] = {
    region: {size: round(EC2_HOUR[size] * (100 - saving) / 100, 4) for size, saving in savings.items()}
    for region, savings in SPOT_SAVINGS.items()
}

# Amazon VPC pricing: NAT gateway per hour and per GB processed; a public IPv4 address per hour;
# an interface endpoint per hour in each zone (subnet) and per GB processed. Gateway endpoints: free.
NAT_HOUR = 0.045
NAT_GB = 0.045
PUBLIC_IPV4_HOUR = 0.005
INTERFACE_ENDPOINT_ZONE_HOUR = 0.01
INTERFACE_ENDPOINT_GB = 0.01

# Elastic Load Balancing pricing: Application Load Balancer per hour and per LCU-hour.
ALB_HOUR = 0.0225
ALB_LCU_HOUR = 0.008
NLB_HOUR = 0.0225
NLB_LCU_HOUR = 0.006

# Amazon RDS for PostgreSQL pricing, Single-AZ per instance-hour (Multi-AZ with one standby: twice);
# storage per GB-month (Multi-AZ: twice).
RDS_POSTGRES_HOUR: dict[str, float] = {
    "db.t3.micro": 0.018,
    "db.t3.small": 0.036,
    "db.t3.medium": 0.072,
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.m6g.large": 0.159,
    "db.m6i.large": 0.178,
    "db.m7g.large": 0.168,
    "db.r6g.large": 0.225,
    "db.r6g.xlarge": 0.45,
    "db.r6i.large": 0.25,
}
RDS_STORAGE_GB: dict[str, float] = {"gp2": 0.115, "gp3": 0.115, "io1": 0.125}
# RDS backup storage beyond the instance's own size, and AWS Backup's warm storage of RDS snapshots;
# a cross-region copy also pays inter-region data transfer once per copied GB.
BACKUP_STORAGE_GB = 0.095
INTER_REGION_GB = 0.02

# Amazon ElastiCache pricing, Redis OSS, per node-hour.
ELASTICACHE_HOUR: dict[str, float] = {
    "cache.t3.micro": 0.017,
    "cache.t3.small": 0.034,
    "cache.t3.medium": 0.068,
    "cache.t4g.micro": 0.016,
    "cache.t4g.small": 0.032,
    "cache.t4g.medium": 0.065,
    "cache.m6g.large": 0.149,
    "cache.m7g.large": 0.158,
    "cache.r6g.large": 0.206,
    "cache.r7g.large": 0.219,
}

# Amazon MQ pricing, RabbitMQ, per broker-instance-hour (a CLUSTER_MULTI_AZ broker runs 3 instances);
# storage per GB-month.
MQ_RABBITMQ_HOUR: dict[str, float] = {
    "mq.t3.micro": 0.03,
    "mq.m5.large": 0.288,
    "mq.m5.xlarge": 0.576,
    "mq.m5.2xlarge": 1.152,
}
MQ_STORAGE_GB = 0.10

# Amazon DocumentDB pricing (standard storage configuration): per instance-hour, storage per GB-month,
# I/O per million requests.
DOCDB_HOUR: dict[str, float] = {
    "db.t3.medium": 0.078,
    "db.t4g.medium": 0.073,
    "db.r5.large": 0.277,
    "db.r6g.large": 0.249,
    "db.r6g.xlarge": 0.497,
}
DOCDB_STORAGE_GB = 0.10
DOCDB_IO_MILLION = 0.20

# Amazon S3 pricing, S3 Standard per GB-month (first 50 TB).
S3_STANDARD_GB = 0.023
# Amazon ECR pricing: storage per GB-month.
ECR_GB = 0.10
# AWS KMS pricing: per customer managed key-month, per 10,000 requests.
KMS_KEY_MONTH = 1.00
KMS_10K_REQUESTS = 0.03
# AWS WAF pricing: per web ACL-month, per rule-month, per million requests.
WAF_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00
WAF_MILLION_REQUESTS = 0.60
# Amazon CloudWatch pricing: logs ingested per GB, stored per GB-month.
LOGS_INGEST_GB = 0.50
LOGS_STORED_GB = 0.03
# Amazon EBS pricing: gp3 per GB-month (baseline IOPS and throughput included).
EBS_GB: dict[str, float] = {"gp3": 0.08, "gp2": 0.10}
# AWS Secrets Manager pricing: per secret-month.
SECRET_MONTH = 0.40
# AWS Systems Manager pricing, Parameter Store: standard parameters free, advanced per parameter-month.
SSM_ADVANCED_MONTH = 0.05

# What a plan cannot show, assumed per month. Printed with every estimate.
USAGE: dict[str, float] = {
    "nat_gb": 100.0,  # GB processed by each NAT gateway
    "endpoint_gb": 10.0,  # GB processed by each interface endpoint
    "alb_lcu": 1.0,  # average LCUs of each load balancer
    "waf_million_requests": 10.0,  # requests inspected by each web ACL
    "kms_requests": 100_000.0,  # requests to each KMS key
    "log_gb": 5.0,  # GB ingested into each log group
    # GB ingested into each function's log group (/aws/lambda/...): the platform's functions run on a
    # schedule (every 5 minutes at most) and write a few lines each time, megabytes a month
    "function_log_gb": 0.1,
    "s3_gb": 50.0,  # GB stored in each bucket
    "ecr_gb": 5.0,  # GB of images in each repository
    "mq_gb": 20.0,  # GB of storage per broker instance
    "docdb_gb": 20.0,  # GB stored by each DocumentDB cluster
    "docdb_million_io": 10.0,  # million I/O requests of each DocumentDB cluster
    "vault_fraction": 1.0,  # recovery points in a vault, as a multiple of the protected datastores' storage
}

USAGE_TEXT: dict[str, str] = {
    "nat_gb": "each NAT gateway processes {v:g} GB a month",
    "endpoint_gb": "each interface endpoint processes {v:g} GB a month",
    "alb_lcu": "each load balancer averages {v:g} LCU",
    "waf_million_requests": "each web ACL inspects {v:g} million requests a month",
    "kms_requests": "each KMS key serves {v:,.0f} requests a month",
    "log_gb": "each log group ingests {v:g} GB a month and keeps it for its retention (at most 12 months counted)",
    "function_log_gb": "each scheduled function's log group (/aws/lambda/...) ingests {v:g} GB a month, kept alike",
    "s3_gb": "each bucket stores {v:g} GB (S3 Standard)",
    "ecr_gb": "each image repository stores {v:g} GB",
    "mq_gb": "each broker instance uses {v:g} GB of storage",
    "docdb_gb": "each DocumentDB cluster stores {v:g} GB",
    "docdb_million_io": "each DocumentDB cluster makes {v:g} million I/O requests a month",
    "vault_fraction": "a backup vault holds {v:g}x the storage of the datastores it protects (copies: once more, "
    "plus the transfer between regions)",
}

# Types that AWS does not bill by themselves (the bill is on what they configure or on the nodes that
# run them). Listed as free, not as unpriced.
FREE_TYPES = {
    "aws:acm/certificate:Certificate",  # public ACM certificates are free
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:autoscaling/attachment:Attachment",
    "aws:backup/plan:Plan",  # the vault's storage is billed
    "aws:backup/selection:Selection",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan",  # the restored copy is billed while it runs (hours)
    "aws:backup/restoreTestingSelection:RestoreTestingSelection",
    "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
    "aws:docdb/subnetGroup:SubnetGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/flowLog:FlowLog",  # billed as its log group's ingestion
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/launchTemplate:LaunchTemplate",  # its volumes are billed with the node group or the instance
    "aws:ec2/networkInterface:NetworkInterface",  # free; its public address is billed as the Elastic IP
    "aws:ec2/route:Route",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:eks/addon:Addon",  # runs on the nodes
    "aws:eks/accessEntry:AccessEntry",  # EKS access entries and their policies are free
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias",
    "aws:lb/listener:Listener",
    "aws:lb/targetGroup:TargetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:route53/record:Record",  # records are free; alias queries to an ELB are free
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretRotation:SecretRotation",  # the rotation's Lambda is billed (negligible)
    "aws:lambda/permission:Permission",
    "aws:lambda/invocation:Invocation",  # one invocation at deploy time, within Lambda's free requests
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",  # billed as its log group
    "random:index/randomPassword:RandomPassword",
}
# Whole families that cost nothing by themselves: Pulumi providers; Kubernetes objects (they run on
# the nodes, priced with the node group; volumes that Helm charts claim are priced with the release).
FREE_PREFIXES = ("pulumi:providers:", "kubernetes:")
# Usage-billed types whose usage is assumed small enough to be free of charge: a stated zero.
NEGLIGIBLE_TYPES = {
    "aws:lambda/function:Function": "a few scheduled invocations a month: within Lambda's free requests",
    "aws:scheduler/schedule:Schedule": "a few invocations a month: within EventBridge Scheduler's free tier",
}
