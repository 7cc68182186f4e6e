"""The Network component as both stacks' offline plans show it (F1, F2, D6)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubeboard_infra.network import Network, NetworkArgs
from kubeboard_infra.plan.mocks import ACCOUNT_ID

from .conftest import plan_for, resources_of, stack_file
from .helpers.direct_call import assert_refused, install_mocks, refusal, run

SUBNET = "aws:ec2/subnet:Subnet"


def _subnets(plan: dict[str, Any], tier: str) -> list[dict[str, Any]]:
    return [s for s in resources_of(plan, SUBNET) if s["inputs"]["tags"]["kubeboard.io/tier"] == tier]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_vpc_with_public_and_private_subnets_in_distinct_azs(stack: str) -> None:
    plan = plan_for(stack)
    network = stack_file(stack)["config"]["kubeboard:network"]

    [vpc] = resources_of(plan, "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == network["cidr"]
    assert vpc["inputs"]["enableDnsHostnames"] is True
    for tier in ("public", "private"):
        subnets = _subnets(plan, tier)
        zones = [s["inputs"]["availabilityZone"] for s in subnets]
        assert len(subnets) >= 2
        assert sorted(zones) == sorted(set(zones)) == sorted(network["availabilityZones"])
        assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in subnets)


@pytest.mark.parametrize(("stack", "nat_count"), [("dev", 1), ("prod", 3)])
def test_nat_gateways_follow_the_strategy(stack: str, nat_count: int) -> None:
    plan = plan_for(stack)
    nats = resources_of(plan, "aws:ec2/natGateway:NatGateway")
    public_ids = {s["id"] for s in _subnets(plan, "public")}

    assert len(nats) == nat_count
    assert all(nat["inputs"]["subnetId"] in public_ids for nat in nats)
    # every private subnet's route table sends the internet to one of the NATs, never to the IGW
    nat_ids = {nat["id"] for nat in nats}
    private_tables = [
        t for t in resources_of(plan, "aws:ec2/routeTable:RouteTable") if "-private-" in t["name"]
    ]
    assert len(private_tables) == len(_subnets(plan, "private"))
    for table in private_tables:
        [route] = table["inputs"]["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        assert route["natGatewayId"] in nat_ids
        assert "gatewayId" not in route


def test_prod_routes_each_private_subnet_through_its_own_az(prod_plan: dict[str, Any]) -> None:
    by_zone = {
        n["name"].removeprefix("network-nat-"): n["id"]
        for n in resources_of(prod_plan, "aws:ec2/natGateway:NatGateway")
    }
    for table in resources_of(prod_plan, "aws:ec2/routeTable:RouteTable"):
        if "-private-" in table["name"]:
            zone = table["name"].removeprefix("network-private-")
            assert table["inputs"]["routes"][0]["natGatewayId"] == by_zone[zone]


def test_subnets_carry_the_load_balancer_and_cluster_tags(stack_plan: dict[str, Any]) -> None:
    cluster_tag = f"kubernetes.io/cluster/{stack_plan['stack'] and _cluster_name(stack_plan)}"
    assert _subnets(stack_plan, "public")
    for subnet in _subnets(stack_plan, "public"):
        assert subnet["inputs"]["tags"]["kubernetes.io/role/elb"] == "1"
        assert subnet["inputs"]["tags"][cluster_tag] == "shared"
    assert _subnets(stack_plan, "private")
    for subnet in _subnets(stack_plan, "private"):
        assert subnet["inputs"]["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in subnet["inputs"]["tags"]
        assert subnet["inputs"]["tags"][cluster_tag] == "shared"


def _cluster_name(plan: dict[str, Any]) -> str:
    return stack_file(plan["stack"])["config"]["kubeboard:platform"]["name"]


def test_s3_gateway_endpoint_serves_every_private_route_table(stack_plan: dict[str, Any]) -> None:
    endpoints = resources_of(stack_plan, "aws:ec2/vpcEndpoint:VpcEndpoint")
    [s3] = [e for e in endpoints if e["inputs"]["vpcEndpointType"] == "Gateway"]
    private_tables = {
        t["id"] for t in resources_of(stack_plan, "aws:ec2/routeTable:RouteTable") if "-private-" in t["name"]
    }

    assert s3["inputs"]["serviceName"] == "com.amazonaws.ap-northeast-2.s3"
    assert set(s3["inputs"]["routeTableIds"]) == private_tables


def test_interface_endpoints_are_switchable(dev_plan: dict[str, Any], prod_plan: dict[str, Any]) -> None:
    def services(plan: dict[str, Any]) -> set[str]:
        return {
            e["inputs"]["serviceName"].removeprefix("com.amazonaws.ap-northeast-2.")
            for e in resources_of(plan, "aws:ec2/vpcEndpoint:VpcEndpoint")
            if e["inputs"]["vpcEndpointType"] == "Interface"
        }

    assert services(prod_plan) == {"ecr.api", "ecr.dkr", "sts", "logs"}
    assert services(dev_plan) == {"ecr.api", "ecr.dkr", "sts"}  # dev switches logs off
    for endpoint in resources_of(prod_plan, "aws:ec2/vpcEndpoint:VpcEndpoint"):
        if endpoint["inputs"]["vpcEndpointType"] == "Interface":
            assert endpoint["inputs"]["privateDnsEnabled"] is True


def test_flow_logs_go_to_a_log_group_with_the_configured_retention(stack_plan: dict[str, Any]) -> None:
    flow_logs = stack_file(stack_plan["stack"])["config"]["kubeboard:network"]["flowLogs"]
    [flow_log] = resources_of(stack_plan, "aws:ec2/flowLog:FlowLog")
    [vpc] = resources_of(stack_plan, "aws:ec2/vpc:Vpc")
    groups = {g["inputs"]["name"]: g for g in resources_of(stack_plan, "aws:cloudwatch/logGroup:LogGroup")}
    destination = flow_log["inputs"]["logDestination"].split(":log-group:")[1]

    assert flow_log["inputs"]["vpcId"] == vpc["id"]
    assert flow_log["inputs"]["trafficType"] == flow_logs["trafficType"]
    assert groups[destination]["inputs"]["retentionInDays"] == flow_logs["retentionDays"]


def test_flow_log_role_may_only_write_its_own_log_group(stack_plan: dict[str, Any]) -> None:
    [policy] = [
        p for p in resources_of(stack_plan, "aws:iam/rolePolicy:RolePolicy") if "flow-logs" in p["name"]
    ]
    [statement] = json.loads(policy["inputs"]["policy"])["Statement"]

    assert all(action.startswith("logs:") for action in statement["Action"])
    assert all("vpc-flow-logs" in resource for resource in statement["Resource"])


def test_default_security_group_has_no_rules(stack_plan: dict[str, Any]) -> None:
    [default_sg] = resources_of(stack_plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg["inputs"]["ingress"] == []
    assert default_sg["inputs"]["egress"] == []


def test_endpoint_security_group_admits_only_https_from_the_vpc(stack_plan: dict[str, Any]) -> None:
    [vpc] = resources_of(stack_plan, "aws:ec2/vpc:Vpc")
    [group] = [
        g
        for g in resources_of(stack_plan, "aws:ec2/securityGroup:SecurityGroup")
        if g["name"] == "network-endpoints"
    ]
    [rule] = group["inputs"]["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (443, 443, "tcp")
    assert rule["cidrBlocks"] == [vpc["inputs"]["cidrBlock"]]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_endpoint_admits_only_what_the_platform_uses(stack: str) -> None:
    endpoints = resources_of(plan_for(stack), "aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoints
    for endpoint in endpoints:
        policy = json.loads(endpoint["inputs"]["policy"])
        assert all(s["Effect"] == "Allow" for s in policy["Statement"])
        service = endpoint["inputs"]["serviceName"].rsplit(".", 1)[-1]
        for statement in policy["Statement"]:
            condition = statement.get("Condition", {}).get("StringEquals", {})
            if service == "s3" and statement["Sid"] == "ImageLayersAndOsPackages":
                # Anyone, but only reading the AWS-owned buckets of image layers and OS packages.
                assert statement["Action"] == "s3:GetObject"
                assert statement["Resource"] == [
                    "arn:aws:s3:::prod-ap-northeast-2-starport-layer-bucket/*",
                    "arn:aws:s3:::al2023-repos-ap-northeast-2-de612dc2/*",
                ]
            elif service == "sts":
                assert condition == {"aws:ResourceAccount": ACCOUNT_ID}
            else:
                assert condition == {"aws:PrincipalAccount": ACCOUNT_ID}


def _direct_args(**overrides: Any) -> NetworkArgs:
    args: dict[str, Any] = {
        "name": "acme",
        "cluster_name": "acme",
        "cidr": "10.20.0.0/16",
        "availability_zones": ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"],
        "public_subnet_cidrs": ["10.20.0.0/24", "10.20.1.0/24", "10.20.2.0/24"],
        "private_subnet_cidrs": ["10.20.32.0/20", "10.20.48.0/20", "10.20.64.0/20"],
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def test_a_direct_call_with_the_defaults_builds_one_nat_per_az_and_every_endpoint() -> None:
    mocks = install_mocks()
    run(lambda: Network("network", _direct_args()))
    types = [resource.typ for resource in mocks.created]
    assert types.count("aws:ec2/natGateway:NatGateway") == 3
    assert types.count("aws:ec2/vpcEndpoint:VpcEndpoint") == 5
    [log_group] = [r for r in mocks.created if r.typ == "aws:cloudwatch/logGroup:LogGroup"]
    assert log_group.inputs["retentionInDays"] == 30


def test_a_direct_call_with_a_subnet_list_short_of_the_zones_names_the_arg_and_builds_nothing() -> None:
    mocks = install_mocks()
    args = _direct_args(private_subnet_cidrs=["10.20.32.0/20", "10.20.48.0/20"])

    assert_refused(
        lambda: Network("network", args),
        "Network args: private_subnet_cidrs: needs one CIDR per availability zone (3), got 2",
        mocks,
    )


def test_a_direct_call_lists_every_problem_of_its_args() -> None:
    install_mocks()
    args = _direct_args(
        cidr="10.16.0.0/12",
        nat_gateways="double",
        flow_log_retention_days=10,
    )

    error = refusal(lambda: Network("network", args))

    assert error.problems[0] == "cidr: a VPC block must be /16 to /28, got /12"
    assert "nat_gateways: 'double' is not one of 'single', 'one-per-az'" in error.problems
    assert error.problems[-1].startswith("flow_log_retention_days: 10 is not a CloudWatch Logs retention")
