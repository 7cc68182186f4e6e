"""One add-on, one declaration: the catalog, the switches derived from it, and the managed add-ons."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any, TypedDict

import pulumi_kubernetes as k8s
import pytest
import yaml
from pydantic import ValidationError

from kubeboard_infra.addons import cluster_autoscaler, external_dns, metrics_server
from kubeboard_infra.addons.catalog import CATALOG, enabled_specs, install_catalog
from kubeboard_infra.addons.definition import AddOnContext, AddOnDefinition, NoOptions
from kubeboard_infra.addons.managed import AFTER_NODES, BEFORE_NODES, MANAGED_CATALOG
from kubeboard_infra.args import ArgsError
from kubeboard_infra.plan.document import build_plan
from kubeboard_infra.settings.addons import AddOnsSettings, switch_model
from kubeboard_infra.settings.cluster import ManagedAddonVersions

from .conftest import PROJECT_DIR, merge_overlay, plan_for, resources_of, stack_file
from .helpers.direct_call import install_mocks, run
from .test_addons import context

ADDONS_DIR = PROJECT_DIR / "components" / "addons"
TAG = "aws:autoscaling/tag:Tag"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def test_every_addon_module_exports_its_definition_and_the_catalog_lists_each_once() -> None:
    helpers = {"__init__", "catalog", "contract", "definition", "managed", "pod_security", "release"}
    modules = sorted(path.stem for path in ADDONS_DIR.glob("*.py") if path.stem not in helpers)
    assert modules == sorted(["argo_rollouts", "aws_load_balancer_controller", "cluster_autoscaler",
                              "external_dns", "metrics_server"])  # fmt: skip
    exported = [importlib.import_module(f"kubeboard_infra.addons.{name}").DEFINITION for name in modules]
    assert sorted(d.name for d in CATALOG) == sorted(d.name for d in exported)
    assert len({d.settings_key for d in CATALOG}) == len(CATALOG)


def test_the_stack_file_switches_are_the_catalogs() -> None:
    fields = AddOnsSettings.model_fields
    assert [field.alias for field in fields.values()] == [d.settings_key for d in CATALOG]
    switch = AddOnsSettings().switch(external_dns.DEFINITION)
    assert set(type(switch).model_fields) == {
        "enabled",
        "values",
        "hosted_zone_id",
        "domain_filters",
        "policy",
    }
    # The defaults are the definitions'.
    assert {d.name: AddOnsSettings().enabled(d) for d in CATALOG} == {
        d.name: d.enabled_by_default for d in CATALOG
    }
    assert AddOnsSettings().options(external_dns.DEFINITION) == external_dns.DEFAULTS


class _Options(TypedDict):
    greeting: str
    """What it says (default ``hello``); never empty."""


def _greeter() -> AddOnDefinition[_Options]:
    def build(_context: AddOnContext, options: _Options) -> Any:
        return definition.spec(values={"greeting": options["greeting"]})

    definition: AddOnDefinition[_Options] = AddOnDefinition(
        name="greeter",
        chart="greeter",
        version="1.0.0",
        repository="https://charts.example.com",
        namespace="greeter",
        settings_key="greeter",
        options=_Options,
        defaults={"greeting": "hello"},
        problems=lambda options: [] if options["greeting"] else ["greeting: must say something"],
        build=build,
    )
    return definition


def test_a_new_definition_gets_a_switch_with_its_options_and_rules() -> None:
    model = switch_model(_greeter())
    assert model().model_dump() == {"enabled": True, "values": {}, "greeting": "hello"}
    with pytest.raises(ValidationError, match="greeting: must say something"):
        model.model_validate({"greeting": ""})
    # A switched-off add-on's options are not used, so not judged.
    assert model.model_validate({"enabled": False, "greeting": ""}).enabled is False
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({"greting": "hi"})
    spec = enabled_specs(
        context(), {"greeter": {"enabled": True, "values": {}, "options": {}}}, (_greeter(),)
    )
    assert [s.values for s in spec] == [{"greeting": "hello"}]


def test_options_breaking_a_rule_raise_one_error_naming_the_addon_and_the_option() -> None:
    with pytest.raises(ArgsError) as raised:
        external_dns.DEFINITION.spec_for(context(), {"domain_filters": ["kb.example.com"]})
    assert (
        str(raised.value) == "AddOn external-dns args: hosted_zone_id: required when external-dns is enabled"
    )
    with pytest.raises(ArgsError) as raised:
        external_dns.DEFINITION.spec_for(
            context(), {"hosted_zone_id": "z1", "domain_filters": ["Not A Name"]}
        )
    assert raised.value.problems == [
        "hosted_zone_id: 'z1' is not a Route53 hosted zone id (Z and up to 31 capitals or digits)",
        "domain_filters[0]: 'Not A Name' is not a lower-case DNS name such as kubeboard.example.com",
    ]


def test_a_definition_says_why_it_waits_and_its_build_cannot_change_what_it_installs() -> None:
    with pytest.raises(ValueError, match="say why it waits for metrics-server"):
        AddOnDefinition(
            name="x", chart="x", version="1.0.0", repository="https://c.example.com", namespace="x",
            settings_key="x", options=NoOptions, defaults={}, build=lambda _c, _o: None,  # type: ignore[arg-type,return-value]
            depends_on=("metrics-server",),
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"defaults \[\] must cover exactly the options \['greeting'\]"):
        AddOnDefinition(
            name="x", chart="x", version="1.0.0", repository="https://c.example.com", namespace="x",
            settings_key="x", options=_Options, defaults={}, build=lambda _c, _o: None,  # type: ignore[arg-type,return-value,typeddict-item]
        )  # fmt: skip
    sneaky: AddOnDefinition[NoOptions] = AddOnDefinition(
        name="x", chart="x", version="1.0.0", repository="https://c.example.com", namespace="x",
        settings_key="x", options=NoOptions, defaults={},
        build=lambda _c, _o: metrics_server.DEFINITION.spec(),
    )  # fmt: skip
    with pytest.raises(ValueError, match="build\\(\\) changed name, chart, version, repository, namespace"):
        sneaky.spec_for(context())


def test_dependencies_come_from_the_definitions() -> None:
    switches = {s.name: s for s in AddOnsSettings().addon_switches()}
    assert set(switches) == {d.name for d in CATALOG}
    assert switches[external_dns.NAME].key == "addons.externalDns.enabled"
    assert switches[external_dns.NAME].depends_on == ("aws-load-balancer-controller",)
    # Needing the controller enabled does not make external-dns's release wait for it.
    assert (
        external_dns.DEFINITION.spec_for(
            context(), {"hosted_zone_id": "Z1", "domain_filters": ["a.example"]}
        ).depends_on
        == ()
    )


# --- cluster-autoscaler owns its ASG tags -------------------------------------------------------


def test_the_autoscaler_tags_each_node_groups_asg_as_a_child_of_the_group(dev_plan: dict[str, Any]) -> None:
    groups = resources_of(dev_plan, NODE_GROUP)
    tags = resources_of(dev_plan, TAG)
    assert groups and tags
    assert {tag["parent"] for tag in tags} == {group["urn"] for group in groups}
    name = stack_file("dev")["config"]["kubeboard:platform"]["name"]
    assert all(tag["name"].startswith(f"{name}-") for tag in tags)
    spot: Any = {
        "name": "spot",
        "taints": [{"key": "kubeboard.io/spot", "value": "true", "effect": "NO_SCHEDULE"}],
    }
    assert cluster_autoscaler.asg_tags(name, spot) == {
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{name}": "owned",
        "k8s.io/cluster-autoscaler/node-template/taint/kubeboard.io/spot": "true:NoSchedule",
    }


def test_without_the_autoscaler_no_asg_is_tagged_for_it(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    overlay = {"kubeboard:addons": {"clusterAutoscaler": {"enabled": False}}}
    config = merge_overlay(stack_file("dev")["config"], overlay)
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    plan = build_plan(tmp_path, "dev")
    assert resources_of(plan, NODE_GROUP)
    assert resources_of(plan, TAG) == []
    assert len(plan["resources"]) < len(plan_for("dev")["resources"])


# --- EKS managed add-ons ------------------------------------------------------------------------


def test_every_managed_addon_has_a_version_pin_in_the_stack_file() -> None:
    assert MANAGED_CATALOG
    pins = ManagedAddonVersions.model_fields
    assert sorted(field.alias or name for name, field in pins.items()) == sorted(
        d.settings_key for d in MANAGED_CATALOG
    )
    assert [d.name for d in (*BEFORE_NODES, *AFTER_NODES)] == [
        d.name for d in MANAGED_CATALOG if not d.needs_nodes
    ] + [d.name for d in MANAGED_CATALOG if d.needs_nodes]
    assert len({d.name for d in MANAGED_CATALOG}) == len(MANAGED_CATALOG)
    # Deployments wait for nodes; the DaemonSets that make nodes Ready do not.
    assert {d.name for d in BEFORE_NODES} == {"vpc-cni", "kube-proxy"}


def test_managed_addons_calling_aws_get_an_irsa_role_with_only_their_policy(dev_plan: dict[str, Any]) -> None:
    addons = {a["inputs"]["addonName"]: a for a in resources_of(dev_plan, "aws:eks/addon:Addon")}
    assert set(addons) == {d.name for d in MANAGED_CATALOG}
    for definition in MANAGED_CATALOG:
        has_role = "serviceAccountRoleArn" in addons[definition.name]["inputs"]
        assert has_role is (definition.irsa is not None), definition.name


# --- installing the catalog ---------------------------------------------------------------------


def test_installing_checks_every_choice_before_registering_anything() -> None:
    recording = install_mocks(components=True)
    raised: list[ArgsError] = []

    with pytest.raises(ValidationError, match="hostedZoneId: required when external-dns is enabled"):
        AddOnsSettings.model_validate({"externalDns": {"enabled": True}})
    choices_without_check = {
        external_dns.NAME: {"enabled": True, "values": {}, "options": {"domain_filters": ["kb.example.com"]}}
    }

    def direct() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        ctx = context()
        ctx["cluster"]["provider"] = provider
        try:
            install_catalog(ctx, choices_without_check)  # type: ignore[arg-type]
        except ArgsError as error:
            raised.append(error)

    run(direct)
    assert [str(error) for error in raised] == [
        "AddOn external-dns args: hosted_zone_id: required when external-dns is enabled"
    ]
    # The add-ons before external-dns in the catalog (enabled by default) were not installed either.
    assert [r.typ for r in recording.created] == ["pulumi:providers:kubernetes"]
