"""Network: the VPC every other component lives in (K1, F1, F2, D6).

Public subnets hold load balancers and NAT gateways; private subnets hold nodes and pods and reach
the internet only through NAT; optional intra subnets have no internet route at all. AWS APIs are
reached privately through VPC endpoints, and every flow is logged.
"""

import ipaddress
import json
from collections.abc import Mapping
from enum import StrEnum
from itertools import combinations
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws

from . import endpoint_policies
from .args import validate_args
from .log_retention import retention_problem

# Interface endpoints: the AWS services nodes and pods call most, kept off the NAT.
_INTERFACE_ENDPOINTS = {
    "ecr_api": "ecr.api",
    "ecr_dkr": "ecr.dkr",
    "sts": "sts",
    "logs": "logs",
}
# AWS: a subnet is /16 to /28; a VPC's primary block is /16 to /28.
SMALLEST_SUBNET_PREFIX = 28
LARGEST_VPC_PREFIX = 16
MIN_ZONES = 2
MAX_ZONES = 6


class NatGatewayStrategy(StrEnum):
    """How private subnets reach the internet."""

    SINGLE = "single"
    """One NAT gateway in the first AZ: cheap, but an AZ outage cuts egress for all."""
    ONE_PER_AZ = "one-per-az"
    """One NAT gateway per AZ, each private subnet routed to its own: survives an AZ outage."""


class FlowLogTraffic(StrEnum):
    """Which flows the VPC flow log records."""

    ALL = "ALL"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


class NetworkConfig(TypedDict):
    """The VPC's layout: what the ``kubeboard:network`` section holds."""

    cidr: str
    """The VPC's IPv4 block, /16 to /28. Required."""
    availability_zones: list[str]
    """Two to six distinct AZs; every subnet tier gets one subnet per AZ, in this order. Required."""
    public_subnet_cidrs: list[str]
    """One per AZ, inside ``cidr``: load balancers and NAT gateways live here. Required."""
    private_subnet_cidrs: list[str]
    """One per AZ, inside ``cidr``: nodes, pods and interface endpoints (size them for the VPC CNI,
    a /19 or /20). Required."""
    intra_subnet_cidrs: NotRequired[list[str]]
    """None (default) or one per AZ: subnets with no route to the internet at all."""
    nat_gateways: NotRequired[NatGatewayStrategy]
    """``one-per-az`` (default, survives an AZ outage) or ``single`` (cheaper)."""
    endpoints: NotRequired[dict[str, bool]]
    """Which VPC endpoints to create, by name: ``s3`` (gateway; ECR's image layers come from S3),
    ``ecr_api``, ``ecr_dkr``, ``sts`` (IRSA's credentials), ``logs``; each is on unless set false."""
    flow_log_retention_days: NotRequired[int]
    """Retention of the always-on flow log's group, a CloudWatch Logs retention value (default 30)."""
    flow_log_traffic_type: NotRequired[FlowLogTraffic]
    """Which flows the flow log records: ``ALL`` (default), ``ACCEPT`` or ``REJECT``."""


class NetworkArgs(NetworkConfig):
    """`NetworkConfig` and the names the platform gives it."""

    name: str
    """Prefix of every resource name. Required."""
    cluster_name: str
    """The EKS cluster that will use the subnets: tagged so its load balancers find them. Required."""


