"""Resource outputs the offline engine's mocks answer with: shaped like the real provider's.

The stack program reads outputs of one resource into the inputs of the next (a node group takes the
cluster's name, IRSA roles take the OIDC issuer). An output the mocks do not return is silently lost,
and the dependency edge through it too, so every attribute the program reads downstream is answered
here with a value shaped like AWS's (ids with their prefixes, ARNs with partition, region and account)
or the Kubernetes API server's (generated names, uids).

Values are derived from a hash of the resource's type and name (``hashed`` below): two plans of the
same code are identical. The account is the documentation placeholder 123456789012.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from pulumi.runtime import MockResourceArgs

from tools.offline.ids import ACCOUNT_ID, ALB_HOSTED_ZONE_IDS, DEFAULT_REGION, PARTITION, digest, region_code
from tools.offline.outputs_data import DATA_OUTPUTS, mock_password

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "PARTITION",
    "aws_outputs",
    "digest",
    "kubernetes_outputs",
    "mock_password",
    "region_code",
]

# Resource types whose physical id carries an AWS prefix.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/route:Route": "r-rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/instance:Instance": "i-",
    "aws:ec2/networkInterface:NetworkInterface": "eni-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    # datastores
    "aws:mq/broker:Broker": "b-",
    "aws:route53/record:Record": "",
}
# ARN resource part by type (service, resource-path builder from (id, outputs)).
_ARN: dict[str, tuple[str, Callable[[str, dict[str, Any]], str]]] = {
    "aws:ec2/vpc:Vpc": ("ec2", lambda i, o: f"vpc/{i}"),
    "aws:ec2/subnet:Subnet": ("ec2", lambda i, o: f"subnet/{i}"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", lambda i, o: f"security-group/{i}"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", lambda i, o: f"launch-template/{i}"),
    "aws:ec2/instance:Instance": ("ec2", lambda i, o: f"instance/{i}"),
    "aws:ec2/networkInterface:NetworkInterface": ("ec2", lambda i, o: f"network-interface/{i}"),
    "aws:ec2/natGateway:NatGateway": ("ec2", lambda i, o: f"natgateway/{i}"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2", lambda i, o: f"vpc-endpoint/{i}"),
    "aws:ec2/flowLog:FlowLog": ("ec2", lambda i, o: f"vpc-flow-log/{i}"),
    "aws:kms/key:Key": ("kms", lambda i, o: f"key/{i}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", lambda i, o: f"log-group:{o['name']}"),
    "aws:eks/cluster:Cluster": ("eks", lambda i, o: f"cluster/{o['name']}"),
    "aws:eks/nodeGroup:NodeGroup": ("eks", lambda i, o: f"nodegroup/{o['clusterName']}/{o['nodeGroupName']}/x"),
    "aws:eks/addon:Addon": ("eks", lambda i, o: f"addon/{o['clusterName']}/{o['addonName']}/x"),
    # datastores
    "aws:rds/instance:Instance": ("rds", lambda i, o: f"db:{o['identifier']}"),
    "aws:rds/parameterGroup:ParameterGroup": ("rds", lambda i, o: f"pg:{o['name']}"),
    "aws:rds/subnetGroup:SubnetGroup": ("rds", lambda i, o: f"subgrp:{o['name']}"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("elasticache", lambda i, o: f"replicationgroup:{i}"),
    "aws:elasticache/subnetGroup:SubnetGroup": ("elasticache", lambda i, o: f"subnetgroup:{o['name']}"),
    "aws:mq/broker:Broker": ("mq", lambda i, o: f"broker:{o['brokerName']}:{i}"),
    "aws:docdb/cluster:Cluster": ("rds", lambda i, o: f"cluster:{i}"),
    "aws:docdb/clusterInstance:ClusterInstance": ("rds", lambda i, o: f"db:{i}"),
    "aws:docdb/clusterParameterGroup:ClusterParameterGroup": ("rds", lambda i, o: f"cluster-pg:{o['name']}"),
    "aws:docdb/subnetGroup:SubnetGroup": ("rds", lambda i, o: f"subgrp:{o['name']}"),
    "aws:rds/snapshotCopy:SnapshotCopy": ("rds", lambda i, o: f"snapshot:{i}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", lambda i, o: f"secret:{o['name']}-{digest(o['name'])[:6]}"),
    "aws:acm/certificate:Certificate": ("acm", lambda i, o: f"certificate/{i}"),
    "aws:lb/loadBalancer:LoadBalancer": ("elasticloadbalancing", lambda i, o: f"loadbalancer/app/{o['name']}/{i[:16]}"),
    "aws:lb/targetGroup:TargetGroup": ("elasticloadbalancing", lambda i, o: f"targetgroup/{o['name']}/{i[:16]}"),
    "aws:lb/listener:Listener": ("elasticloadbalancing", lambda i, o: f"listener/app/x/{i[:16]}/{i[16:]}"),
    "aws:wafv2/webAcl:WebAcl": ("wafv2", lambda i, o: f"regional/webacl/{o['name']}/{i}"),
    # backups
    "aws:backup/vault:Vault": ("backup", lambda i, o: f"backup-vault:{o['name']}"),
    "aws:backup/plan:Plan": ("backup", lambda i, o: f"backup-plan:{i}"),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": ("backup", lambda i, o: f"restore-testing-plan:{o['name']}"),
    "aws:lambda/function:Function": ("lambda", lambda i, o: f"function:{o['name']}"),
    "aws:scheduler/schedule:Schedule": ("scheduler", lambda i, o: f"schedule/default/{o['name']}"),
    # delivery (a parameter name with a leading "/" follows "parameter" directly)
    "aws:ssm/parameter:Parameter": ("ssm", lambda i, o: f"parameter{o['name']}"),
}
_GLOBAL_ARN = {  # IAM is global: no region in its ARNs
    "aws:iam/role:Role": lambda i, o: f"role/{o['name']}",
    "aws:iam/policy:Policy": lambda i, o: f"policy/{o['name']}",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda i, o: (
        f"oidc-provider/{str(o.get('url', '')).removeprefix('https://')}"
    ),
}
# Types that Pulumi auto-names (the provider fills ``name`` with the logical name plus a suffix).
_AUTONAMED = {
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    # datastores
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/parameterGroup:ParameterGroup": "name",
    "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:elasticache/subnetGroup:SubnetGroup": "name",
    "aws:docdb/cluster:Cluster": "clusterIdentifier",
    "aws:docdb/clusterInstance:ClusterInstance": "identifier",
    "aws:docdb/clusterParameterGroup:ClusterParameterGroup": "name",
    "aws:docdb/subnetGroup:SubnetGroup": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
}


def aws_outputs(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    """Fill ``outputs`` of an AWS (or other non-Kubernetes) resource in place; returns its physical id."""
    token = args.typ
    name_key = _AUTONAMED.get(token)
    if name_key and not outputs.get(name_key):
        outputs[name_key] = f"{args.name}-{hashed[:7]}"
    resource_id = _ID_PREFIX.get(token, "") + hashed
    special = _SPECIAL.get(token)
    if special is not None:
        resource_id = special(args, outputs, hashed, region) or resource_id
    if token in _ARN:
        service, path = _ARN[token]
        outputs.setdefault("arn", f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{path(resource_id, outputs)}")
    elif token in _GLOBAL_ARN:
        outputs.setdefault("arn", f"arn:{PARTITION}:iam::{ACCOUNT_ID}:{_GLOBAL_ARN[token](resource_id, outputs)}")
    if token.startswith("aws:"):
        outputs.setdefault("tagsAll", outputs.get("tags", {}))
    return resource_id


def kubernetes_outputs(args: MockResourceArgs, outputs: dict[str, Any], hashed: str) -> str:
    """Fill ``outputs`` of a ``kubernetes:*`` resource in place; returns its id (``namespace/name``)."""
    if args.typ == "kubernetes:helm.sh/v3:Release":
        name = outputs.get("name") or f"{args.name}-{hashed[:8]}"
        outputs["name"] = name
        outputs["status"] = {
            "name": name,
            "namespace": outputs.get("namespace", "default"),
            "chart": outputs.get("chart"),
            "version": outputs.get("version"),
            "status": "deployed",
            "revision": 1,
        }
        return f"{outputs.get('namespace', 'default')}/{name}"
    metadata = dict(outputs.get("metadata") or {})
    metadata.setdefault("name", f"{args.name}-{hashed[:8]}")
    metadata["uid"] = f"{hashed[:8]}-{hashed[8:12]}-{hashed[12:16]}-{hashed[:4]}-{hashed[4:16]}"
    outputs["metadata"] = metadata
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])


def _eks_cluster(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    name = str(outputs.get("name") or f"{args.name}-{hashed[:7]}")
    outputs["name"] = name
    token = digest(name, "oidc", length=32).upper()
    outputs["endpoint"] = f"https://{token}.gr7.{region}.eks.amazonaws.com"
    outputs["certificateAuthority"] = {"data": base64.b64encode(f"offline-ca-{name}".encode()).decode()}
    outputs["identities"] = [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{token}"}]}]
    vpc_config = dict(outputs.get("vpcConfig") or {})
    vpc_config["clusterSecurityGroupId"] = "sg-" + digest(name, "cluster-sg")
    vpc_config["vpcId"] = "vpc-" + digest(name, "vpc")
    outputs["vpcConfig"] = vpc_config
    outputs["status"] = "ACTIVE"
    outputs["platformVersion"] = "eks.1"
    return name


def _eks_node_group(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    outputs["status"] = "ACTIVE"
    outputs["resources"] = [{"autoscalingGroups": [{"name": f"eks-{outputs['nodeGroupName']}-{hashed[:8]}"}]}]
    return f"{outputs.get('clusterName')}:{outputs['nodeGroupName']}"


def _eks_addon(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    outputs.setdefault("addonVersion", "v0.0.0-eksbuild.1")
    return f"{outputs.get('clusterName')}:{outputs.get('addonName')}"


def _kms_key(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    key_id = f"{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-a{hashed[15:17]}{hashed[:1]}-{digest(hashed)[:12]}"
    outputs["keyId"] = key_id
    return key_id


def _log_group(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    return str(outputs["name"])


def _iam_role(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    outputs["uniqueId"] = "AROA" + digest(hashed, "role").upper()[:17]
    return str(outputs["name"])


def _eip(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str | None:
    number = int(hashed[:4], 16)
    outputs["publicIp"] = f"198.51.{100 + number % 10}.{number % 250 + 1}"  # TEST-NET-2 style, never routed
    outputs["allocationId"] = "eipalloc-" + hashed
    return None


def _launch_template(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str | None:
    outputs["latestVersion"] = 1
    outputs["defaultVersion"] = 1
    return None


def _oidc_provider(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    url = str(outputs.get("url", "")).removeprefix("https://")
    return f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{url}"


def _acm_certificate(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    domains = [str(outputs.get("domainName", ""))] + [str(d) for d in outputs.get("subjectAlternativeNames") or []]
    outputs["domainValidationOptions"] = [
        {
            "domainName": d,
            "resourceRecordName": f"_{digest(d, 'name', length=32)}.{d}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{digest(d, 'value', length=32)}.acm-validations.aws.",
        }
        for d in domains
    ]
    outputs["status"] = "ISSUED"
    return f"{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-a{hashed[15:17]}{hashed[:1]}-{digest(hashed)[:12]}"


def _load_balancer(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str | None:
    number = int(hashed[:8], 16) % 10**10
    outputs["dnsName"] = f"{outputs['name']}-{number}.{region}.elb.amazonaws.com"
    outputs["zoneId"] = ALB_HOSTED_ZONE_IDS.get(region, "Z35SXDOTRQ7X7K")
    return None


def _route53_record(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    name = str(outputs.get("name", "")).rstrip(".")
    outputs["fqdn"] = name
    return f"{outputs.get('zoneId')}_{name}_{outputs.get('type')}"


def _web_acl(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    outputs.setdefault("name", f"{args.name}-{hashed[:7]}")
    outputs["capacity"] = 1000
    return f"{hashed[:8]}-{hashed[8:12]}-4{hashed[12:15]}-a{hashed[15:17]}{hashed[:1]}-{digest(hashed)[:12]}"


def _ecr_repository(args: MockResourceArgs, outputs: dict[str, Any], hashed: str, region: str) -> str:
    name = str(outputs.get("name") or args.name)
    outputs["name"] = name
    outputs["registryId"] = ACCOUNT_ID
    outputs["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{name}"
    outputs["arn"] = f"arn:{PARTITION}:ecr:{region}:{ACCOUNT_ID}:repository/{name}"
    return name


_SPECIAL: dict[str, Callable[[MockResourceArgs, dict[str, Any], str, str], str | None]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:kms/key:Key": _kms_key,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:acm/certificate:Certificate": _acm_certificate,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:route53/record:Record": _route53_record,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:ecr/repository:Repository": _ecr_repository,
    **DATA_OUTPUTS,
}
