"""The Cluster component as both stacks' offline plans show it (K1, F1, F3, O1, O5, O7, O8, D4)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from kubeboard_infra.cluster import Cluster, ClusterArgs
from kubeboard_infra.cluster import problems as cluster_problems

from .conftest import plan_for, resources_of, stack_file
from .helpers.direct_call import assert_refused, install_mocks, refusal

EKS = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
STACKS = ["dev", "prod"]


def _cluster(plan: dict[str, Any]) -> dict[str, Any]:
    [cluster] = resources_of(plan, EKS)
    return cluster["inputs"]


def _by_urn(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {resource["urn"]: resource for resource in plan["resources"]}


def _private_subnet_ids(plan: dict[str, Any]) -> set[str]:
    return {
        s["id"]
        for s in resources_of(plan, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["kubeboard.io/tier"] == "private"
    }


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_uses_access_entries_kms_and_every_log_type(stack: str) -> None:
    plan = plan_for(stack)
    cluster = _cluster(plan)
    settings = stack_file(stack)["config"]["kubeboard:cluster"]

    assert cluster["authenticationMode"] == "API"
    assert cluster["version"] == settings["kubernetesVersion"]
    # The stack file decides what EKS does at the end of standard support (dev STANDARD, prod EXTENDED).
    assert cluster["upgradePolicy"] == {"supportType": settings["upgradePolicy"]}
    assert cluster["skipDefaultNodeGroup"] is True
    assert cluster["createOidcProvider"] is True
    assert sorted(cluster["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    [secrets_key] = [k for k in resources_of(plan, "aws:kms/key:Key") if k["name"] == "cluster-secrets"]
    [eks] = resources_of(plan, EKS)
    assert secrets_key["inputs"]["enableKeyRotation"] is True
    assert cluster["encryptionConfigKeyArn"].startswith("arn:aws:kms:")
    assert secrets_key["urn"] in eks["dependencies"]


@pytest.mark.parametrize("stack", STACKS)
def test_admin_developer_and_viewer_map_to_their_access_policies(stack: str) -> None:
    entries = _cluster(plan_for(stack))["accessEntries"]
    config = stack_file(stack)["config"]
    access = dict(config["kubeboard:cluster"]["access"])
    if "createRoles" in access:
        # The stack creates the three roles (components/human_roles.py): <platform.name>-<role>.
        name = config["kubeboard:platform"]["name"]
        for role in ("admin", "developer", "viewer"):
            access[f"{role}RoleArn"] = f"arn:aws:iam::111122223333:role/{name}-{role}"
    policy = "arn:aws:eks::aws:cluster-access-policy/"

    assert len(entries) >= 3
    admin, developer, viewer = entries["admin"], entries["developer"], entries["viewer"]
    assert admin["principalArn"] == access["adminRoleArn"]
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in admin["accessPolicies"].values()] == [
        (policy + "AmazonEKSClusterAdminPolicy", "cluster")
    ]
    assert developer["principalArn"] == access["developerRoleArn"]
    developer_policies = {p["policyArn"]: p["accessScope"] for p in developer["accessPolicies"].values()}
    assert developer_policies[policy + "AmazonEKSEditPolicy"] == {"type": "namespace", "namespaces": ["dev"]}
    assert developer_policies[policy + "AmazonEKSViewPolicy"] == {"type": "cluster"}
    assert viewer["principalArn"] == access["viewerRoleArn"]
    assert [p["policyArn"] for p in viewer["accessPolicies"].values()] == [policy + "AmazonEKSViewPolicy"]
    # the Kubernetes groups the chart's RoleBindings refer to
    assert {entries[role]["kubernetesGroups"][0] for role in ("admin", "developer", "viewer")} == {
        "kubeboard:admins",
        "kubeboard:developers",
        "kubeboard:viewers",
    }


def test_prod_api_endpoint_is_private_only(prod_plan: dict[str, Any]) -> None:
    cluster = _cluster(prod_plan)
    assert cluster["endpointPrivateAccess"] is True
    assert cluster["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster
    assert cluster["deletionProtection"] is True


def test_dev_public_endpoint_admits_only_its_allow_list(dev_plan: dict[str, Any]) -> None:
    cluster = _cluster(dev_plan)
    allowed = stack_file("dev")["config"]["kubeboard:cluster"]["endpoint"]["publicAccessCidrs"]
    assert cluster["endpointPrivateAccess"] is True
    assert cluster["publicAccessCidrs"] == allowed
    assert all(ipaddress.ip_network(cidr).prefixlen > 0 for cidr in cluster["publicAccessCidrs"])


@pytest.mark.parametrize("stack", STACKS)
def test_control_plane_log_group_exists_before_the_cluster_with_stack_retention(stack: str) -> None:
    plan = plan_for(stack)
    name = stack_file(stack)["config"]["kubeboard:platform"]["name"]
    retention = stack_file(stack)["config"]["kubeboard:cluster"]["logRetentionDays"]
    [group] = [
        g
        for g in resources_of(plan, "aws:cloudwatch/logGroup:LogGroup")
        if g["inputs"]["name"] == f"/aws/eks/{name}/cluster"
    ]
    [cluster] = resources_of(plan, EKS)

    assert group["inputs"]["retentionInDays"] == retention
    assert group["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert group["urn"] in cluster["dependencies"]


@pytest.mark.parametrize("stack", STACKS)
def test_node_groups_run_in_private_subnets_through_a_hardened_launch_template(stack: str) -> None:
    plan = plan_for(stack)
    groups = resources_of(plan, NODE_GROUP)
    settings = stack_file(stack)["config"]["kubeboard:cluster"]["nodeGroups"]
    templates = {t["id"]: t["inputs"] for t in resources_of(plan, LAUNCH_TEMPLATE)}
    private = _private_subnet_ids(plan)

    assert len(groups) == len(settings)
    assert groups
    for group, wanted in zip(
        sorted(groups, key=lambda g: g["name"]), sorted(settings, key=lambda s: s["name"]), strict=True
    ):
        inputs = group["inputs"]
        assert set(inputs["subnetIds"]) == private  # never a public subnet
        assert inputs["capacityType"] == wanted["capacityType"]
        assert inputs["instanceTypes"] == wanted["instanceTypes"]
        assert inputs["scalingConfig"] == {
            "minSize": wanted["minSize"],
            "desiredSize": wanted["desiredSize"],
            "maxSize": wanted["maxSize"],
        }
        assert wanted.get("labels", {}).items() <= inputs["labels"].items()
        assert "remoteAccess" not in inputs
        template = templates[inputs["launchTemplate"]["id"]]
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
        [root] = template["blockDeviceMappings"]
        assert root["ebs"]["volumeType"] == "gp3"
        assert root["ebs"]["encrypted"] == "true"
        assert "keyName" not in template


def test_spot_group_taints_reach_the_node_group_and_the_autoscaler(dev_plan: dict[str, Any]) -> None:
    [spot] = [g for g in resources_of(dev_plan, NODE_GROUP) if g["inputs"]["capacityType"] == "SPOT"]
    assert spot["inputs"]["taints"] == [
        {"key": "kubeboard.io/spot", "value": "true", "effect": "NO_SCHEDULE"}
    ]
    tags = {
        t["inputs"]["tag"]["key"]: t["inputs"]["tag"]["value"]
        for t in resources_of(dev_plan, "aws:autoscaling/tag:Tag")
        if t["parent"] == spot["urn"]
    }
    assert tags["k8s.io/cluster-autoscaler/node-template/taint/kubeboard.io/spot"] == "true:NoSchedule"


@pytest.mark.parametrize("stack", STACKS)
def test_every_node_group_asg_carries_the_autoscaler_discovery_tags(stack: str) -> None:
    plan = plan_for(stack)
    name = stack_file(stack)["config"]["kubeboard:platform"]["name"]
    tags = resources_of(plan, "aws:autoscaling/tag:Tag")
    assert resources_of(plan, NODE_GROUP)
    for group in resources_of(plan, NODE_GROUP):
        own = {
            t["inputs"]["tag"]["key"]: t["inputs"]["tag"]["value"]
            for t in tags
            if t["parent"] == group["urn"]
        }
        assert own["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert own[f"k8s.io/cluster-autoscaler/{name}"] == "owned"


@pytest.mark.parametrize("stack", STACKS)
def test_nodes_are_reached_through_ssm_not_ssh(stack: str) -> None:
    plan = plan_for(stack)
    name = stack_file(stack)["config"]["kubeboard:platform"]["name"]
    [role] = [r for r in resources_of(plan, ROLE) if r["name"] == f"{name}-node"]
    # every node group runs as that role
    assert {
        g["inputs"]["nodeRoleArn"].rsplit("/", 1)[-1].rsplit("-", 1)[0]
        for g in resources_of(plan, NODE_GROUP)
    } == {role["name"]}
    attached = {
        a["inputs"]["policyArn"] for a in resources_of(plan, ATTACHMENT) if a["parent"] == role["urn"]
    }
    assert "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" in attached
    # the VPC CNI has its own IRSA role; nodes do not carry its permissions
    assert "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" not in attached


@pytest.mark.parametrize("stack", STACKS)
def test_managed_addons_are_pinned_and_cni_enforces_network_policy(stack: str) -> None:
    plan = plan_for(stack)
    versions = stack_file(stack)["config"]["kubeboard:cluster"]["managedAddons"]
    addons = {a["inputs"]["addonName"]: a["inputs"] for a in resources_of(plan, ADDON)}

    assert addons.keys() == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "aws-efs-csi-driver"}
    assert addons["vpc-cni"]["addonVersion"] == versions["vpcCni"]
    assert addons["coredns"]["addonVersion"] == versions["coredns"]
    assert addons["kube-proxy"]["addonVersion"] == versions["kubeProxy"]
    assert addons["aws-ebs-csi-driver"]["addonVersion"] == versions["awsEbsCsiDriver"]
    assert addons["aws-efs-csi-driver"]["addonVersion"] == versions["awsEfsCsiDriver"]
    assert json.loads(addons["vpc-cni"]["configurationValues"]) == {"enableNetworkPolicy": "true"}
    role_arns = [
        addons[name]["serviceAccountRoleArn"]
        for name in ("vpc-cni", "aws-ebs-csi-driver", "aws-efs-csi-driver")
    ]
    assert len(set(role_arns)) == 3  # each driver has a role of its own


@pytest.mark.parametrize("stack", STACKS)
def test_pulumi_eks_installs_no_addons_of_its_own(stack: str) -> None:
    # Ours are pinned aws.eks.Addon resources; pulumi-eks's own copies would fight them.
    cluster = _cluster(plan_for(stack))
    assert cluster["corednsAddonOptions"]["enabled"] is False
    assert cluster["kubeProxyAddonOptions"]["enabled"] is False
    assert cluster["bootstrapSelfManagedAddons"] is False


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_outputs_for_other_stacks(stack: str) -> None:
    plan = plan_for(stack)
    outputs = plan["outputs"]
    name = stack_file(stack)["config"]["kubeboard:platform"]["name"]
    assert outputs["clusterName"] == name
    assert outputs["clusterEndpoint"].startswith("https://")
    assert outputs["oidcProviderArn"].startswith("arn:aws:iam::")
    assert outputs["oidcIssuer"].startswith("oidc.eks.")
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["nodeRoleArn"].startswith("arn:aws:iam::")


def _direct_args(**overrides: Any) -> ClusterArgs:
    args: dict[str, Any] = {
        "name": "acme",
        "kubernetes_version": "1.36",
        "upgrade_policy": "STANDARD",
        "vpc_id": "vpc-0123456789abcdef0",
        "private_subnet_ids": ["subnet-0a", "subnet-0b"],
        "access": {
            "admin_role_arn": "arn:aws:iam::111122223333:role/admin",
            "developer_role_arn": "arn:aws:iam::111122223333:role/developer",
            "viewer_role_arn": "arn:aws:iam::111122223333:role/viewer",
            "developer_namespaces": ["dev"],
        },
        "node_groups": [
            {
                "name": "system",
                "instance_types": ["m7i.large"],
                "min_size": 2,
                "desired_size": 2,
                "max_size": 4,
            }
        ],
        "addon_versions": {
            "vpc-cni": "v1.20.4-eksbuild.1",
            "coredns": "v1.12.4-eksbuild.1",
            "kube-proxy": "v1.36.0-eksbuild.1",
            "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
            "aws-efs-csi-driver": "v2.1.13-eksbuild.1",
        },
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def test_the_direct_call_args_are_valid_as_given() -> None:
    assert cluster_problems(_direct_args()) == []


def test_a_direct_call_with_a_node_group_above_the_eks_limit_names_it_and_builds_nothing() -> None:
    mocks = install_mocks()
    groups = [
        {"name": "system", "instance_types": ["m7i.large"], "min_size": 2, "desired_size": 2, "max_size": 451}
    ]

    assert_refused(
        lambda: Cluster("cluster", _direct_args(node_groups=groups)),
        "Cluster args: node_groups[0].max_size: must be 1..450, got 451",
        mocks,
    )


def test_a_direct_call_refuses_a_public_endpoint_without_an_allow_list() -> None:
    install_mocks()
    error = refusal(lambda: Cluster("cluster", _direct_args(endpoint_public_access=True)))
    assert error.problems == ["public_access_cidrs: a public endpoint needs an allow-list of CIDRs"]


def test_a_direct_call_refuses_the_creator_as_a_deploy_role() -> None:
    install_mocks()
    access = {**_direct_args()["access"], "deploy_role_arns": ["arn:aws:iam::111122223333:role/creator"]}
    creator = {"provider": None, "role_arn": "arn:aws:iam::111122223333:role/creator"}

    error = refusal(lambda: Cluster("cluster", _direct_args(access=access, creator=creator)))

    assert error.problems == [
        "creator.role_arn: arn:aws:iam::111122223333:role/creator is also `access.deploy_role_arns`: EKS already "
        "makes the creator cluster admin, and a second access entry for it fails (ResourceInUseException)"
    ]
