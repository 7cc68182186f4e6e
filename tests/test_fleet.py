"""The sample fleet (examples/fleet): a hub and two spokes planned offline together.

The hub's plan holds one cluster secret per spoke, registered through IAM with the bridge labels
and annotations; each spoke's plan holds the access entry for the hub's Argo CD roles.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.cli import main
from kubeboard_infra.fleet import BRIDGE_OUTPUT, HUB_ROLE_OUTPUT, FleetHub, FleetHubAccess, FleetSpoke
from kubeboard_infra.fleet.hub import Hub, checked_bridge
from kubeboard_infra.plan.collisions import Placement, find_collisions
from kubeboard_infra.plan.report import findings
from kubeboard_infra.plan.runner import bootstrap_overrides, stack_references
from kubeboard_infra.plan.stack_files import StackConfig
from kubeboard_policy.fleet import POLICIES as FLEET_POLICIES
from tests.conftest import PROJECT_DIR, merge_overlay, resources_of, stack_file
from tests.fleet_sample import HUB, SEEN_SECRETS, SPOKES, STACKS, fleet_plans, overlay
from tests.helpers.chart_values import ChartValues
from tests.helpers.direct_call import assert_refused, install_mocks

SECRET = "kubernetes:core/v1:Secret"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ROLE = "aws:iam/role:Role"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return fleet_plans(tmp_path_factory.mktemp("fleet"))


def _cluster_secrets(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for secret in resources_of(plan, SECRET):
        labels = secret["inputs"]["metadata"].get("labels") or {}
        if labels.get("argocd.argoproj.io/secret-type") == "cluster":
            found[secret["name"]] = secret
    return found


def test_every_stack_plans_without_a_mandatory_violation(fleet: dict[str, dict[str, Any]]) -> None:
    assert sorted(fleet) == sorted(STACKS)
    for stack, plan in fleet.items():
        assert plan["policies"]["mandatoryViolations"] == 0, (stack, plan["policies"]["results"])
        assert findings(plan) == [], stack  # provider inputs, AWS limits, support windows
        assert plan["unexplainedWaits"] == [], stack
        evaluated = plan["policies"]["evaluated"]
        assert {p.name for p in FLEET_POLICIES} <= set(evaluated)


def test_the_fleets_stacks_create_no_name_twice(fleet: dict[str, dict[str, Any]]) -> None:
    placements = {
        stack: Placement(account=plan["placement"]["account"], region=plan["placement"]["region"])
        for stack, plan in fleet.items()
    }
    assert len(placements) == 4
    assert find_collisions(fleet, placements) == []


def test_the_hub_registers_each_spoke_once_through_iam(fleet: dict[str, dict[str, Any]]) -> None:
    secrets = _cluster_secrets(fleet[HUB])
    assert sorted(secrets) == sorted([f"fleet-{spoke}" for spoke in SPOKES] + ["fleet-in-cluster"])
    for spoke in SPOKES:
        bridge = fleet[spoke]["outputs"][BRIDGE_OUTPUT]
        secret = secrets[f"fleet-{spoke}"]["inputs"]
        config = json.loads(SEEN_SECRETS[(HUB, f"fleet-{spoke}")]["stringData"]["config"])
        assert config == {
            "awsAuthConfig": {"clusterName": bridge["clusterName"], "roleARN": bridge["accessRoleArn"]},
            "tlsClientConfig": {"insecure": False, "caData": bridge["caData"]},
        }
        assert SEEN_SECRETS[(HUB, f"fleet-{spoke}")]["stringData"]["server"] == bridge["endpoint"]
        labels, annotations = secret["metadata"]["labels"], secret["metadata"]["annotations"]
        assert labels == {
            "argocd.argoproj.io/secret-type": "cluster",
            "kubeboard.io/fleet": "kubeboard",
            "kubeboard.io/wave": "dev",
            "kubeboard.io/environment": "dev",
            "kubeboard.io/cluster-name": bridge["clusterName"],
            "kubeboard.io/region": "ap-northeast-2",
        }
        assert annotations["kubeboard.io/access-role-arn"] == bridge["accessRoleArn"]
        assert annotations["kubeboard.io/target-revision"] == "main"
        assert annotations["kubeboard.io/efs-file-system-id"] == fleet[spoke]["outputs"]["efsFileSystemId"]
        assert (
            annotations["kubeboard.io/irsa-role-arn.viewsSync"] == fleet[spoke]["outputs"]["viewsSyncRoleArn"]
        )
        assert annotations["kubeboard.io/bucket.errorReports"] == fleet[spoke]["outputs"]["errorReportBucket"]
        values = json.loads(annotations["kubeboard.io/platform-values"])
        assert values["ingress"]["host"] == f"{spoke}.kubeboard.example.com"
        assert values["views"]["maxImages"] == 500  # an integer again after the stack-output round trip


def test_the_hubs_own_cluster_is_in_the_prod_wave_on_the_promoted_tag(
    fleet: dict[str, dict[str, Any]],
) -> None:
    secret = _cluster_secrets(fleet[HUB])["fleet-in-cluster"]["inputs"]["metadata"]
    assert secret["labels"]["kubeboard.io/wave"] == "prod"
    assert secret["annotations"]["kubeboard.io/target-revision"] == "v0.1.0"
    seen = SEEN_SECRETS[(HUB, "fleet-in-cluster")]["stringData"]
    assert seen["server"] == "https://kubernetes.default.svc"
    assert "bearerToken" not in seen["config"]


def test_each_spoke_gives_the_hubs_roles_an_access_entry(fleet: dict[str, dict[str, Any]]) -> None:
    hub_roles = sorted(fleet[HUB]["outputs"][HUB_ROLE_OUTPUT])
    assert len(hub_roles) == 2
    for spoke in SPOKES:
        plan = fleet[spoke]
        bridge = plan["outputs"][BRIDGE_OUTPUT]
        assert sorted(bridge["hubRoleArns"]) == hub_roles
        role = next(r for r in resources_of(plan, ROLE) if r["name"] == "fleet-spoke-access")
        trust = json.loads(role["inputs"]["assumeRolePolicy"])
        assert trust["Statement"][0]["Principal"] == {"AWS": hub_roles}
        entries = [
            r
            for r in resources_of(plan, ACCESS_ENTRY)
            if r["inputs"]["principalArn"] == bridge["accessRoleArn"]
        ]
        assert len(entries) == 1
        assert entries[0]["inputs"]["clusterName"] == bridge["clusterName"]
        associations = [
            r
            for r in resources_of(plan, ASSOCIATION)
            if r["inputs"]["principalArn"] == bridge["accessRoleArn"]
        ]
        assert [a["inputs"]["policyArn"] for a in associations] == [CLUSTER_ADMIN]


def test_the_network_path_follows_each_spokes_settings(fleet: dict[str, dict[str, Any]]) -> None:
    def api_rules(stack: str) -> list[dict[str, Any]]:
        return [
            r["inputs"]
            for r in resources_of(fleet[stack], "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r["name"].startswith("fleet-spoke-api-from-hub")
        ]

    assert api_rules("dev") == []  # allow-listed public endpoint: the hub's NAT addresses, each
    hub_addresses = sorted(f"{ip}/32" for ip in fleet[HUB]["outputs"]["fleetHubEgressIps"])
    assert len(hub_addresses) == 3  # prod: a NAT gateway per AZ
    assert sorted(fleet["dev"]["outputs"][BRIDGE_OUTPUT]["hubNetwork"]["cidrs"]) == hub_addresses
    [rule] = api_rules("staging")
    assert (rule["cidrIpv4"], rule["fromPort"], rule["toPort"]) == ("10.20.0.0/16", 443, 443)


def test_the_hubs_argocd_assumes_spoke_roles_and_runs_progressive_syncs(
    fleet: dict[str, dict[str, Any]],
) -> None:
    plan = fleet[HUB]
    release = next(
        r for r in resources_of(plan, "kubernetes:helm.sh/v3:Release") if r["inputs"]["chart"] == "argo-cd"
    )
    values = release["inputs"]["values"]
    assert values["configs"]["params"]["applicationsetcontroller.enable.progressive.syncs"] is True
    roles = sorted(plan["outputs"][HUB_ROLE_OUTPUT])
    annotated = sorted(
        values[part]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
        for part in ("controller", "server")
    )
    assert annotated == roles
    spoke_roles = sorted(fleet[s]["outputs"][BRIDGE_OUTPUT]["accessRoleArn"] for s in SPOKES)
    policies = [r for r in resources_of(plan, "aws:iam/rolePolicy:RolePolicy") if "fleet-access" in r["name"]]
    assert len(policies) == 2
    for policy in policies:
        assert json.loads(policy["inputs"]["policy"])["Statement"] == [
            {
                "Sid": "AssumeSpokeRoles",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": spoke_roles,
            }
        ]


def test_the_hubs_values_exist_in_the_argo_cd_chart_and_each_clusters_in_the_platform_chart(
    fleet: dict[str, dict[str, Any]],
) -> None:
    argo_cd = ChartValues.load(
        "argo-cd",
        "10.1.1",
        free_form=(
            "configs.cm.*",
            "configs.params.*",
            "configs.rbac.*",
            "**.ingress.annotations",
            "**.annotations",
        ),
        subcharts={"redis-ha": ("redis-ha", "4.38.0")},
    )
    release = next(
        r
        for r in resources_of(fleet[HUB], "kubernetes:helm.sh/v3:Release")
        if r["inputs"]["chart"] == "argo-cd"
    )
    assert argo_cd.unknown_paths(release["inputs"]["values"]) == []
    declared = yaml.safe_load(
        (PROJECT_DIR / "charts" / "kubeboard" / "values.yaml").read_text(encoding="utf-8")
    )
    platform = ChartValues(
        chart="kubeboard", version="local", upstream=declared, free_form=("**.extraAnnotations",)
    )
    secrets = _cluster_secrets(fleet[HUB])
    assert len(secrets) == 3
    for secret in secrets.values():
        values = json.loads(secret["inputs"]["metadata"]["annotations"]["kubeboard.io/platform-values"])
        assert platform.unknown_paths(values) == []


def test_the_root_application_installs_the_pinned_argocd_apps_chart(fleet: dict[str, dict[str, Any]]) -> None:
    plan = fleet[HUB]
    apps = {r["inputs"]["metadata"]["name"]: r["inputs"] for r in resources_of(plan, APPLICATION)}
    # The platform chart's own root Application gives way to the fleet's ApplicationSets.
    assert sorted(apps) == ["kubeboard-fleet"]
    source = apps["kubeboard-fleet"]["spec"]["source"]
    assert (source["chart"], source["targetRevision"]) == ("argocd-apps", "2.0.5")
    assert sorted(source["helm"]["valuesObject"]["applicationsets"]) == [
        "kubeboard-platform",
        "kubeboard-teams",
    ]
    project = next(
        r["inputs"]
        for r in resources_of(plan, "kubernetes:argoproj.io/v1alpha1:AppProject")
        if r["inputs"]["metadata"]["name"] == "kubeboard-platform"
    )
    servers = {d["server"] for d in project["spec"]["destinations"]}
    endpoints = {fleet[s]["outputs"][BRIDGE_OUTPUT]["endpoint"] for s in SPOKES}
    assert servers == {"https://kubernetes.default.svc", *endpoints}
    assert "https://github.com/kubeboard/orders-deploy.git" in project["spec"]["sourceRepos"]


# --- the hub refuses a spoke it could not reach ------------------------------------------------------

_BRIDGE = {
    "fleet": "kubeboard",
    "hubRoleArns": ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"],
    "hubNetwork": {"path": "private", "cidrs": ["10.20.0.0/16"]},
}
_HUB = Hub(
    role_arns=_BRIDGE["hubRoleArns"], vpc_cidr="10.20.0.0/16", egress_ips=["3.38.1.1"], fleet="kubeboard"
)
_ALLOW_LISTED = {**_BRIDGE, "hubNetwork": {"path": "allowList", "cidrs": ["3.38.1.1/32", "3.38.2.2/32"]}}


def test_a_spoke_admitting_another_hub_is_refused() -> None:
    other = dataclasses.replace(_HUB, role_arns=["arn:aws:iam::111122223333:role/other"])
    with pytest.raises(Exception, match="not this hub's Argo CD roles"):
        checked_bridge("dev", "dev", _BRIDGE, other)


def test_a_private_spoke_not_admitting_the_hubs_vpc_is_refused() -> None:
    with pytest.raises(Exception, match=re.escape("not this hub's VPC 10.40.0.0/16")):
        checked_bridge("dev", "dev", _BRIDGE, dataclasses.replace(_HUB, vpc_cidr="10.40.0.0/16"))


def test_an_allow_listed_spoke_missing_a_hub_address_is_refused() -> None:
    hub = dataclasses.replace(_HUB, egress_ips=["3.38.1.1", "3.38.9.9"])
    with pytest.raises(Exception, match=re.escape("not this hub's NAT address 3.38.9.9/32")):
        checked_bridge("dev", "dev", _ALLOW_LISTED, hub)


def test_a_spoke_of_another_fleet_is_refused() -> None:
    with pytest.raises(Exception, match="joined fleet 'kubeboard', not 'payments'"):
        checked_bridge("dev", "dev", _BRIDGE, dataclasses.replace(_HUB, fleet="payments"))


def test_a_stack_that_has_not_joined_is_refused() -> None:
    with pytest.raises(Exception, match="exports no fleetBridge"):
        checked_bridge("dev", "dev", None, _HUB)


def test_a_reachable_spoke_passes() -> None:
    reversed_roles = dataclasses.replace(_HUB, role_arns=list(reversed(_BRIDGE["hubRoleArns"])))
    assert checked_bridge("dev", "dev", _BRIDGE, reversed_roles) == _BRIDGE
    assert checked_bridge("dev", "dev", _ALLOW_LISTED, _HUB) == _ALLOW_LISTED


def test_a_spoke_reads_its_hub_as_first_deployed_and_a_hub_reads_its_spokes() -> None:
    def config(fleet: dict[str, Any]) -> StackConfig:
        values = {
            "kubeboard:platform": json.dumps({"accountStack": "shared"}),
            "kubeboard:fleet": json.dumps(fleet),
        }
        return StackConfig("kubeboard", Path("__main__.py"), values, [], "Pulumi.x.yaml")

    hub = config(
        {"role": "hub", "spokes": [{"name": "dev", "stack": "acme/dev"}, {"name": "qa", "stack": "qa"}]}
    )
    assert [(r.key, r.stack, r.bootstrap) for r in stack_references(hub)] == [
        ("kubeboard:platform.accountStack", "shared", False),
        ("kubeboard:fleet.spokes[0].stack", "dev", False),
        ("kubeboard:fleet.spokes[1].stack", "qa", False),
    ]
    assert json.loads(bootstrap_overrides(hub)["kubeboard:fleet"])["spokes"] == []
    spoke = config({"role": "spoke", "hubStack": "prod"})
    assert [(r.key, r.stack, r.bootstrap) for r in stack_references(spoke)][1:] == [
        ("kubeboard:fleet.hubStack", "prod", True)
    ]
    assert bootstrap_overrides(spoke) == {}


def test_a_spoke_whose_hub_is_not_a_hub_is_refused_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    spoke = merge_overlay(stack_file("dev")["config"], overlay("dev")["config"])  # prod: no kubeboard:fleet
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": spoke}), encoding="utf-8")

    code = main(["plan", "dev", "--cwd", str(tmp_path), "--out", str(tmp_path / "out")])

    err = capsys.readouterr().err
    assert code == 2
    assert "Pulumi.dev.yaml: kubeboard:fleet.hubStack: stack 'prod' exports no fleetHubRoleArns" in err
    assert "Traceback" not in err


def test_sample_overlays_exist() -> None:
    assert all(
        (Path(__file__).parents[1] / "examples" / "fleet" / f"{stack}.yaml").exists()
        for stack in (HUB, *SPOKES)
    )


# --- each fleet component called directly with one bad arg ------------------------------------------

_CLUSTER: Any = {
    "cluster_name": "kubeboard-prod",
    "provider": None,
    "oidc_provider_arn": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.ap-northeast-2.amazonaws.com/id/X",
    "oidc_issuer": "oidc.eks.ap-northeast-2.amazonaws.com/id/X",
    "node_security_group_id": "sg-0nodes",
}
_FLEET: Any = {
    "name": "kubeboard",
    "spokes": [{"name": "dev", "stack": "dev", "wave": "dev"}],
    "waves": {"dev": {"target_revision": "main"}, "prod": {"target_revision": "v1.4.0", "max_update": "1"}},
}


def _spoke_with_a_public_range_on_a_private_path() -> FleetSpoke:
    args: Any = {
        "name": "kubeboard-dev",
        "cluster": _CLUSTER,
        "hub_role_arns": ["arn:aws:iam::111122223333:role/a"],
        "hub_network": {"path": "private", "cidrs": ["198.51.100.0/24"]},
    }
    return FleetSpoke("fleet-spoke", args)


def _hub_access_with_a_prod_wave_on_a_branch() -> FleetHubAccess:
    fleet = {**_FLEET, "waves": {**_FLEET["waves"], "prod": {"target_revision": "main"}}}
    args: Any = {
        "fleet": fleet,
        "name": "kubeboard-prod",
        "namespace": "argocd",
        "cluster": _CLUSTER,
        "vpc_cidr": "10.20.0.0/16",
        "egress_ips": ["3.38.1.1"],
    }
    return FleetHubAccess("fleet-access", args)


def _hub_without_a_spokes_bridge() -> FleetHub:
    own: Any = {
        "cluster_name": "kubeboard-prod",
        "region": "ap-northeast-2",
        "environment": "prod",
        "platform_values": {},
        "irsa_role_arns": {},
        "buckets": {},
    }
    args: Any = {
        "fleet": _FLEET,
        "namespace": "argocd",
        "cluster": _CLUSTER,
        "bridges": {},
        "own": own,
        "repository_url": "https://github.com/acme/kubeboard-infra.git",
        "chart_path": "charts/kubeboard",
        "chart_namespace": "kubeboard",
        "platform_project": "kubeboard-platform",
    }
    return FleetHub("fleet", args)


@pytest.mark.parametrize(
    ("stack", "build", "message"),
    [
        pytest.param(
            "dev",
            _spoke_with_a_public_range_on_a_private_path,
            "FleetSpoke args: hub_network.cidrs[0]: 198.51.100.0/24 is not a private range "
            "(path: private; RFC 1918 or 100.64.0.0/10)",
            id="spoke-public-range-on-a-private-path",
        ),
        pytest.param(
            "prod",
            _hub_access_with_a_prod_wave_on_a_branch,
            "FleetHubAccess args: fleet.waves.prod.target_revision: 'main' moves with every merge; "
            "the prod wave follows a release tag (v1.2.3) or a commit",
            id="hub-access-prod-wave-on-a-branch",
        ),
        pytest.param(
            "prod",
            _hub_without_a_spokes_bridge,
            "FleetHub args: bridges: no bridge of spoke 'dev'",
            id="hub-without-a-spokes-bridge",
        ),
    ],
)
def test_a_fleet_component_called_with_a_bad_arg_names_it_and_builds_nothing(
    stack: str, build: Callable[[], object], message: str
) -> None:
    mocks = install_mocks(stack)
    assert_refused(build, message, mocks)
