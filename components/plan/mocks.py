"""Realistic outputs for the offline plan: what AWS, EKS and Kubernetes would hand back.

Every resource gets a deterministic id of the provider's shape (``vpc-…``, ``subnet-…``) and an ARN
in the stack's region and the fixed account below. Types whose computed outputs other components
read (ARNs, endpoints, OIDC issuers, kubeconfigs) register a function with ``@outputs_for``; add one
whenever a component reads an output that is not among its inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

ACCOUNT_ID = "111122223333"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
PARTITION = "aws"


@dataclass(frozen=True)
class MockResource:
    """What an output function knows about the resource being created."""

    type: str
    name: str
    inputs: dict[str, Any]
    region: str
    id: str

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        where = self.region if region else ""
        owner = ACCOUNT_ID if account else ""
        return f"arn:{PARTITION}:{service}:{where}:{owner}:{resource}"

    def physical_name(self) -> str:
        """The name AWS would know it by: the given one, or Pulumi's auto-name."""
        given = self.inputs.get("name")
        return given if isinstance(given, str) and given else f"{self.name}-{self.id[-7:]}"


OutputFunction = Callable[[MockResource], dict[str, Any]]
_OUTPUTS: dict[str, OutputFunction] = {}
# Provider-style id prefixes; other types get a name-based id.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:efs/fileSystem:FileSystem": "fs-",
    "aws:efs/mountTarget:MountTarget": "fsmt-",
    "aws:efs/accessPoint:AccessPoint": "fsap-",
}


def outputs_for(*types: str) -> Callable[[OutputFunction], OutputFunction]:
    """Register the computed outputs of one or more resource types."""

    def register(function: OutputFunction) -> OutputFunction:
        for token in types:
            _OUTPUTS[token] = function
        return function

    return register


