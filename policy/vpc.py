"""VPC: flow logs on, the default security group closed, the internet reaches only the ALB on 80/443."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, Severity, StackValidationArgs

from kubeboard_policy.base import GraphStackPolicy
from kubeboard_policy.conventions import is_alb_security_group
from kubeboard_policy.graph import Links, of_type
from kubeboard_policy.networks import internet_wide
from kubeboard_policy.props import get, items, number, strings

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
WEB_PORTS = frozenset({80, 443})


def _flow_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    vpcs = of_type(args.resources, VPC)
    logs = Links(vpcs).group(of_type(args.resources, FLOW_LOG), "vpcId")
    for vpc in vpcs:
        if not logs.get(vpc.urn):
            report(f"VPC '{vpc.name}' has no flow log", vpc.urn)


enable_flow_logs = GraphStackPolicy(
    name="aws-vpc-enable-flow-logs",
    description="Every VPC records flow logs.",
    resource_types=[VPC, FLOW_LOG],
    check=_flow_logs,
    severity=Severity.MEDIUM,
)


def _default_group_closed(args: StackValidationArgs, report: ReportViolation) -> None:
    vpcs = of_type(args.resources, VPC)
    groups = Links(vpcs).group(of_type(args.resources, DEFAULT_SECURITY_GROUP), "vpcId")
    for vpc in vpcs:
        adopted = groups.get(vpc.urn, [])
        if not adopted:
            report(
                f"VPC '{vpc.name}' leaves its default security group unmanaged (it allows all traffic "
                "between members and all egress); adopt it with aws.ec2.DefaultSecurityGroup and no rules",
                vpc.urn,
            )
        for group in adopted:
            if items(get(group.props, "ingress")) or items(get(group.props, "egress")):
                report(f"default security group of VPC '{vpc.name}' has rules; it must have none", group.urn)


default_security_group_closed = GraphStackPolicy(
    name="aws-vpc-default-security-group-closed",
    description="Each VPC's default security group is managed and has no rules.",
    resource_types=[VPC, DEFAULT_SECURITY_GROUP],
    check=_default_group_closed,
    severity=Severity.MEDIUM,
)


def _world_sources(rule: Any) -> list[str]:
    sources = strings(get(rule, "cidrBlocks")) + strings(get(rule, "ipv6CidrBlocks"))
    sources += strings(get(rule, "cidrIpv4")) + strings(get(rule, "cidrIpv6"))
    return sorted(set(internet_wide(sources)))


def _ports(rule: Any) -> tuple[int, int] | None:
    low, high = number(get(rule, "fromPort")), number(get(rule, "toPort"))
    if low is None or high is None:
        return None
    return int(low), int(high)


def _protocol(rule: Any) -> str:
    return str(get(rule, "protocol") or get(rule, "ipProtocol") or "").lower()


def _web_only(rule: Any) -> bool:
    ports = _ports(rule)
    return (
        _protocol(rule) in ("tcp", "6")
        and ports is not None
        and ports[0] == ports[1]
        and ports[0] in WEB_PORTS
    )


def _open_rules(args: StackValidationArgs) -> Iterator[tuple[PolicyResource, list[PolicyResource], Any]]:
    """(the resource holding the rule, the security groups it applies to, the rule)."""
    groups = of_type(args.resources, SECURITY_GROUP)
    links = Links(groups)
    for group in groups:
        for rule in items(get(group.props, "ingress")):
            yield group, [group], rule
    for rule_resource in of_type(args.resources, SECURITY_GROUP_RULE):
        if get(rule_resource.props, "type") == "ingress":
            yield rule_resource, links.targets(rule_resource, "securityGroupId"), rule_resource.props
    for rule_resource in of_type(args.resources, INGRESS_RULE):
        yield rule_resource, links.targets(rule_resource, "securityGroupId"), rule_resource.props


def _public_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    for holder, groups, rule in _open_rules(args):
        world = _world_sources(rule)
        if not world:
            continue
        to_alb = bool(groups) and all(is_alb_security_group(g) for g in groups)
        if to_alb and _web_only(rule):
            continue
        ports = _ports(rule)
        shown = (
            "all ports" if ports is None or ports in ((0, 0), (-1, -1)) else f"ports {ports[0]}-{ports[1]}"
        )
        target = "the ALB" if to_alb else f"'{holder.name}'"
        report(
            f"{target} admits {', '.join(world)} on {_protocol(rule) or 'any protocol'} {shown}", holder.urn
        )


restrict_public_ingress = GraphStackPolicy(
    name="aws-vpc-sg-open-only-to-authorized-ports",
    description="Security groups admit the internet (0.0.0.0/0, ::/0 or any range as wide) only into the ALB, on TCP 80 and 443.",
    resource_types=[SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE],
    check=_public_ingress,
    severity=Severity.CRITICAL,
    remediation_steps="Admit the ALB security group instead of a CIDR; tag ALB groups kubeboard.io/role=alb.",
)

POLICIES = [enable_flow_logs, default_security_group_closed, restrict_public_ingress]