DEFAULT_ENDPOINTS = {"s3": True, **dict.fromkeys(_INTERFACE_ENDPOINTS, True)}
DEFAULTS: dict[str, Any] = {
    "intra_subnet_cidrs": [],
    "nat_gateways": NatGatewayStrategy.ONE_PER_AZ,
    "endpoints": DEFAULT_ENDPOINTS,
    "flow_log_retention_days": 30,
    "flow_log_traffic_type": FlowLogTraffic.ALL,
}


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ``args`` (a `NetworkArgs`, with or without its name and cluster name) cannot build a network."""
    found: list[str] = []
    vpc = _cidr(args.get("cidr"))
    if vpc is None:
        found.append(f"cidr: {args.get('cidr')!r} is not an IPv4 CIDR block")
    elif not LARGEST_VPC_PREFIX <= vpc.prefixlen <= SMALLEST_SUBNET_PREFIX:
        found.append(f"cidr: a VPC block must be /16 to /28, got /{vpc.prefixlen}")
    zones = list(args.get("availability_zones") or [])
    if not MIN_ZONES <= len(zones) <= MAX_ZONES:
        found.append(
            f"availability_zones: needs {MIN_ZONES} to {MAX_ZONES} availability zones, got {len(zones)}"
        )
    if len(set(zones)) != len(zones):
        found.append(f"availability_zones: each AZ may appear once, got {zones}")
    found += _subnet_problems(args, vpc, len(zones))
    if args.get("nat_gateways", NatGatewayStrategy.ONE_PER_AZ) not in set(NatGatewayStrategy):
        found.append(f"nat_gateways: {args['nat_gateways']!r} is not one of {_values(NatGatewayStrategy)}")
    unknown = sorted(set(args.get("endpoints") or {}) - set(DEFAULT_ENDPOINTS))
    if unknown:
        found.append(
            f"endpoints: no such endpoint {', '.join(unknown)}; known: {', '.join(DEFAULT_ENDPOINTS)}"
        )
    traffic = args.get("flow_log_traffic_type", FlowLogTraffic.ALL)
    if traffic not in set(FlowLogTraffic):
        found.append(f"flow_log_traffic_type: {traffic!r} is not one of {_values(FlowLogTraffic)}")
    retention = retention_problem(args.get("flow_log_retention_days", 30))
    if retention:
        found.append(f"flow_log_retention_days: {retention}")
    return found


def _subnet_problems(args: Mapping[str, Any], vpc: ipaddress.IPv4Network | None, zones: int) -> list[str]:
    found: list[str] = []
    named: list[tuple[str, ipaddress.IPv4Network]] = []
    for key in ("public_subnet_cidrs", "private_subnet_cidrs", "intra_subnet_cidrs"):
        cidrs = list(args.get(key) or [])
        if key == "intra_subnet_cidrs" and not cidrs:
            continue
        if len(cidrs) != zones:
            found.append(f"{key}: needs one CIDR per availability zone ({zones}), got {len(cidrs)}")
        for index, text in enumerate(cidrs):
            where = f"{key}[{index}]"
            subnet = _cidr(text)
            if subnet is None:
                found.append(f"{where}: {text!r} is not an IPv4 CIDR block")
            elif subnet.prefixlen > SMALLEST_SUBNET_PREFIX:
                found.append(f"{where}: {text} is smaller than AWS's smallest subnet (/28)")
            elif vpc is not None and not subnet.subnet_of(vpc):
                found.append(f"{where}: {text} does not fit inside the VPC block {vpc}")
            else:
                named.append((where, subnet))
    for (first, a), (second, b) in combinations(named, 2):
        if a.overlaps(b):
            found.append(f"{second}: {b} overlaps `{first}` ({a})")
    return found


def _cidr(text: object) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _values(kind: type[StrEnum]) -> str:
    return ", ".join(repr(member.value) for member in kind)


class Network(pulumi.ComponentResource):
    """A VPC: public, private and optional intra subnets per AZ, NAT, VPC endpoints and flow logs."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    intra_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]
    nat_gateway_ids: pulumi.Output[list[str]]
    nat_public_ips: pulumi.Output[list[str]]
    """The NAT gateways' addresses: what an allow-list elsewhere (a fleet spoke's API) admits."""
    endpoint_security_group_id: pulumi.Output[str]
    flow_log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Network", name, None, opts)
        validate_args("Network", args, NetworkArgs, problems)
        args = cast(NetworkArgs, {**DEFAULTS, **args})
        prefix = args["name"]
        zones = args["availability_zones"]
        child = pulumi.ResourceOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{args['cluster_name']}": "shared"}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args["cidr"],
            enable_dns_hostnames=True,  # required by EKS and by private DNS of interface endpoints
            enable_dns_support=True,
            tags={"Name": f"{prefix}-vpc"},
            opts=child,
        )
        # The default security group is the fallback for anything created without one: leave it
        # with no rules so such a thing can talk to nothing.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{prefix}-default-deny"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{prefix}-igw"}, opts=child
        )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={"Name": f"{prefix}-public"},
            opts=child,
        )
        public_subnets = []
        for index, (zone, cidr) in enumerate(zip(zones, args["public_subnet_cidrs"], strict=True)):
            subnet = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,  # only load balancers and NAT live here; they get EIPs
                tags={
                    "Name": f"{prefix}-public-{zone}",
                    "kubernetes.io/role/elb": "1",
                    "kubeboard.io/tier": "public",
                    **cluster_tag,
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )
            public_subnets.append(subnet)

        strategy = NatGatewayStrategy(args["nat_gateways"])
        nat_count = 1 if strategy is NatGatewayStrategy.SINGLE else len(zones)
        nat_gateways = []
        nat_ips = []
        for index in range(nat_count):
            zone = zones[index]
            eip = aws.ec2.Eip(
                f"{name}-nat-{zone}", domain="vpc", tags={"Name": f"{prefix}-nat-{zone}"}, opts=child
            )
            nat_ips.append(eip.public_ip)
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    allocation_id=eip.id,
                    subnet_id=public_subnets[index].id,
                    tags={"Name": f"{prefix}-nat-{zone}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        private_subnets = []
        private_route_tables = []
        for index, (zone, cidr) in enumerate(zip(zones, args["private_subnet_cidrs"], strict=True)):
            nat = nat_gateways[index if strategy is NatGatewayStrategy.ONE_PER_AZ else 0]
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={"Name": f"{prefix}-private-{zone}"},
                opts=child,
            )
            subnet = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={
                    "Name": f"{prefix}-private-{zone}",
                    "kubernetes.io/role/internal-elb": "1",
                    "kubeboard.io/tier": "private",
                    **cluster_tag,
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )
            private_subnets.append(subnet)
            private_route_tables.append(route_table)

        intra_subnets = []
        intra_cidrs = args["intra_subnet_cidrs"]
        if intra_cidrs:
            intra_rt = aws.ec2.RouteTable(
                f"{name}-intra-rt", vpc_id=vpc.id, tags={"Name": f"{prefix}-intra"}, opts=child
            )
            for index, (zone, cidr) in enumerate(zip(zones, intra_cidrs, strict=True)):
                subnet = aws.ec2.Subnet(
                    f"{name}-intra-{zone}",
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{prefix}-intra-{zone}", "kubeboard.io/tier": "intra"},
                    opts=child,
                )
                aws.ec2.RouteTableAssociation(
                    f"{name}-intra-{index}", subnet_id=subnet.id, route_table_id=intra_rt.id, opts=child
                )
                intra_subnets.append(subnet)

        endpoints = {**DEFAULT_ENDPOINTS, **args["endpoints"]}
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        if endpoints["s3"]:
            aws.ec2.VpcEndpoint(
                f"{name}-s3",
                vpc_id=vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region, ".s3"),
                vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in private_route_tables],
                policy=pulumi.Output.all(account, region).apply(
                    lambda resolved: endpoint_policies.s3_gateway(resolved[0], resolved[1])
                ),
                tags={"Name": f"{prefix}-s3"},
                opts=child,
            )
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=vpc.id,
            description="HTTPS from inside the VPC to AWS interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args["cidr"]],
                    description="HTTPS from the VPC",
                )
            ],
            tags={"Name": f"{prefix}-endpoints"},
            opts=child,
        )
        for key, service in _INTERFACE_ENDPOINTS.items():
            if not endpoints[key]:
                continue
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region, f".{service}"),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in private_subnets],
                security_group_ids=[endpoint_sg.id],
                policy=account.apply(
                    lambda account_id, service=service: endpoint_policies.interface(service, account_id)
                ),
                tags={"Name": f"{prefix}-{service}"},
                opts=child,
            )

        flow_log_group = self._flow_logs(name, prefix, vpc, args, account)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.intra_subnet_ids = pulumi.Output.all(*[s.id for s in intra_subnets])
        self.private_route_table_ids = pulumi.Output.all(*[rt.id for rt in private_route_tables])
        self.nat_gateway_ids = pulumi.Output.all(*[nat.id for nat in nat_gateways])
        self.nat_public_ips = pulumi.Output.all(*nat_ips)
        self.endpoint_security_group_id = endpoint_sg.id
        self.flow_log_group_name = flow_log_group.name
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "intra_subnet_ids": self.intra_subnet_ids,
                "nat_gateway_ids": self.nat_gateway_ids,
                "nat_public_ips": self.nat_public_ips,
                "flow_log_group_name": self.flow_log_group_name,
                "private_route_table_ids": self.private_route_table_ids,
                "endpoint_security_group_id": self.endpoint_security_group_id,
            }
        )

    def _flow_logs(
        self, name: str, prefix: str, vpc: aws.ec2.Vpc, args: NetworkArgs, account: pulumi.Output[str]
    ) -> aws.cloudwatch.LogGroup:
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/kubeboard/{prefix}/vpc-flow-logs",
            retention_in_days=args["flow_log_retention_days"],
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description="Lets VPC Flow Logs write to its own log group",
            assume_role_policy=account.apply(
                lambda account_id: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                # Confused-deputy guard: only flow logs of this account.
                                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type=FlowLogTraffic(args["flow_log_traffic_type"]).value,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{prefix}-flow-log"},
            opts=child,
        )
        return log_group