def _hex(seed: str, length: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


class PlanMocks(Mocks):
    """Answers resource registrations and invokes the way the providers would."""

    def __init__(
        self, *, region: str, stack: str, stack_outputs: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        self.region = region
        self.stack = stack
        self.stack_outputs = stack_outputs or {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args)
        seed = f"{self.stack}/{args.typ}/{args.name}"
        prefix = _ID_PREFIX.get(args.typ)
        resource_id = args.resource_id or (
            f"{prefix}{_hex(seed)}" if prefix else f"{args.name}-{_hex(seed, 8)}"
        )
        resource = MockResource(args.typ, args.name, dict(args.inputs), self.region, resource_id)
        state = dict(args.inputs)
        function = _OUTPUTS.get(args.typ)
        if function is not None:
            state.update(function(resource))
        elif args.typ.startswith("aws:"):
            state.setdefault("arn", _generic_arn(resource))
        return resource_id, state

    def _stack_reference(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        # The referenced stack was planned first, in this process; its outputs answer the reference.
        name = str(args.inputs.get("name") or args.resource_id)
        stack = name.rsplit("/", maxsplit=1)[-1]
        if stack not in self.stack_outputs:
            raise LookupError(
                f"StackReference {name!r}: stack {stack!r} was not planned before {self.stack!r}"
            )
        return name, {"name": name, "outputs": dict(self.stack_outputs[stack]), "secretOutputNames": []}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        function = _INVOKES.get(args.token)
        return (function(self, args.args) if function else {}), []


def _generic_arn(resource: MockResource) -> str:
    module = resource.type.split(":")[1].split("/")[0]
    return resource.arn(module, f"{resource.type.split(':')[-1].lower()}/{resource.physical_name()}")


# --- Invokes -------------------------------------------------------------------------------------

InvokeFunction = Callable[[PlanMocks, dict[str, Any]], dict[str, Any]]
_INVOKES: dict[str, InvokeFunction] = {
    "aws:index/getRegion:getRegion": lambda mocks, _: {
        "id": mocks.region,
        "name": mocks.region,
        "region": mocks.region,
        "endpoint": f"ec2.{mocks.region}.amazonaws.com",
        "description": mocks.region,
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda *_: {
        "id": ACCOUNT_ID,
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/kubeboard-deployer",
        "userId": "AROAEXAMPLEDEPLOYER:kubeboard",
    },
    "aws:index/getPartition:getPartition": lambda *_: {
        "id": PARTITION,
        "partition": PARTITION,
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    },
}


def invoke_for(token: str) -> Callable[[InvokeFunction], InvokeFunction]:
    """Register the answer to one provider function (an invoke)."""

    def register(function: InvokeFunction) -> InvokeFunction:
        _INVOKES[token] = function
        return function

    return register


# --- Resource outputs ----------------------------------------------------------------------------


@outputs_for("aws:ec2/vpc:Vpc")
def _vpc(r: MockResource) -> dict[str, Any]:
    return {
        "arn": r.arn("ec2", f"vpc/{r.id}"),
        "defaultSecurityGroupId": f"sg-{_hex(r.id)}",
        "mainRouteTableId": f"rtb-{_hex(r.id)}",
        "ownerId": ACCOUNT_ID,
    }


@outputs_for("aws:ec2/subnet:Subnet")
def _subnet(r: MockResource) -> dict[str, Any]:
    return {"arn": r.arn("ec2", f"subnet/{r.id}"), "ownerId": ACCOUNT_ID}


@outputs_for("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
def _security_group(r: MockResource) -> dict[str, Any]:
    return {"arn": r.arn("ec2", f"security-group/{r.id}"), "ownerId": ACCOUNT_ID, "name": r.physical_name()}


@outputs_for("aws:ec2/eip:Eip")
def _eip(r: MockResource) -> dict[str, Any]:
    return {"allocationId": r.id, "publicIp": f"3.38.{int(r.id[-4:], 16) % 256}.{int(r.id[-2:], 16) % 256}"}


@outputs_for("aws:cloudwatch/logGroup:LogGroup")
def _log_group(r: MockResource) -> dict[str, Any]:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("logs", f"log-group:{name}")}


@outputs_for("aws:iam/role:Role")
def _role(r: MockResource) -> dict[str, Any]:
    name = r.physical_name()
    path = r.inputs.get("path") or "/"
    return {
        "name": name,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{path}{name}",
        "uniqueId": f"AROA{_hex(r.id, 17).upper()}",
    }


@outputs_for("aws:iam/policy:Policy")
def _policy(r: MockResource) -> dict[str, Any]:
    name = r.physical_name()
    return {"name": name, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:policy/{name}", "policyId": _hex(r.id)}


@outputs_for("aws:kms/key:Key")
def _kms_key(r: MockResource) -> dict[str, Any]:
    key_id = (
        f"{_hex(r.id, 8)}-{_hex(r.id + '1', 4)}-{_hex(r.id + '2', 4)}-{_hex(r.id + '3', 4)}-{_hex(r.id, 12)}"
    )
    return {"keyId": key_id, "arn": r.arn("kms", f"key/{key_id}")}


@outputs_for("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _bucket(r: MockResource) -> dict[str, Any]:
    # A given name, else the prefix (or the resource name) and a generated suffix, as S3 would.
    name = r.inputs.get("bucket") or f"{r.inputs.get('bucketPrefix') or r.name + '-'}{_hex(r.id, 7)}"
    return {
        "bucket": name,
        "arn": f"arn:{PARTITION}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{r.region}.amazonaws.com",
        "region": r.region,
    }


@outputs_for("aws:sns/topic:Topic")
def _topic(r: MockResource) -> dict[str, Any]:
    name = r.physical_name()
    return {"name": name, "arn": r.arn("sns", name)}


@outputs_for("aws:sqs/queue:Queue")
def _queue(r: MockResource) -> dict[str, Any]:
    name = r.physical_name()
    return {
        "name": name,
        "arn": r.arn("sqs", name),
        "url": f"https://sqs.{r.region}.amazonaws.com/{ACCOUNT_ID}/{name}",
    }


@outputs_for("aws:lambda/function:Function")
def _function(r: MockResource) -> dict[str, Any]:
    name = r.physical_name()
    arn = r.arn("lambda", f"function:{name}")
    return {"name": name, "arn": arn, "invokeArn": f"arn:{PARTITION}:apigateway:{r.region}:lambda:path/{arn}"}


@outputs_for("aws:cloudwatch/eventRule:EventRule")
def _event_rule(r: MockResource) -> dict[str, Any]:
    # EventBridge rules live in the `events` service, whatever the provider module is called.
    name = r.physical_name()
    return {"name": name, "arn": r.arn("events", f"rule/{name}")}


# --- EKS, ECR, EFS (cluster, registry, shared storage) --------------------------------------------


@outputs_for("eks:index:Cluster")
def _eks_cluster(r: MockResource) -> dict[str, Any]:
    # A remote component: under mocks it has no children, so return what pulumi-eks would compute.
    name = r.physical_name()
    oidc_id = _hex(r.id, 32).upper()
    issuer = f"oidc.eks.{r.region}.amazonaws.com/id/{oidc_id}"
    endpoint = f"https://{_hex(r.id + 'endpoint', 32).upper()}.gr7.{r.region}.eks.amazonaws.com"
    cluster_sg = f"sg-{_hex(r.id + 'cluster-sg')}"
    # With skipDefaultSecurityGroups, pulumi-eks reports the EKS-created group for both.
    node_sg = cluster_sg if r.inputs.get("skipDefaultSecurityGroups") else f"sg-{_hex(r.id + 'node-sg')}"
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t",
                },
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": name, "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", name, "--output", "json"],
                    }
                },
            }
        ],
    }
    return {
        "kubeconfig": kubeconfig,
        "kubeconfigJson": json.dumps(kubeconfig),
        "oidcIssuer": issuer,
        "oidcProviderUrl": f"https://{issuer}",
        "oidcProviderArn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{issuer}",
        "clusterSecurityGroupId": cluster_sg,
        "nodeSecurityGroupId": node_sg,
        "core": {"endpoint": endpoint, "subnetIds": r.inputs.get("privateSubnetIds") or []},
    }


