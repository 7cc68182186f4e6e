"""For every policy: plans that must violate it and plans that must pass it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.policy.plans import BUCKET, bucket_with, doc, res


@dataclass(frozen=True)
class Case:
    policy: str
    label: str
    resources: list[dict[str, Any]]
    violates: bool
    stack: str = "dev"
    # For a violation: a fragment its message must hold (what the user reads to fix it).
    says: str | None = None

    @property
    def id(self) -> str:
        return f"{self.policy}:{'fail' if self.violates else 'pass'}:{self.label}"


CASES: list[Case] = []


def fails(
    policy: str, label: str, resources: list[dict[str, Any]], stack: str = "dev", says: str | None = None
) -> None:
    CASES.append(Case(policy, label, resources, True, stack, says))


def passes(policy: str, label: str, resources: list[dict[str, Any]], stack: str = "dev") -> None:
    CASES.append(Case(policy, label, resources, False, stack))


# --- S3 ---------------------------------------------------------------------------------------------
P = "aws-s3-bucket-disallow-public-read"
fails(P, "public-read acl", [res(BUCKET, "b", {"acl": "public-read"})])
fails(
    P, "BucketAcl authenticated-read", [res("aws:s3/bucketAcl:BucketAcl", "a", {"acl": "authenticated-read"})]
)
passes(P, "private acl", [res(BUCKET, "b", {"acl": "private"})])
passes(P, "no acl", [res(BUCKET, "b", {})])

P = "aws-s3-bucket-enable-public-access-block"
fails(P, "no block", bucket_with(public_block=False))
weak = bucket_with()
weak[1]["inputs"]["restrictPublicBuckets"] = False
fails(P, "one flag off", weak)
passes(P, "all four on", bucket_with())

P = "aws-s3-bucket-enable-server-side-encryption"
fails(P, "no encryption config", bucket_with(encryption=None))
fails(P, "unknown algorithm", bucket_with(encryption="none"))
passes(P, "kms", bucket_with(encryption="aws:kms"))
passes(P, "sse-s3", bucket_with(encryption="AES256"))

P = "aws-s3-bucket-enforce-ssl-requests-only"
fails(P, "no TLS deny", bucket_with(tls_only=False))
passes(P, "deny without TLS", bucket_with())

P = "aws-s3-bucket-enable-versioning"
fails(P, "data bucket unversioned", bucket_with(versioning=None))
fails(P, "suspended", bucket_with(versioning="Suspended"))
passes(P, "versioned", bucket_with())
passes(P, "log bucket opted out", bucket_with(versioning=None, tags={"kubeboard.io/data-class": "logs"}))

# --- EKS --------------------------------------------------------------------------------------------
EKS = "eks:index:Cluster"
RAW_EKS = "aws:eks/cluster:Cluster"
LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
GOOD_EKS = {
    "authenticationMode": "API",
    "endpointPublicAccess": False,
    "endpointPrivateAccess": True,
    "enabledClusterLogTypes": LOGS,
    "encryptionConfigKeyArn": "arn:aws:kms:ap-northeast-2:111122223333:key/abc",
}

P = "aws-eks-cluster-require-api-authentication-mode"
fails(P, "config map", [res(EKS, "c", {**GOOD_EKS, "authenticationMode": "CONFIG_MAP"})])
fails(P, "raw cluster unset", [res(RAW_EKS, "c", {})])
passes(P, "API", [res(EKS, "c", GOOD_EKS)])
passes(P, "raw cluster API", [res(RAW_EKS, "c", {"accessConfig": {"authenticationMode": "API"}})])

P = "aws-eks-cluster-disallow-api-endpoint-public-access"
fails(P, "public by default in prod", [res(EKS, "c", {"authenticationMode": "API"})], stack="prod")
fails(
    P,
    "public to world in prod",
    [res(EKS, "c", {**GOOD_EKS, "endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]})],
    stack="prod",
)
fails(
    P,
    "raw cluster public in prod",
    [res(RAW_EKS, "c", {"vpcConfig": {"endpointPublicAccess": True}})],
    "prod",
)
passes(P, "private in prod", [res(EKS, "c", GOOD_EKS)], stack="prod")
passes(
    P,
    "allow-listed in prod",
    [res(EKS, "c", {**GOOD_EKS, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})],
    stack="prod",
)
passes(P, "public in dev", [res(EKS, "c", {**GOOD_EKS, "endpointPublicAccess": True})], stack="dev")

P = "aws-eks-cluster-enable-control-plane-logging"
fails(P, "api only", [res(EKS, "c", {**GOOD_EKS, "enabledClusterLogTypes": ["api"]})])
passes(P, "all five", [res(EKS, "c", GOOD_EKS)])

P = "aws-eks-cluster-enable-cluster-encryption-config"
fails(P, "no key", [res(EKS, "c", {k: v for k, v in GOOD_EKS.items() if k != "encryptionConfigKeyArn"})])
fails(P, "raw cluster no secrets", [res(RAW_EKS, "c", {"encryptionConfig": {"resources": ["other"]}})])
passes(P, "key", [res(EKS, "c", GOOD_EKS)])
passes(
    P,
    "raw cluster secrets",
    [res(RAW_EKS, "c", {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:k"}}})],
)

# --- Node groups ------------------------------------------------------------------------------------
SUBNET = "aws:ec2/subnet:Subnet"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
public_a = res(
    SUBNET, "public-a", {"availabilityZone": "ap-northeast-2a", "tags": {"kubernetes.io/role/elb": "1"}}
)
private_a = res(SUBNET, "private-a", {"availabilityZone": "ap-northeast-2a", "mapPublicIpOnLaunch": False})
private_b = res(SUBNET, "private-b", {"availabilityZone": "ap-northeast-2b"})
GOOD_NG = {"clusterName": "c", "launchTemplate": {"id": "lt-id", "version": "1"}}

P = "aws-eks-nodegroup-private-subnets-only"
fails(
    P,
    "public subnet",
    [public_a, private_a, res(NODE_GROUP, "ng", {**GOOD_NG, "subnetIds": ["public-a-id"]})],
)
passes(
    P,
    "private subnets",
    [public_a, private_a, res(NODE_GROUP, "ng", {**GOOD_NG, "subnetIds": ["private-a-id"]})],
)

P = "aws-eks-nodegroup-require-launch-template"
fails(P, "no template", [res(NODE_GROUP, "ng", {"clusterName": "c"})])
passes(P, "template", [res(NODE_GROUP, "ng", GOOD_NG)])

P = "aws-eks-nodegroup-disallow-remote-access"
fails(P, "ssh", [res(NODE_GROUP, "ng", {**GOOD_NG, "remoteAccess": {"ec2SshKey": "ops"}})])
passes(P, "no ssh", [res(NODE_GROUP, "ng", GOOD_NG)])

GOOD_LT = {
    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeType": "gp3"}}],
}
P = "aws-ec2-launchtemplate-enforce-imdsv2"
fails(P, "optional tokens", [res(LT, "lt", {**GOOD_LT, "metadataOptions": {"httpTokens": "optional"}})])
fails(P, "unset", [res(LT, "lt", {})])
passes(P, "required", [res(LT, "lt", GOOD_LT)])

P = "aws-ec2-launchtemplate-imds-hop-limit-one"
fails(
    P,
    "hop limit 2",
    [res(LT, "lt", {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}})],
)
fails(P, "hop limit unset", [res(LT, "lt", {"metadataOptions": {"httpTokens": "required"}})])
passes(P, "hop limit 1", [res(LT, "lt", GOOD_LT)])

P = "aws-ec2-launchtemplate-disallow-unencrypted-block-device"
fails(
    P,
    "unencrypted",
    [res(LT, "lt", {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]})],
)
fails(P, "no mapping", [res(LT, "lt", {"metadataOptions": GOOD_LT["metadataOptions"]})])
passes(P, "encrypted", [res(LT, "lt", GOOD_LT)])

# --- ECR --------------------------------------------------------------------------------------------
REPO = "aws:ecr/repository:Repository"
GOOD_REPO = {
    "imageScanningConfiguration": {"scanOnPush": True},
    "imageTagMutability": "IMMUTABLE",
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:k"}],
}
P = "aws-ecr-repository-enable-image-scan"
fails(P, "no scan", [res(REPO, "r", {**GOOD_REPO, "imageScanningConfiguration": {"scanOnPush": False}})])
passes(P, "scan on push", [res(REPO, "r", GOOD_REPO)])

P = "aws-ecr-repository-disallow-mutable-image"
fails(P, "mutable", [res(REPO, "r", {**GOOD_REPO, "imageTagMutability": "MUTABLE"})])
fails(P, "default", [res(REPO, "r", {k: v for k, v in GOOD_REPO.items() if k != "imageTagMutability"})])
passes(P, "immutable", [res(REPO, "r", GOOD_REPO)])

P = "aws-ecr-repository-disallow-unencrypted-repository"
fails(
    P, "aes256", [res(REPO, "r", {**GOOD_REPO, "encryptionConfigurations": [{"encryptionType": "AES256"}]})]
)
fails(P, "default", [res(REPO, "r", {"imageTagMutability": "IMMUTABLE"})])
passes(P, "kms", [res(REPO, "r", GOOD_REPO)])

# --- EFS --------------------------------------------------------------------------------------------
FS = "aws:efs/fileSystem:FileSystem"
MT = "aws:efs/mountTarget:MountTarget"
P = "aws-efs-filesystem-disallow-unencrypted-file-system"
fails(P, "unencrypted", [res(FS, "fs", {"encrypted": False})])
passes(P, "encrypted", [res(FS, "fs", {"encrypted": True, "kmsKeyId": "arn:k"})])

P = "aws-efs-filesystem-configure-customer-managed-key"
fails(P, "aws-managed key", [res(FS, "fs", {"encrypted": True})])
passes(P, "customer key", [res(FS, "fs", {"encrypted": True, "kmsKeyId": "arn:k"})])

P = "aws-efs-filesystem-mount-targets-multi-az"
fs = res(FS, "fs", {"encrypted": True})
fails(
    P,
    "one zone",
    [fs, private_a, res(MT, "mt-a", {"fileSystemId": "fs-id", "subnetId": "private-a-id"}, deps=(fs,))],
)
fails(P, "no mount target", [fs])
passes(
    P,
    "two zones",
    [
        fs,
        private_a,
        private_b,
        res(MT, "mt-a", {"fileSystemId": "fs-id", "subnetId": "private-a-id"}, deps=(fs,)),
        res(MT, "mt-b", {"fileSystemId": "fs-id", "subnetId": "private-b-id"}, deps=(fs,)),
    ],
)

# --- WAF --------------------------------------------------------------------------------------------
ACL = "aws:wafv2/webAcl:WebAcl"
VIS = {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True, "metricName": "m"}


def managed(name: str, *, count: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "priority": 1,
        "overrideAction": {"count": {}} if count else {"none": {}},
        "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": name}},
        "visibilityConfig": VIS,
    }


RATE = {
    "name": "rate",
    "priority": 0,
    "action": {"block": {}},
    "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}},
    "visibilityConfig": VIS,
}
GOOD_RULES = [RATE, managed("AWSManagedRulesCommonRuleSet"), managed("AWSManagedRulesKnownBadInputsRuleSet")]
GOOD_ACL = {"scope": "REGIONAL", "defaultAction": {"allow": {}}, "visibilityConfig": VIS, "rules": GOOD_RULES}

P = "aws-wafv2-webacl-enable-managed-rule-groups"
fails(
    P,
    "missing known bad inputs",
    [res(ACL, "acl", {**GOOD_ACL, "rules": [RATE, managed("AWSManagedRulesCommonRuleSet")]})],
)
fails(
    P,
    "count mode",
    [
        res(
            ACL,
            "acl",
            {**GOOD_ACL, "rules": [managed("AWSManagedRulesCommonRuleSet", count=True), GOOD_RULES[2]]},
        )
    ],
)
passes(P, "both groups", [res(ACL, "acl", GOOD_ACL)])

P = "aws-wafv2-webacl-require-rate-based-rule"
fails(P, "no rate rule", [res(ACL, "acl", {**GOOD_ACL, "rules": GOOD_RULES[1:]})])
fails(
    P, "rate rule counts only", [res(ACL, "acl", {**GOOD_ACL, "rules": [{**RATE, "action": {"count": {}}}]})]
)
passes(P, "rate rule blocks", [res(ACL, "acl", GOOD_ACL)])

P = "aws-wafv2-webacl-enable-logging"
acl = res(ACL, "acl", {**GOOD_ACL}, id="arn:aws:wafv2:ap-northeast-2:111122223333:regional/webacl/acl/1")
LOGCFG = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
fails(P, "no logging", [acl])
fails(
    P,
    "logging without destination",
    [acl, res(LOGCFG, "log", {"resourceArn": acl["id"], "logDestinationConfigs": []})],
)
passes(
    P, "logging", [acl, res(LOGCFG, "log", {"resourceArn": acl["id"], "logDestinationConfigs": ["arn:lg"]})]
)

P = "aws-wafv2-webacl-enable-metrics"
fails(
    P, "no metrics", [res(ACL, "acl", {**GOOD_ACL, "visibilityConfig": {"cloudwatchMetricsEnabled": False}})]
)
passes(P, "metrics", [res(ACL, "acl", GOOD_ACL)])

# --- Ingress ----------------------------------------------------------------------------------------
ING = "kubernetes:networking.k8s.io/v1:Ingress"


def ingress(annotations: dict[str, str], ingress_class: str | None = "alb") -> list[dict[str, Any]]:
    """One Ingress as the policies read it: its annotations and its class (``None``: no class field)."""
    spec = {"ingressClassName": ingress_class} if ingress_class else {}
    return [res(ING, "i", {"metadata": {"annotations": annotations}, "spec": spec})]


REL = "kubernetes:helm.sh/v3:Release"
WAF = {"alb.ingress.kubernetes.io/wafv2-acl-arn": "arn:acl", "alb.ingress.kubernetes.io/group.name": "kb"}
P = "kubernetes-ingress-require-waf"
fails(
    P,
    "ingress without waf",
    ingress({}),
)
fails(
    P,
    "grafana values without waf",
    [
        res(
            REL,
            "kps",
            {
                "chart": "kube-prometheus-stack",
                "values": {
                    "grafana": {"ingress": {"enabled": True, "ingressClassName": "alb", "annotations": {}}}
                },
            },
        )
    ],
)
passes(
    P,
    "ingress with waf",
    ingress(WAF),
)
passes(
    P,
    "internal alb",
    ingress({"alb.ingress.kubernetes.io/scheme": "internal"}),
)
passes(
    P,
    "values with waf and disabled ingress",
    [
        res(
            REL,
            "kps",
            {
                "chart": "kube-prometheus-stack",
                "values": {
                    "grafana": {"ingress": {"enabled": True, "ingressClassName": "alb", "annotations": WAF}},
                    "prometheus": {"ingress": {"enabled": False, "ingressClassName": "alb"}},
                },
            },
        )
    ],
)

# --- Lambda -----------------------------------------------------------------------------------------
FN = "aws:lambda/function:Function"
LG = "aws:cloudwatch/logGroup:LogGroup"
GOOD_FN = {
    "runtime": "python3.12",
    "deadLetterConfig": {"targetArn": "arn:aws:sqs:ap-northeast-2:111122223333:dlq"},
    "reservedConcurrentExecutions": 5,
    "loggingConfig": {"logFormat": "JSON", "logGroup": "/aws/lambda/report"},
}
P = "aws-lambda-function-configure-dead-letter-queue"
fails(P, "no dlq", [res(FN, "f", {k: v for k, v in GOOD_FN.items() if k != "deadLetterConfig"})])
passes(P, "dlq", [res(FN, "f", GOOD_FN)])

P = "aws-lambda-function-configure-log-retention"
fails(P, "no log group", [res(FN, "f", GOOD_FN)])
fails(P, "log group kept forever", [res(LG, "lg", {"name": "/aws/lambda/report"}), res(FN, "f", GOOD_FN)])
passes(
    P,
    "log group with retention",
    [res(LG, "lg", {"name": "/aws/lambda/report", "retentionInDays": 30}), res(FN, "f", GOOD_FN)],
)
passes(
    P,
    "default log group name",
    [
        res(LG, "lg", {"name": "/aws/lambda/f-id", "retentionInDays": 14}),
        res(FN, "f", {"runtime": "python3.12"}),
    ],
)

P = "aws-lambda-function-configure-reserved-concurrency"
fails(
    P, "unreserved", [res(FN, "f", {k: v for k, v in GOOD_FN.items() if k != "reservedConcurrentExecutions"})]
)
fails(P, "zero", [res(FN, "f", {**GOOD_FN, "reservedConcurrentExecutions": 0})])
passes(P, "reserved", [res(FN, "f", GOOD_FN)])
passes(
    P,
    "documented reason",
    [res(FN, "f", {"tags": {"kubeboard.io/unreserved-concurrency-reason": "bounded by the S3 event rate"}})],
)

# --- IAM --------------------------------------------------------------------------------------------
ROLE = "aws:iam/role:Role"
RP = "aws:iam/rolePolicy:RolePolicy"
POL = "aws:iam/policy:Policy"
READ_ANY = {"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"}
PUT_ONE = {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::kb-data/*"}

P = "aws-iam-policy-disallow-wildcard-actions"
fails(P, "star", [res(RP, "p", {"policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})})])
fails(
    P,
    "service star",
    [res(POL, "p", {"policy": doc({"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"})})],
)
fails(
    P,
    "inline policy",
    [
        res(
            ROLE,
            "r",
            {
                "inlinePolicies": [
                    {"name": "x", "policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}
                ]
            },
        )
    ],
)
passes(P, "named actions", [res(RP, "p", {"policy": doc(READ_ANY, PUT_ONE)})])
passes(P, "deny star", [res(RP, "p", {"policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})})])

P = "aws-iam-policy-disallow-wildcard-resource-on-write"
fails(
    P,
    "put on star",
    [res(RP, "p", {"policy": doc({"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "*"})})],
)
passes(P, "read on star, write scoped", [res(RP, "p", {"policy": doc(READ_ANY, PUT_ONE)})])

TRUST = {
    "Effect": "Allow",
    "Principal": {
        "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.ap-northeast-2.amazonaws.com/id/ABC"
    },
    "Action": "sts:AssumeRoleWithWebIdentity",
}
ISSUER = "oidc.eks.ap-northeast-2.amazonaws.com/id/ABC"


def irsa(condition: dict[str, Any]) -> dict[str, Any]:
    return res(ROLE, "irsa", {"assumeRolePolicy": doc({**TRUST, "Condition": condition})})


P = "aws-iam-role-irsa-trust-scoped-to-service-account"
fails(P, "no aud", [irsa({"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:loki:loki"}})])
fails(
    P,
    "wildcard sub",
    [
        irsa(
            {
                "StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*"},
                "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
            }
        )
    ],
)
fails(
    P,
    "two service accounts",
    [
        irsa(
            {
                "StringEquals": {
                    f"{ISSUER}:sub": ["system:serviceaccount:a:x", "system:serviceaccount:b:y"],
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                }
            }
        )
    ],
)
passes(
    P,
    "one service account",
    [
        irsa(
            {
                "StringEquals": {
                    f"{ISSUER}:sub": "system:serviceaccount:loki:loki",
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                }
            }
        )
    ],
)
passes(
    P,
    "service principal is not IRSA",
    [
        res(
            ROLE,
            "lambda",
            {
                "assumeRolePolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                )
            },
        )
    ],
)

P = "aws-iam-role-disallow-wildcard-trust-principal"
fails(
    P,
    "anyone",
    [
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": doc(
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
                )
            },
        )
    ],
)
passes(
    P,
    "account root",
    [
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                        "Action": "sts:AssumeRole",
                    }
                )
            },
        )
    ],
)

# --- VPC --------------------------------------------------------------------------------------------
VPC = "aws:ec2/vpc:Vpc"
SG = "aws:ec2/securityGroup:SecurityGroup"
vpc = res(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
P = "aws-vpc-enable-flow-logs"
fails(P, "no flow log", [vpc])
passes(
    P,
    "flow log",
    [vpc, res("aws:ec2/flowLog:FlowLog", "fl", {"vpcId": "vpc-id", "trafficType": "ALL"}, deps=(vpc,))],
)

DSG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
P = "aws-vpc-default-security-group-closed"
fails(P, "unmanaged", [vpc])
fails(
    P,
    "has rules",
    [
        vpc,
        res(
            DSG,
            "dsg",
            {
                "vpcId": "vpc-id",
                "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
            },
        ),
    ],
)
passes(P, "closed", [vpc, res(DSG, "dsg", {"vpcId": "vpc-id"})])

WORLD_443 = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
alb_sg = res(
    SG, "edge-alb", {"vpcId": "vpc-id", "ingress": [WORLD_443, {**WORLD_443, "fromPort": 80, "toPort": 80}]}
)
P = "aws-vpc-sg-open-only-to-authorized-ports"
fails(P, "ssh from world", [res(SG, "nodes", {"ingress": [{**WORLD_443, "fromPort": 22, "toPort": 22}]})])
fails(P, "443 to a non-alb group", [res(SG, "nodes", {"ingress": [WORLD_443]})])
fails(
    P,
    "alb on all ports via rule",
    [
        alb_sg,
        res(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "all",
            {"securityGroupId": "edge-alb-id", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"},
        ),
    ],
)
passes(P, "alb on 80/443", [alb_sg])
passes(
    P,
    "alb via rule resource",
    [
        alb_sg,
        res(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "v6",
            {
                "type": "ingress",
                "securityGroupId": "edge-alb-id",
                "ipv6CidrBlocks": ["::/0"],
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
            },
        ),
    ],
)
passes(
    P,
    "private source",
    [
        res(
            SG,
            "efs",
            {
                "ingress": [
                    {"protocol": "tcp", "fromPort": 2049, "toPort": 2049, "cidrBlocks": ["10.0.0.0/16"]}
                ]
            },
        )
    ],
)

# --- Logs, KMS, Helm --------------------------------------------------------------------------------
P = "aws-cloudwatch-loggroup-configure-retention"
fails(P, "forever", [res(LG, "lg", {"name": "/x"})])
passes(P, "30 days", [res(LG, "lg", {"name": "/x", "retentionInDays": 30})])

KEY = "aws:kms/key:Key"
P = "aws-kms-key-enable-key-rotation"
fails(P, "no rotation", [res(KEY, "k", {"enableKeyRotation": False})])
passes(P, "rotation", [res(KEY, "k", {"enableKeyRotation": True})])
passes(P, "asymmetric key cannot rotate", [res(KEY, "k", {"customerMasterKeySpec": "RSA_2048"})])

P = "aws-kms-key-disallow-bypass-policy-lockout-safety-check"
fails(P, "bypassed", [res(KEY, "k", {"enableKeyRotation": True, "bypassPolicyLockoutSafetyCheck": True})])
passes(P, "kept", [res(KEY, "k", {"enableKeyRotation": True})])

P = "kubernetes-helm-release-require-pinned-version"
REPO_OPTS = {"repo": "https://grafana-community.github.io/helm-charts"}
fails(P, "no version", [res(REL, "loki", {"chart": "loki", "repositoryOpts": REPO_OPTS})])
fails(P, "range", [res(REL, "loki", {"chart": "loki", "version": "^6.0.0", "repositoryOpts": REPO_OPTS})])
passes(P, "exact", [res(REL, "loki", {"chart": "loki", "version": "6.29.0", "repositoryOpts": REPO_OPTS})])
passes(P, "local chart", [res(REL, "kubeboard", {"chart": "./charts/kubeboard"})])

P = "kubernetes-helm-release-require-https-repository"
fails(
    P,
    "http",
    [
        res(
            REL,
            "x",
            {"chart": "x", "version": "1.0.0", "repositoryOpts": {"repo": "http://charts.example.com"}},
        )
    ],
)
passes(P, "https", [res(REL, "x", {"chart": "x", "version": "1.0.0", "repositoryOpts": REPO_OPTS})])

# --- Stack ------------------------------------------------------------------------------------------
P = "kubeboard-stateful-resources-protected-in-prod"
fails(P, "unprotected efs in prod", [res(FS, "fs", {"encrypted": True})], stack="prod")
fails(P, "unprotected data bucket in prod", [res(BUCKET, "b", {})], stack="prod")
passes(
    P,
    "protected in prod",
    [
        res(FS, "fs", {}, protect=True),
        res(REPO, "r", {}, protect=True),
        res(KEY, "k", {}, protect=True),
        res(BUCKET, "b", {}, protect=True),
    ],
    stack="prod",
)
passes(
    P,
    "log bucket unprotected in prod",
    [res(BUCKET, "b", {"tags": {"kubeboard.io/data-class": "logs"}})],
    stack="prod",
)
passes(P, "unprotected in dev", [res(FS, "fs", {})], stack="dev")

# --- Access, by class: attachments, pivots, trust, resource policies, local admins -----------------------
EKS_WIDE = {**GOOD_EKS, "endpointPublicAccess": True}
P = "aws-eks-cluster-disallow-api-endpoint-public-access"
fails(
    P,
    "halves of IPv4",
    [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]})],
    "prod",
)
fails(P, "a /4", [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": ["16.0.0.0/4"]})], "prod")
fails(P, "IPv6 world", [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": ["::/0"]})], "prod")
passes(P, "an office /16", [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": ["198.18.0.0/16"]})], "prod")

P = "aws-vpc-sg-open-only-to-authorized-ports"
fails(
    P,
    "ssh from half the internet",
    [
        res(
            SG,
            "n",
            {
                "ingress": [
                    {**WORLD_443, "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}
                ]
            },
        )
    ],
)
passes(
    P,
    "ssh from an office",
    [
        res(
            SG,
            "n",
            {"ingress": [{**WORLD_443, "fromPort": 22, "toPort": 22, "cidrBlocks": ["198.18.0.0/24"]}]},
        )
    ],
)

ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
P = "aws-iam-disallow-admin-policy-attachment"
fails(
    P,
    "AdministratorAccess",
    [res(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})],
)
fails(
    P,
    "IAMFullAccess in GovCloud",
    [res(ATTACH, "a", {"role": "r", "policyArn": "arn:aws-us-gov:iam::aws:policy/IAMFullAccess"})],
)
fails(
    P,
    "user attachment",
    [
        res(
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            "u",
            {"user": "u", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
        )
    ],
)
fails(
    P,
    "managedPolicyArns on the role",
    [res(ROLE, "r", {"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})],
)
fails(
    P,
    "exclusive attachments",
    [
        res(
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
            "x",
            {"roleName": "r", "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
        )
    ],
)
passes(
    P,
    "a scoped managed policy",
    [res(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"})],
)
passes(
    P,
    "a customer policy named like admin",
    [res(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::111122223333:policy/AdministratorAccess"})],
)

RP = "aws:iam/rolePolicy:RolePolicy"
P = "aws-iam-disallow-assume-or-pass-any-role"
fails(
    P,
    "AssumeRole on *",
    [
        res(
            RP,
            "p",
            {"role": "r", "policy": doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})},
        )
    ],
)
fails(
    P,
    "PassRole on *",
    [
        res(
            "aws:iam/policy:Policy",
            "p",
            {"policy": doc({"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": ["*"]})},
        )
    ],
)
fails(
    P,
    "pattern sts:Assume*",
    [
        res(
            RP,
            "p",
            {"role": "r", "policy": doc({"Effect": "Allow", "Action": "sts:Assume*", "Resource": "*"})},
        )
    ],
)
fails(
    P,
    "NotResource",
    [
        res(
            RP,
            "p",
            {
                "role": "r",
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "NotResource": "arn:aws:iam::111122223333:role/x",
                    }
                ),
            },
        )
    ],
)
fails(
    P,
    "inline on the role",
    [
        res(
            ROLE,
            "r",
            {
                "inlinePolicies": [
                    {
                        "name": "i",
                        "policy": doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
                    }
                ]
            },
        )
    ],
)
passes(
    P,
    "named role",
    [
        res(
            RP,
            "p",
            {
                "role": "r",
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": "arn:aws:iam::111122223333:role/deploy",
                    }
                ),
            },
        )
    ],
)
passes(
    P,
    "deny on *",
    [
        res(
            RP,
            "p",
            {"role": "r", "policy": doc({"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"})},
        )
    ],
)
passes(
    P,
    "other actions on *",
    [
        res(
            RP,
            "p",
            {"role": "r", "policy": doc({"Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "*"})},
        )
    ],
)

GH = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"


def github_trust(condition: dict[str, Any]) -> list[dict[str, Any]]:
    statement = {"Effect": "Allow", "Principal": {"Federated": GH}, "Action": "sts:AssumeRoleWithWebIdentity"}
    return [res(ROLE, "r", {"assumeRolePolicy": doc({**statement, "Condition": condition})})]


AUD = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
P = "aws-iam-role-trust-scoped"
fails(
    P,
    "anyone (string)",
    [
        res(
            ROLE,
            "r",
            {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})},
        )
    ],
)
fails(
    P,
    "anyone (AWS map)",
    [
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ["*"]},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                )
            },
        )
    ],
)
fails(
    P,
    "another account, no condition",
    [
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                        "Action": "sts:AssumeRole",
                    }
                )
            },
        )
    ],
)
fails(
    P,
    "GitHub sub wildcard",
    github_trust(
        {"StringEquals": AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:kubeboard/*"}}
    ),
)
fails(
    P,
    "GitHub sub everything",
    github_trust({"StringEquals": AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "*"}}),
)
fails(P, "GitHub without sub", github_trust({"StringEquals": AUD}))
fails(
    P,
    "GitHub without aud",
    github_trust(
        {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main"}}
    ),
)
passes(
    P,
    "GitHub pinned",
    github_trust(
        {"StringEquals": {**AUD, "token.actions.githubusercontent.com:sub": "repo:o/r:environment:prod"}}
    ),
)
passes(
    P,
    "GitHub branch pattern of one repo",
    github_trust(
        {
            "StringEquals": AUD,
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/release-*"},
        }
    ),
)
passes(
    P,
    "another account with ExternalId",
    [
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
                    }
                )
            },
        )
    ],
)
passes(
    P,
    "a service",
    [
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                )
            },
        )
    ],
)

P = "aws-resource-policy-not-public"
OPEN = {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}
fails(
    P,
    "SNS topic policy open",
    [res("aws:sns/topicPolicy:TopicPolicy", "t", {"arn": "a", "policy": doc(OPEN)})],
)
fails(
    P,
    "SQS queue inline policy open",
    [
        res(
            "aws:sqs/queue:Queue",
            "q",
            {"policy": doc({**OPEN, "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage"})},
        )
    ],
)
fails(
    P,
    "bucket policy open with an unrelated condition",
    [
        res(
            "aws:s3/bucketPolicy:BucketPolicy",
            "b",
            {
                "bucket": "b",
                "policy": doc(
                    {**OPEN, "Action": "s3:GetObject", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
                ),
            },
        )
    ],
)
fails(P, "KMS key open", [res("aws:kms/key:Key", "k", {"policy": doc({**OPEN, "Action": "kms:Decrypt"})})])
fails(
    P,
    "log resource policy open",
    [
        res(
            "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
            "l",
            {"policyName": "l", "policyDocument": doc({**OPEN, "Action": "logs:PutLogEvents"})},
        )
    ],
)
fails(
    P,
    "Lambda permission to anyone",
    [
        res(
            "aws:lambda/permission:Permission",
            "p",
            {"function": "f", "action": "lambda:InvokeFunction", "principal": "*"},
        )
    ],
)
fails(
    P,
    "unauthenticated function URL",
    [
        res(
            "aws:lambda/permission:Permission",
            "p",
            {
                "function": "f",
                "action": "lambda:InvokeFunctionUrl",
                "principal": "*",
                "sourceAccount": "111122223333",
                "functionUrlAuthType": "NONE",
            },
        )
    ],
)
passes(
    P,
    "open but pinned to the source",
    [
        res(
            "aws:sns/topicPolicy:TopicPolicy",
            "t",
            {
                "arn": "a",
                "policy": doc({**OPEN, "Condition": {"StringEquals": {"AWS:SourceAccount": "111122223333"}}}),
            },
        )
    ],
)
passes(
    P,
    "TLS-only deny to anyone",
    [
        res(
            "aws:s3/bucketPolicy:BucketPolicy",
            "b",
            {
                "bucket": "b",
                "policy": doc(
                    {**OPEN, "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                ),
            },
        )
    ],
)
passes(
    P,
    "a service principal",
    [
        res(
            "aws:sns/topicPolicy:TopicPolicy",
            "t",
            {"arn": "a", "policy": doc({**OPEN, "Principal": {"Service": "events.amazonaws.com"}})},
        )
    ],
)
passes(
    P,
    "Lambda permission with source",
    [
        res(
            "aws:lambda/permission:Permission",
            "p",
            {
                "function": "f",
                "action": "lambda:InvokeFunction",
                "principal": "s3.amazonaws.com",
                "sourceArn": "arn:aws:s3:::b",
            },
        )
    ],
)

RELEASE = "kubernetes:helm.sh/v3:Release"
P = "argocd-disallow-local-admin-in-prod"
fails(P, "chart default", [res(RELEASE, "argocd", {"chart": "argo-cd", "values": {}})], "prod")
fails(
    P,
    "explicitly on",
    [res(RELEASE, "argocd", {"chart": "argo-cd", "values": {"configs": {"cm": {"admin.enabled": "true"}}}})],
    "prod",
)
passes(
    P,
    "off in prod",
    [res(RELEASE, "argocd", {"chart": "argo-cd", "values": {"configs": {"cm": {"admin.enabled": False}}}})],
    "prod",
)
passes(P, "on in dev", [res(RELEASE, "argocd", {"chart": "argo-cd", "values": {}})], "dev")
passes(P, "another chart in prod", [res(RELEASE, "loki", {"chart": "loki", "values": {}})], "prod")

P = "aws-iam-route53-changes-name-their-records"
ZONE = "arn:aws:route53:::hostedzone/Z0"
R53 = {"Effect": "Allow", "Action": ["route53:ChangeResourceRecordSets"], "Resource": [ZONE]}
NAMED = {
    "ForAllValues:StringLike": {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["*.dev.kb.example.com"]
    }
}
fails(P, "any record of the zone", [res("aws:iam/policy:Policy", "dns", {"policy": doc(R53)})])
fails(
    P,
    "route53:* pattern",
    [res(RP, "dns", {"role": "r", "policy": doc({**R53, "Action": "route53:Change*"})})],
)
fails(
    P,
    "types only",
    [
        res(
            RP,
            "dns",
            {
                "role": "r",
                "policy": doc(
                    {
                        **R53,
                        "Condition": {
                            "ForAllValues:StringEquals": {
                                "route53:ChangeResourceRecordSetsRecordTypes": ["A"]
                            }
                        },
                    }
                ),
            },
        )
    ],
)
passes(P, "names pinned", [res("aws:iam/policy:Policy", "dns", {"policy": doc({**R53, "Condition": NAMED})})])
passes(
    P,
    "read only",
    [
        res(
            "aws:iam/policy:Policy",
            "dns",
            {"policy": doc({**R53, "Action": "route53:ListResourceRecordSets"})},
        )
    ],
)

APP = "kubernetes:argoproj.io/v1alpha1:Application"


def application(revision: str, project: str = "kubeboard-platform") -> list[dict[str, Any]]:
    source = {"repoURL": "https://github.com/o/r.git", "targetRevision": revision, "path": "charts/x"}
    return [res(APP, "root", {"spec": {"project": project, "source": source}})]


P = "argocd-prod-application-tracks-promoted-revision"
fails(P, "main in prod", application("main"), "prod")
fails(P, "HEAD in prod", application("HEAD"), "prod")
fails(P, "short SHA in prod", application("0a1b2c3"), "prod")
fails(
    P,
    "no revision in prod",
    [res(APP, "root", {"spec": {"project": "p", "source": {"repoURL": "u"}}})],
    "prod",
)
fails(
    P,
    "one of several sources on a branch",
    [
        res(
            APP,
            "root",
            {
                "spec": {
                    "project": "p",
                    "sources": [
                        {"repoURL": "u", "targetRevision": "v1.0.0"},
                        {"repoURL": "u", "targetRevision": "release"},
                    ],
                }
            },
        )
    ],
    "prod",
)
passes(P, "a release tag in prod", application("v1.4.2"), "prod")
passes(P, "a pre-release tag in prod", application("v2.0.0-rc.1"), "prod")
passes(P, "a commit in prod", application("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"), "prod")
passes(P, "main in dev", application("main"), "dev")

_CHART = {"repoURL": "https://argoproj.github.io/argo-helm", "chart": "argocd-apps"}
fails(
    P,
    "a chart version range in prod",
    [res(APP, "root", {"spec": {"project": "p", "source": {**_CHART, "targetRevision": "2.*"}}})],
    "prod",
)
passes(
    P,
    "an exact chart version in prod",
    [res(APP, "root", {"spec": {"project": "p", "source": {**_CHART, "targetRevision": "2.0.5"}}})],
    "prod",
)

P = "argocd-application-disallow-default-project"
fails(P, "default project", application("v1.0.0", project="default"))
fails(P, "no project", [res(APP, "root", {"spec": {"source": {"repoURL": "u", "targetRevision": "v1.0.0"}}})])
passes(P, "own project", application("v1.0.0"))

# --- Fleet --------------------------------------------------------------------------------------------
_SECRET = "kubernetes:core/v1:Secret"


def _cluster_secret(
    config: dict[str, Any], server: str = "https://ABC.gr7.ap-northeast-2.eks.amazonaws.com"
) -> list[dict[str, Any]]:
    return [
        res(
            _SECRET,
            "cluster-dev",
            {
                "metadata": {"name": "cluster-dev", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
                "stringData": {"name": "dev", "server": server, "config": json.dumps(config)},
            },
        )
    ]


_IAM = {"awsAuthConfig": {"clusterName": "kubeboard-dev", "roleARN": "arn:aws:iam::111122223333:role/fleet"}}
P = "argocd-cluster-secret-iam-auth"
fails(P, "a bearer token", _cluster_secret({**_IAM, "bearerToken": "eyJhbGciOi"}), says="bearer token")
fails(
    P,
    "a static client certificate",
    _cluster_secret({"tlsClientConfig": {"certData": "c", "keyData": "k"}}),
    says="awsAuthConfig",
)
passes(P, "IAM authentication", _cluster_secret(_IAM))
passes(
    P,
    "the hub's own cluster",
    _cluster_secret({"tlsClientConfig": {"insecure": False}}, "https://kubernetes.default.svc"),
)


def _apps(project: str, kind: str = "application") -> list[dict[str, Any]]:
    appset = {"template": {"spec": {"project": project}}}
    if kind == "release":
        return [
            res(
                "kubernetes:helm.sh/v3:Release",
                "apps",
                {"chart": "argocd-apps", "values": {"applicationsets": {"a": appset}}},
            )
        ]
    source = {"chart": "argocd-apps", "helm": {"valuesObject": {"applicationsets": {"a": appset}}}}
    return [res(APP, "root", {"spec": {"project": "kubeboard-fleet", "source": source}})]


P = "argocd-applicationset-platform-project"
fails(P, "generated into default", _apps("default"), says="kubeboard-platform")
fails(P, "a release generating into a team project", _apps("team", "release"))
passes(P, "generated into the platform project", _apps("kubeboard-platform"))
passes(P, "a release generating into the platform project", _apps("kubeboard-platform", "release"))


def _wave_secret(wave: str, revision: str) -> list[dict[str, Any]]:
    metadata = {
        "name": "cluster-x",
        "labels": {"argocd.argoproj.io/secret-type": "cluster", "kubeboard.io/wave": wave},
        "annotations": {"kubeboard.io/target-revision": revision},
    }
    return [res(_SECRET, "cluster-x", {"metadata": metadata, "stringData": "[secret]"})]


def _team_app(prod: str) -> list[dict[str, Any]]:
    element = {"app": "orders", "revisions": {"dev": "main", "prod": prod}}
    appset = {
        "generators": [{"matrix": {"generators": [{"clusters": {}}, {"list": {"elements": [element]}}]}}],
        "template": {"spec": {"project": "kubeboard-platform"}},
    }
    source = {"chart": "argocd-apps", "helm": {"valuesObject": {"applicationsets": {"teams": appset}}}}
    return [res(APP, "root", {"spec": {"project": "kubeboard-fleet", "source": source}})]


P = "argocd-fleet-prod-wave-promoted-revision"
fails(P, "a prod-wave cluster on main", _wave_secret("prod", "main"), says="'main'")
fails(P, "a team application's prod revision on a branch", _team_app("release"), says="orders")
passes(P, "a prod-wave cluster on a tag", _wave_secret("prod", "v1.2.0"))
passes(P, "a dev-wave cluster on main", _wave_secret("dev", "main"))
passes(P, "a team application's prod revision on a tag", _team_app("v2.3.0"))

# --- Second forms of the same input -----------------------------------------------------------------
# Each policy reads inputs that can be written more than one way; every way gets a violating and a
# passing case, so a check that only understands the first form cannot pass unnoticed.


def _bucket_policy(*statements: dict[str, Any]) -> list[dict[str, Any]]:
    """A compliant bucket whose only bucket policy holds ``statements``."""
    resources = bucket_with()
    policy = next(r for r in resources if r["type"] == "aws:s3/bucketPolicy:BucketPolicy")
    policy["inputs"]["policy"] = doc(*statements)
    return resources


def _deny_without_tls(**changes: Any) -> dict[str, Any]:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::x", "arn:aws:s3:::x/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(changes)
    return statement


P = "aws-s3-bucket-enforce-ssl-requests-only"
fails(P, "TLS deny of one action only", _bucket_policy(_deny_without_tls(Action="s3:GetObject")))
fails(P, "TLS allow instead of deny", _bucket_policy(_deny_without_tls(Effect="Allow")))
fails(
    P,
    "deny on another condition",
    _bucket_policy(_deny_without_tls(Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})),
)
fails(P, "condition block not a map", _bucket_policy(_deny_without_tls(Condition={"Bool": ["false"]})))
passes(P, "TLS deny of every action ('*')", _bucket_policy(_deny_without_tls(Action="*")))
passes(P, "TLS deny among actions", _bucket_policy(_deny_without_tls(Action=["s3:GetObject", "s3:*"])))
passes(
    P,
    "SecureTransport as a list and a boolean",
    _bucket_policy(
        _deny_without_tls(Condition={"Bool": {"aws:SecureTransport": ["false"]}}),
    ),
)
passes(
    P,
    "SecureTransport as JSON false",
    _bucket_policy(_deny_without_tls(Condition={"Bool": {"aws:SecureTransport": False}})),
)
passes(
    P,
    "an allow before the TLS deny",
    _bucket_policy({**_deny_without_tls(Effect="Allow", Action="s3:GetObject")}, _deny_without_tls()),
)
inline_tls = [r for r in bucket_with(tls_only=False) if r["type"] != "aws:s3/bucketPolicy:BucketPolicy"]
inline_tls[0]["inputs"]["policy"] = doc(_deny_without_tls())
passes(P, "TLS deny inline on the bucket", inline_tls)
inline_allow = [r for r in bucket_with() if r["type"] != "aws:s3/bucketPolicy:BucketPolicy"]
inline_allow[0]["inputs"]["policy"] = doc(_deny_without_tls(Effect="Allow"))
fails(P, "inline policy without a TLS deny", inline_allow)

P = "aws-s3-bucket-enable-server-side-encryption"


def _inline_sse(algorithm: str) -> list[dict[str, Any]]:
    resources = bucket_with(encryption=None)
    resources[0]["inputs"]["serverSideEncryptionConfiguration"] = {
        "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}
    }
    return resources


passes(P, "inline SSE-KMS on the bucket", _inline_sse("aws:kms"))
passes(P, "inline dual-layer SSE-KMS", _inline_sse("aws:kms:dsse"))
fails(P, "inline SSE with an unknown algorithm", _inline_sse("rot13"))
passes(
    P,
    "one known algorithm among others",
    [*_inline_sse("rot13")[:1], *bucket_with(encryption="AES256")[1:]],
)

P = "aws-s3-bucket-disallow-public-read"
fails(P, "public-read-write", [res(BUCKET, "b", {"acl": "public-read-write"})])
fails(P, "upper-case canned ACL", [res(BUCKET, "b", {"acl": "PUBLIC-READ"})])
passes(P, "bucket-owner-full-control", [res(BUCKET, "b", {"acl": "bucket-owner-full-control"})])

P = "aws-s3-bucket-enable-public-access-block"
as_strings = bucket_with()
as_strings[1]["inputs"].update(dict.fromkeys(("blockPublicAcls", "ignorePublicAcls"), "true"))
passes(P, "flags as the strings 'true'", as_strings)
string_off = bucket_with()
string_off[1]["inputs"]["blockPublicPolicy"] = "false"
fails(P, "a flag as the string 'false'", string_off)

P = "aws-s3-bucket-enable-versioning"
inline_versioning = bucket_with(versioning=None)
inline_versioning[0]["inputs"]["versioning"] = {"enabled": True}
passes(P, "versioning inline on the bucket", inline_versioning)
inline_off = bucket_with(versioning=None)
inline_off[0]["inputs"]["versioning"] = {"enabled": False}
fails(P, "versioning inline and off", inline_off)

P = "kubernetes-ingress-require-waf"
fails(
    P,
    "ALB by the old kubernetes.io/ingress.class annotation only",
    ingress({"kubernetes.io/ingress.class": "alb"}, None),
)
fails(
    P,
    "ALB by an alb.ingress.kubernetes.io annotation only",
    ingress({"alb.ingress.kubernetes.io/group.name": "kb"}, None),
)
passes(
    P,
    "old annotation with the WAF",
    ingress({"kubernetes.io/ingress.class": "alb", **WAF}, None),
)
passes(
    P,
    "an nginx ingress is not an ALB",
    ingress({"kubernetes.io/ingress.class": "nginx"}, "nginx"),
)
fails(
    P,
    "explicitly internet-facing without WAF",
    ingress({"alb.ingress.kubernetes.io/scheme": "internet-facing"}),
)


def _values(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [res(REL, "r", {"chart": "app", "values": values})]


fails(
    P,
    "values: an ingress in a list",
    _values({"ingresses": [{"ingressClassName": "alb", "annotations": {}}]}),
)
passes(
    P,
    "values: an ingress in a list with WAF",
    _values({"ingresses": [{"ingressClassName": "alb", "annotations": WAF}]}),
)
passes(
    P,
    "values: disabled by the string 'false'",
    _values({"ingress": {"enabled": "false", "ingressClassName": "alb", "annotations": {}}}),
)
fails(
    P,
    "values: enabled by the string 'true'",
    _values({"ingress": {"enabled": "true", "ingressClassName": "alb", "annotations": {}}}),
)
fails(
    P,
    "values: annotations only, old class annotation",
    _values({"ingress": {"annotations": {"kubernetes.io/ingress.class": "alb"}}}),
)
passes(
    P,
    "values: an internal ALB",
    _values(
        {
            "ingress": {
                "ingressClassName": "alb",
                "annotations": {"alb.ingress.kubernetes.io/scheme": "internal"},
            }
        }
    ),
)
passes(P, "values: no ingress at all", _values({"service": {"type": "ClusterIP"}}))

# Access: principals as a string or a map, statements named by Sid or position, later statements.
P = "aws-iam-disallow-admin-policy-attachment"
fails(
    P,
    "the message names the policy",
    [res(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})],
    says="attaches AdministratorAccess:",
)
passes(
    P,
    "a job-function policy",
    [res(ATTACH, "a", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"})],
)

P = "aws-iam-disallow-assume-or-pass-any-role"
HARMLESS = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
fails(
    P,
    "AssumeRole on * after a harmless statement",
    [
        res(
            POL,
            "p",
            {"policy": doc(HARMLESS, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})},
        )
    ],
    says="policy statement 1:",
)
fails(
    P,
    "named by its Sid",
    [
        res(
            POL,
            "p",
            {"policy": doc({"Sid": "Pivot", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})},
        )
    ],
    says="policy statement Pivot:",
)
fails(
    P,
    "NotResource after a denied pivot",
    [
        res(
            POL,
            "p",
            {
                "policy": doc(
                    {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"},
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": "arn:aws:iam::1:role/x"},
                )
            },
        )
    ],
    says="with NotResource",
)

P = "aws-iam-role-trust-scoped"
fails(
    P,
    "bare account id as a string is another account, not anyone",
    [
        res(
            ROLE,
            "r",
            {
                "assumeRolePolicy": doc(
                    {"Effect": "Allow", "Principal": "444455556666", "Action": "sts:AssumeRole"}
                )
            },
        )
    ],
    says="trust statement 0: trusts every principal of 444455556666 with no condition",
)
fails(
    P,
    "anyone as the string *",
    [
        res(
            ROLE,
            "r",
            {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})},
        )
    ],
    says="any AWS principal may assume",
)

P = "aws-resource-policy-not-public"
passes(
    P,
    "a named principal as a string",
    [
        res(
            "aws:sns/topicPolicy:TopicPolicy",
            "t",
            {"arn": "a", "policy": doc({**OPEN, "Principal": "arn:aws:iam::111122223333:root"})},
        )
    ],
)
fails(
    P,
    "statement named by position",
    [res("aws:sns/topicPolicy:TopicPolicy", "t", {"arn": "a", "policy": doc(HARMLESS, OPEN)})],
    says="statement 1: allows sns:Publish to anyone",
)
fails(
    P,
    "statement named by Sid",
    [res("aws:sns/topicPolicy:TopicPolicy", "t", {"arn": "a", "policy": doc({**OPEN, "Sid": "Open"})})],
    says="statement Open:",
)
passes(
    P,
    "Lambda permission to anyone, pinned to a source ARN",
    [
        res(
            "aws:lambda/permission:Permission",
            "p",
            {
                "function": "f",
                "action": "lambda:InvokeFunction",
                "principal": "*",
                "sourceArn": "arn:aws:s3:::b",
            },
        )
    ],
)
fails(
    P,
    "function URL auth type in lower case",
    [
        res(
            "aws:lambda/permission:Permission",
            "p",
            {
                "function": "f",
                "action": "lambda:InvokeFunctionUrl",
                "principal": "111122223333",
                "functionUrlAuthType": "none",
            },
        )
    ],
    says="function URL without authentication",
)

# Stacks named by region or team are production by either end of the name.
P = "aws-eks-cluster-disallow-api-endpoint-public-access"
for stack in ("prod-eu", "eu-prod", "production", "team-a-prd"):
    fails(P, f"stack {stack} is production", [res(EKS, "c", EKS_WIDE)], stack)
for stack in ("dev-eu", "product-demo", "preprod-eu"):
    passes(P, f"stack {stack} is not production", [res(EKS, "c", EKS_WIDE)], stack)
passes(
    P,
    "public access off as the string 'false'",
    [res(EKS, "c", {**GOOD_EKS, "endpointPublicAccess": "false"})],
    "prod",
)
fails(
    P,
    "half of IPv4 in /8s",
    [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": [f"{n}.0.0.0/8" for n in range(128)]})],
    "prod",
)
passes(
    P,
    "a /8 is not the internet",
    [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": ["10.0.0.0/8", "2001:db8::/16"]})],
    "prod",
)
fails(
    P, "a /7", [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": ["10.0.0.0/7"]})], "prod", says="10.0.0.0/7"
)
fails(
    P,
    "an IPv6 /15",
    [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": ["2001::/15"]})],
    "prod",
    says="2000::/15",
)

P = "aws-s3-bucket-enable-public-access-block"
by_dependency = bucket_with()
del by_dependency[1]["inputs"]["bucket"]  # the bucket name is not known yet: linked by dependency
passes(P, "block linked by dependency only", by_dependency)

P = "kubernetes-helm-release-require-pinned-version"
fails(P, "a chart name without repository or version", [res(REL, "loki", {"chart": "loki"})])
fails(
    P,
    "a local-looking chart from a repository, no version",
    [res(REL, "x", {"chart": "charts/x", "repositoryOpts": REPO_OPTS})],
)
fails(P, "an OCI chart without version", [res(REL, "x", {"chart": "oci://registry.example.com/charts/x"})])

P = "aws-lambda-function-configure-reserved-concurrency"
passes(P, "one reserved execution", [res(FN, "f", {**GOOD_FN, "reservedConcurrentExecutions": 1})])

P = "aws-cloudwatch-loggroup-configure-retention"
passes(P, "one day meets the default minimum", [res(LG, "lg", {"name": "/x", "retentionInDays": 1})])
passes(
    "aws-eks-cluster-disallow-api-endpoint-public-access",
    "a quarter of IPv4 in /8s",
    [res(EKS, "c", {**EKS_WIDE, "publicAccessCidrs": [f"{n}.0.0.0/8" for n in range(64)]})],
    "prod",
)

# Messages say what to fix: the kind and name of the resource, the protocol and ports opened.
fails(
    "kubeboard-stateful-resources-protected-in-prod",
    "the message names the kind",
    [res(BUCKET, "b", {})],
    "prod",
    says="Bucket 'b' is not protected",
)
fails(
    "aws-vpc-sg-open-only-to-authorized-ports",
    "a world rule without a protocol",
    [res(SG, "n", {"ingress": [{"fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]})],
    says="admits 0.0.0.0/0 on any protocol ports 22-22",
)
fails(
    "aws-vpc-sg-open-only-to-authorized-ports",
    "a world rule on tcp",
    [res(SG, "n", {"ingress": [{**WORLD_443, "fromPort": 22, "toPort": 22}]})],
    says="'n' admits 0.0.0.0/0 on tcp ports 22-22",
)
fails(
    "aws-vpc-sg-open-only-to-authorized-ports",
    "the ALB open on a range that starts at 443",
    [alb_sg, res(SG, "range", {"ingress": [{**WORLD_443, "toPort": 8443}]})],
    says="ports 443-8443",
)
for low, high in ((0, 0), (-1, -1)):
    fails(
        "aws-vpc-sg-open-only-to-authorized-ports",
        f"ports {low}-{high} mean every port",
        [
            res(
                SG,
                "n",
                {
                    "ingress": [
                        {"protocol": "-1", "fromPort": low, "toPort": high, "cidrBlocks": ["0.0.0.0/0"]}
                    ]
                },
            )
        ],
        says="on -1 all ports",
    )
empty_name = bucket_with("a") + bucket_with("b")
empty_name[0]["inputs"]["bucket"] = ""  # a name not known yet reads as empty
del empty_name[1]  # bucket a has no public access block
b_block = next(r for r in empty_name if r["name"] == "b-pab")
b_block["inputs"]["bucket"] = ""
fails(
    "aws-s3-bucket-enable-public-access-block",
    "an empty bucket name links by dependency, not to another bucket with no name",
    empty_name,
    says="bucket 'a' has no BucketPublicAccessBlock",
)
SEVEN_WRITES = [
    f"s3:{a}"
    for a in (
        "PutObject",
        "DeleteObject",
        "PutBucketPolicy",
        "PutBucketAcl",
        "PutBucketTagging",
        "PutLifecycleConfiguration",
        "PutBucketVersioning",
    )
]
fails(
    "aws-iam-policy-disallow-wildcard-resource-on-write",
    "a long list of writes is shortened and counted",
    [res(RP, "p", {"policy": doc({"Effect": "Allow", "Action": SEVEN_WRITES, "Resource": "*"})})],
    says=" (+2 more) on Resource",
)
fails(
    "aws-lambda-function-configure-reserved-concurrency",
    "zero says it throttles everything",
    [res(FN, "f", {**GOOD_FN, "reservedConcurrentExecutions": 0})],
    says="reserved concurrency 0 throttles every invocation",
)

# --- People's roles (F3, H6) -------------------------------------------------------------------------
P = "aws-iam-human-role-trust-federated"
HUMAN_TAGS = {"kubeboard.io/role-class": "human"}
SAML = "arn:aws:iam::111122223333:saml-provider/corp"
OIDC = "arn:aws:iam::111122223333:oidc-provider/idp.example.com"
SSO = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_*"


def human_role(*statements: dict[str, Any], tags: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return [
        res(
            ROLE,
            "admin",
            {"assumeRolePolicy": doc(*statements), "tags": HUMAN_TAGS if tags is None else tags},
        )
    ]


saml_statement = {
    "Effect": "Allow",
    "Principal": {"Federated": SAML},
    "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
}
account_root = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "sts:AssumeRole",
}
fails(
    P,
    "an account without MFA",
    human_role({**account_root, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}),
)
fails(P, "SAML without its audience", human_role({**saml_statement, "Condition": {}}))
fails(
    P,
    "OIDC without sub",
    human_role(
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"idp.example.com:aud": "kubeboard"}},
        }
    ),
)
fails(
    P,
    "a service",
    human_role(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ),
)
passes(P, "SAML provider and audience", human_role(saml_statement))
passes(
    P,
    "OIDC with aud and sub",
    human_role(
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"idp.example.com:aud": "kubeboard"},
                "StringLike": {"idp.example.com:sub": ["alice@example.com"]},
            },
        }
    ),
)
passes(
    P,
    "Identity Center permission set",
    human_role({**account_root, "Condition": {"ArnLike": {"aws:PrincipalArn": SSO}}}),
)
passes(
    P,
    "an IAM user with MFA",
    human_role({**account_root, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
)
passes(
    P,
    "not a person's role",
    human_role(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        tags={},
    ),
)

# --- Sign-in ----------------------------------------------------------------------------------------
ALB_AUTH = {
    "alb.ingress.kubernetes.io/auth-type": "oidc",
    "alb.ingress.kubernetes.io/auth-on-unauthenticated-request": "authenticate",
}
DEX = {"dex.config": "connectors: [{type: github, id: github}]"}
OAUTH = {
    "auth.generic_oauth": {"enabled": True},
    "auth": {"disable_login_form": True},
    "auth.basic": {"enabled": False},
}


def _alb_ingress(annotations: dict[str, str]) -> dict[str, Any]:
    return {"enabled": True, "ingressClassName": "alb", "annotations": {**WAF, **annotations}}


def _front_page(extra: dict[str, str]) -> list[dict[str, Any]]:
    source = {
        "helm": {
            "valuesObject": {"ingress": {"enabled": True, "className": "alb", "extraAnnotations": extra}}
        }
    }
    return [res("kubernetes:argoproj.io/v1alpha1:Application", "root", {"spec": {"source": source}})]


P = "ui-require-sign-in"
fails(
    P,
    "ingress object without auth",
    ingress(WAF),
    says="without sign-in",
)
fails(
    P,
    "oidc that lets anonymous through",
    ingress({**WAF, **ALB_AUTH, "alb.ingress.kubernetes.io/auth-on-unauthenticated-request": "allow"}),
)
fails(
    P,
    "grafana published with only its local login",
    [
        res(
            REL,
            "kps",
            {"chart": "kube-prometheus-stack", "values": {"grafana": {"ingress": _alb_ingress({})}}},
        )
    ],
    says="values.grafana.ingress",
)
fails(
    P,
    "argo cd published without dex or oidc",
    [res(REL, "argocd", {"chart": "argo-cd", "values": {"server": {"ingress": _alb_ingress({})}}})],
)
fails(
    P,
    "another chart claiming Grafana's SSO",
    [
        res(
            REL,
            "web",
            {"chart": "podinfo", "values": {"ingress": _alb_ingress({}), "grafana.ini": OAUTH}},
        )
    ],
)
fails(
    P,
    "front page in an application's values without auth",
    _front_page({}),
    says="spec.source.helm.valuesObject",
)
passes(
    P,
    "ingress object behind the ALB's OIDC",
    ingress({**WAF, **ALB_AUTH}),
)
passes(
    P,
    "cognito",
    ingress({**WAF, "alb.ingress.kubernetes.io/auth-type": "cognito"}),
)
passes(
    P,
    "internal ALB",
    ingress({"alb.ingress.kubernetes.io/scheme": "internal"}),
)
passes(
    P,
    "grafana signing in through oauth",
    [
        res(
            REL,
            "kps",
            {
                "chart": "kube-prometheus-stack",
                "values": {"grafana": {"ingress": _alb_ingress({}), "grafana.ini": OAUTH}},
            },
        )
    ],
)
passes(
    P,
    "argo cd signing in through dex",
    [
        res(
            REL,
            "argocd",
            {"chart": "argo-cd", "values": {"configs": {"cm": DEX}, "server": {"ingress": _alb_ingress({})}}},
        )
    ],
)
passes(P, "front page behind the ALB's OIDC", _front_page(ALB_AUTH))
fails(
    P,
    "front page in an application's YAML values without auth",
    [
        res(
            "kubernetes:argoproj.io/v1alpha1:Application",
            "root",
            {"spec": {"sources": [{"helm": {"values": "ingress:\n  enabled: true\n  className: alb\n"}}]}},
        )
    ],
    says="spec.sources[0].helm.values.ingress",
)

P = "ui-disallow-local-admin-with-sso"
fails(
    P,
    "argo cd with dex keeps the chart's admin",
    [res(REL, "argocd", {"chart": "argo-cd", "values": {"configs": {"cm": DEX}}})],
    says="admin.enabled",
)
fails(
    P,
    "grafana with oauth still shows the login form",
    [
        res(
            REL,
            "kps",
            {"chart": "kube-prometheus-stack", "values": {"grafana": {"grafana.ini": {**OAUTH, "auth": {}}}}},
        )
    ],
    says="disable_login_form",
)
fails(
    P,
    "grafana with oauth accepts basic auth by default",
    [res(REL, "g", {"chart": "grafana", "values": {"grafana.ini": {**OAUTH, "auth.basic": {}}}})],
    says="basic auth",
)
passes(
    P,
    "argo cd with dex and no admin",
    [
        res(
            REL,
            "argocd",
            {"chart": "argo-cd", "values": {"configs": {"cm": {**DEX, "admin.enabled": False}}}},
        )
    ],
)
passes(
    P,
    "grafana with oauth only",
    [res(REL, "kps", {"chart": "kube-prometheus-stack", "values": {"grafana": {"grafana.ini": OAUTH}}})],
)
passes(P, "argo cd without sso (no SSO to bypass)", [res(REL, "argocd", {"chart": "argo-cd", "values": {}})])

# Statements are named by Sid when they have one, else by position: each rule that names them.
P = "aws-iam-role-trust-scoped"
fails(
    P,
    "a whole account named by its Sid",
    [res(ROLE, "r", {"assumeRolePolicy": doc({**account_root, "Sid": "Partner"})})],
    says="trust statement Partner: trusts every principal of arn:aws:iam::111122223333:root",
)
P = "aws-iam-role-disallow-wildcard-trust-principal"
ANYONE = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
fails(
    P,
    "anyone named by its Sid",
    [res(ROLE, "r", {"assumeRolePolicy": doc({**ANYONE, "Sid": "Open"})})],
    says="trust statement Open: any AWS principal may assume this role",
)
fails(
    P,
    "anyone in the second statement",
    [res(ROLE, "r", {"assumeRolePolicy": doc(account_root, ANYONE)})],
    says="trust statement 1: any AWS principal may assume this role",
)
P = "aws-iam-role-irsa-trust-scoped-to-service-account"
AUD_ONLY = {"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}
fails(
    P,
    "no subject at all, named by its Sid",
    [res(ROLE, "irsa", {"assumeRolePolicy": doc({**TRUST, "Sid": "Loki", "Condition": AUD_ONLY})})],
    says="trust statement Loki: StringEquals <issuer>:sub must name exactly one "
    "system:serviceaccount:<ns>:<sa> (found none)",
)
fails(
    P,
    "two subjects in the second statement",
    [
        res(
            ROLE,
            "irsa",
            {
                "assumeRolePolicy": doc(
                    account_root,
                    {
                        **TRUST,
                        "Condition": {
                            "StringEquals": {
                                f"{ISSUER}:aud": "sts.amazonaws.com",
                                f"{ISSUER}:sub": ["system:serviceaccount:a:a", "system:serviceaccount:b:b"],
                            }
                        },
                    },
                )
            },
        )
    ],
    says="trust statement 1: StringEquals <issuer>:sub must name exactly one",
)

# Both sides of each bound and each condition the survivors of the mutation benchmark showed open.
P = "aws-efs-filesystem-mount-targets-multi-az"
private_a2 = res(SUBNET, "private-a2", {"availabilityZone": "ap-northeast-2a"})
fails(
    P,
    "two subnets of one zone are one zone",
    [
        fs,
        private_a,
        private_a2,
        res(MT, "mt-a", {"fileSystemId": "fs-id", "subnetId": "private-a-id"}, deps=(fs,)),
        res(MT, "mt-a2", {"fileSystemId": "fs-id", "subnetId": "private-a2-id"}, deps=(fs,)),
    ],
)
passes(
    P,
    "a subnet outside the stack counts as its own zone",
    [
        fs,
        private_a,
        res(MT, "mt-a", {"fileSystemId": "fs-id", "subnetId": "private-a-id"}, deps=(fs,)),
        res(MT, "mt-x", {"fileSystemId": "fs-id", "subnetId": "subnet-0123456789abcdef0"}, deps=(fs,)),
    ],
)
P = "aws-eks-cluster-enable-cluster-encryption-config"
fails(
    P,
    "raw cluster names secrets without a key",
    [res(RAW_EKS, "c", {"encryptionConfig": {"resources": ["secrets"], "provider": {}}})],
    says="no KMS key encrypts the 'secrets' resource",
)
P = "aws-lambda-function-configure-log-retention"
fails(
    P,
    "retention 0 means kept forever",
    [res(LG, "lg", {"name": "/aws/lambda/report", "retentionInDays": 0}), res(FN, "f", GOOD_FN)],
)
P = "aws-vpc-sg-open-only-to-authorized-ports"
passes(
    P,
    "egress rule resource open to the world",
    [
        res(SG, "nodes", {"vpcId": "vpc-id"}),
        res(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "out",
            {
                "type": "egress",
                "securityGroupId": "nodes-id",
                "cidrBlocks": ["0.0.0.0/0"],
                "protocol": "-1",
                "fromPort": 0,
                "toPort": 0,
            },
        ),
    ],
)
fails(
    P,
    "a world rule after a private one",
    [
        res(
            SG,
            "nodes",
            {
                "ingress": [
                    {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/16"]},
                    {**WORLD_443, "fromPort": 22, "toPort": 22},
                ]
            },
        )
    ],
    says="ports 22-22",
)
P = "aws-iam-human-role-trust-federated"
NO_MFA = {**account_root, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}
fails(
    P,
    "a statement named by its Sid",
    human_role({**NO_MFA, "Sid": "Breakglass"}),
    says="trust statement Breakglass:",
)
fails(P, "the second statement by position", human_role(saml_statement, NO_MFA), says="trust statement 1:")
P = "aws-lambda-function-configure-log-retention"
passes(
    P,
    "retention of one day is a retention",
    [res(LG, "lg", {"name": "/aws/lambda/report", "retentionInDays": 1}), res(FN, "f", GOOD_FN)],
)