@outputs_for("aws:eks/nodeGroup:NodeGroup")
def _node_group(r: MockResource) -> dict[str, Any]:
    name = r.inputs.get("nodeGroupName") or r.physical_name()
    cluster = r.inputs.get("clusterName", "cluster")
    return {
        "nodeGroupName": name,
        "arn": r.arn("eks", f"nodegroup/{cluster}/{name}/{_hex(r.id, 8)}"),
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{_hex(r.id, 8)}"}]}],
    }


@outputs_for("aws:eks/addon:Addon")
def _eks_addon(r: MockResource) -> dict[str, Any]:
    cluster = r.inputs.get("clusterName", "cluster")
    return {"arn": r.arn("eks", f"addon/{cluster}/{r.inputs.get('addonName')}/{_hex(r.id, 8)}")}


@outputs_for("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(r: MockResource) -> dict[str, Any]:
    return {"arn": r.arn("ec2", f"launch-template/{r.id}"), "latestVersion": 1, "defaultVersion": 1}


@outputs_for("aws:ecr/repository:Repository")
def _ecr_repository(r: MockResource) -> dict[str, Any]:
    name = r.physical_name()
    return {
        "name": name,
        "arn": r.arn("ecr", f"repository/{name}"),
        "registryId": ACCOUNT_ID,
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{r.region}.amazonaws.com/{name}",
    }


@outputs_for("aws:efs/fileSystem:FileSystem")
def _efs(r: MockResource) -> dict[str, Any]:
    return {
        "arn": r.arn("elasticfilesystem", f"file-system/{r.id}"),
        "dnsName": f"{r.id}.efs.{r.region}.amazonaws.com",
        "ownerId": ACCOUNT_ID,
    }


@outputs_for("aws:efs/accessPoint:AccessPoint")
def _efs_access_point(r: MockResource) -> dict[str, Any]:
    return {"arn": r.arn("elasticfilesystem", f"access-point/{r.id}"), "ownerId": ACCOUNT_ID}


# --- Edge: ACM, Route 53, WAFv2 -------------------------------------------------------------------


def _uuid(seed: str) -> str:
    digest = _hex(seed, 32)
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


@outputs_for("aws:acm/certificate:Certificate")
def _certificate(r: MockResource) -> dict[str, Any]:
    # ACM returns one option per name; a name and its wildcard share the same CNAME record.
    names = [r.inputs["domainName"], *(r.inputs.get("subjectAlternativeNames") or [])]
    options = []
    for name in names:
        base = name.removeprefix("*.")
        options.append(
            {
                "domainName": name,
                "resourceRecordName": f"_{_hex(base, 32)}.{base}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(base + '/value', 32)}.{_hex(base, 10)}.acm-validations.aws.",
            }
        )
    return {
        "arn": r.arn("acm", f"certificate/{_uuid(r.id)}"),
        "domainValidationOptions": options,
        "status": "PENDING_VALIDATION",
        "keyAlgorithm": r.inputs.get("keyAlgorithm", "RSA_2048"),
    }


@outputs_for("aws:route53/record:Record")
def _record(r: MockResource) -> dict[str, Any]:
    return {"fqdn": str(r.inputs.get("name", "")).rstrip(".")}


@outputs_for("aws:wafv2/webAcl:WebAcl", "aws:wafv2/ipSet:IpSet")
def _wafv2(r: MockResource) -> dict[str, Any]:
    kind = "webacl" if r.type.endswith("WebAcl") else "ipset"
    name, resource_id = r.physical_name(), _uuid(r.id)
    scope = "global" if r.inputs.get("scope") == "CLOUDFRONT" else "regional"
    arn = r.arn("wafv2", f"{scope}/{kind}/{name}/{resource_id}")
    return {"arn": arn, "name": name, "lockToken": _uuid(name)}


@outputs_for("random:index/randomPassword:RandomPassword")
def _random_password(r: MockResource) -> dict[str, Any]:
    # Deterministic per stack and name; real runs draw it from a CSPRNG. The plan shows it as a secret.
    return {"result": _hex(f"password/{r.id}", int(r.inputs.get("length", 32)))[:32]}


@outputs_for("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc_provider(r: MockResource) -> dict[str, Any]:
    # IAM names an OIDC provider after its issuer URL without the scheme.
    host = str(r.inputs.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{host}"}
