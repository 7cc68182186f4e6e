"""Observability, GitOps and Platform called directly: their own rules, one `ArgsError` naming the
arg before anything is registered, and the stack file's sections held to the very same rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import pytest
from pydantic import ValidationError

from kubeboard_infra import ArgsError, HelmAddOn, HelmAddOnArgs
from kubeboard_infra.addons.definition import AddOnContext
from kubeboard_infra.gitops import GitOps, GitOpsArgs, GitOpsConfig
from kubeboard_infra.gitops import problems as gitops_problems
from kubeboard_infra.observability import Observability, ObservabilityArgs, ObservabilityConfig
from kubeboard_infra.observability import problems as observability_problems
from kubeboard_infra.plan.stack_files import read_stack_config
from kubeboard_infra.platform import HELM_ADDONS, Platform
from kubeboard_infra.platform import problems as platform_problems
from kubeboard_infra.settings import load_settings
from kubeboard_infra.settings.gitops import GitOpsSettings
from kubeboard_infra.settings.observability import ObservabilitySettings
from kubeboard_infra.settings.platform_args import platform_args
from kubeboard_infra.sso import SsoConfig

from .conftest import PROJECT_DIR, STACKS, plan_for, resources_of
from .helpers.direct_call import RecordingMocks, install_mocks

REGION = "ap-northeast-2"


@pytest.fixture
def mocks() -> RecordingMocks:
    return install_mocks("dev", components=True)


def _observability(**overrides: Any) -> ObservabilityConfig:
    config: dict[str, Any] = {
        "loki": {"retention_days": 14},
        "prometheus": {"retention_days": 15},
        "alerting": {"emails": ["oncall@example.com"]},
    }
    return cast(ObservabilityConfig, config | overrides)


def _gitops(**repository: Any) -> GitOpsConfig:
    return {"repository": {"url": "https://github.com/acme/kubeboard.git", **repository}}


SSO: SsoConfig = {
    "github": {"client_id": "Ov23liExample0001", "client_secret": "0" * 40, "org": "acme", "teams": ["ops"]},
    "roles": {"admins": ["ops"]},
    "grafana_client_secret": "g" * 64,
    "front_page_client_secret": "f" * 64,
}
# The wiring is never reached: the args are refused before the component touches it.
CONTEXT: AddOnContext = {
    "cluster": {
        "cluster_name": "kubeboard-dev",
        "provider": cast(Any, None),
        "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-2.amazonaws.com/id/X",
        "oidc_issuer": "oidc.eks.ap-northeast-2.amazonaws.com/id/X",
        "node_security_group_id": "sg-0123456789abcdef0",
    },
    "cluster_name": "kubeboard-dev",
    "region": REGION,
    "vpc_id": "vpc-0123456789abcdef0",
    "kubernetes_version": "1.33",
    "is_prod": False,
}


# --- Called directly --------------------------------------------------------------------------------


def _observability_called(config: ObservabilityConfig) -> Observability:
    args: ObservabilityArgs = {
        **config,
        "name_prefix": "kubeboard-dev",
        "context": CONTEXT,
        "alb_cidrs": [],
        "api_server_cidrs": [],
    }
    return Observability("observability", args)


def _gitops_called(**args: Any) -> GitOps:
    return GitOps("gitops", cast(GitOpsArgs, {"context": CONTEXT, "chart_values": {}} | args))


def _helm_addon_called(version: str) -> HelmAddOn:
    args: HelmAddOnArgs = {
        "release_name": "metrics-server",
        "chart": "metrics-server",
        "version": version,
        "repository": "https://kubernetes-sigs.github.io/metrics-server/",
        "namespace": "kube-system",
        "cluster": CONTEXT["cluster"],
    }
    return HelmAddOn("metrics-server", args)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: _observability_called(
                _observability(loki={"retention_days": 14, "storage_size": "50GB"})
            ),
            "Observability args: loki.storage_size: '50GB' is not a storage size such as 512Mi, 50Gi or 1Ti",
            id="observability-bad-storage-size",
        ),
        pytest.param(
            lambda: _gitops_called(
                **_gitops(url="git@github.com:acme/kubeboard.git"), sso=SSO, ingress=object()
            ),
            "GitOps args: repository.url: 'git@github.com:acme/kubeboard.git' must be an https:// git repository URL",
            id="gitops-ssh-repository",
        ),
        pytest.param(
            lambda: _gitops_called(**_gitops(), ingress=object()),
            "GitOps args: sso: required",
            id="gitops-without-sso",
        ),
        pytest.param(
            lambda: _helm_addon_called("^3.12"),
            "HelmAddOn args: version: '^3.12' must be an exact x.y.z (no ranges: upgrades are reviewed)",
            id="helm-addon-version-range",
        ),
    ],
)
def test_a_component_called_with_a_bad_arg_names_it_and_registers_nothing(
    mocks: RecordingMocks, build: Callable[[], object], message: str
) -> None:
    with pytest.raises(ArgsError) as refused:
        build()

    assert str(refused.value) == message
    assert mocks.created == []


def _dev_args() -> dict[str, Any]:
    settings = load_settings(read_stack_config(PROJECT_DIR, "dev").values, source="Pulumi.dev.yaml")
    return dict(platform_args(settings))


def test_platform_without_an_alert_topic_for_its_log_alarms_names_the_arg(mocks: RecordingMocks) -> None:
    args = _dev_args()
    assert args["log_alarms"] is not None and args["log_reports"] is not None
    args["log_reports"] = None
    args["observability"] = _observability(alerting={"slack": None, "emails": [], "drop_warnings": True})

    with pytest.raises(ArgsError) as refused:
        Platform("kubeboard", cast(Any, args))

    assert str(refused.value) == (
        "Platform args: log_alarms: needs observability enabled with alerting.emails "
        "(the alarms notify that alert topic)"
    )
    assert mocks.created == []


def test_the_dev_stack_passes_the_platform_rules() -> None:
    assert platform_problems(cast(Any, _dev_args())) == []


# --- The rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("store", "high"), [("loki", 3650), ("prometheus", 365)])
def test_retention_is_accepted_at_its_edges_and_refused_one_past(store: str, high: int) -> None:
    for days in (1, high):
        assert observability_problems(_observability(**{store: {"retention_days": days}})) == []
    for days in (0, high + 1):
        assert observability_problems(_observability(**{store: {"retention_days": days}})) == [
            f"{store}.retention_days: must be a whole number from 1 to {high} (got {days})"
        ]


def test_a_memory_limit_below_its_request_is_refused() -> None:
    resources = {"cpu_request": "1", "memory_request": "2Gi", "memory_limit": "1Gi"}
    assert observability_problems(_observability(loki={"retention_days": 7, "resources": resources})) == [
        "loki.resources.memory_limit: must be >= memory_request (2Gi)"
    ]


def test_warnings_routed_nowhere_are_refused_unless_dropped_on_purpose() -> None:
    nowhere = observability_problems(_observability(alerting={}))
    assert [problem.split(":")[0] for problem in nowhere] == ["alerting.drop_warnings"]
    assert observability_problems(_observability(alerting={"drop_warnings": True})) == []


def test_an_address_listed_twice_is_refused_whatever_its_case() -> None:
    twice = _observability(alerting={"emails": ["a@example.com", "A@example.com"]})
    assert observability_problems(twice) == ["alerting.emails[1]: 'A@example.com' is listed twice"]


def test_a_target_revision_is_1_to_255_characters() -> None:
    for good in ("v", "r" * 255):
        assert gitops_problems(_gitops(target_revision=good)) == []
    for bad in ("", "r" * 256):
        assert gitops_problems(_gitops(target_revision=bad)) == [
            "repository.target_revision: must be text of 1 to 255 characters"
        ]


def test_a_git_username_is_1_to_100_characters() -> None:
    assert gitops_problems(_gitops(username="u" * 100)) == []
    assert gitops_problems(_gitops(username="u" * 101)) == [
        "repository.username: must be text of 1 to 100 characters"
    ]


# --- The stack file is held to the same rules, under its own keys -----------------------------------


def test_the_observability_section_reports_the_library_rule_under_its_camel_case_key() -> None:
    section = {
        "loki": {"retentionDays": 0},
        "prometheus": {"retentionDays": 7},
        "alerting": {"dropWarnings": True},
    }
    with pytest.raises(ValidationError, match=r"loki\.retentionDays: must be a whole number from 1 to 3650"):
        ObservabilitySettings.model_validate_json(json.dumps(section))


def test_the_gitops_section_reports_the_library_rule_under_its_camel_case_key() -> None:
    section = {"repository": {"url": "https://github.com/acme/k.git", "targetRevision": ""}}
    with pytest.raises(ValidationError, match=r"repository\.targetRevision: must be text of 1 to 255"):
        GitOpsSettings.model_validate_json(json.dumps(section))


def test_a_section_maps_to_the_config_its_component_takes() -> None:
    section = {
        "loki": {"retentionDays": 9},
        "prometheus": {"retentionDays": 8},
        "alerting": {"dropWarnings": True},
    }
    config = ObservabilitySettings.model_validate_json(json.dumps(section)).to_config()
    assert config["loki"]["retention_days"] == 9
    assert config["prometheus"]["storage_size"] == "50Gi"
    assert config["alerting"]["drop_warnings"] is True


# --- Every Helm release, declared once --------------------------------------------------------------


def test_every_helm_release_is_one_definition_listed_once() -> None:
    names = [definition.name for definition in HELM_ADDONS]
    assert {"kube-prometheus-stack", "loki", "alloy-logs", "alloy-events", "argocd"} <= set(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("stack", STACKS)
def test_each_planned_release_is_installed_as_its_definition_declares(stack: str) -> None:
    declared = {definition.name: definition for definition in HELM_ADDONS}
    releases = resources_of(plan_for(stack), "kubernetes:helm.sh/v3:Release")
    assert releases
    for release in releases:
        inputs = release["inputs"]
        definition = declared[inputs["name"]]
        assert (inputs["chart"], inputs["version"]) == (definition.chart, definition.version)
        assert inputs["repositoryOpts"]["repo"] == definition.repository


def test_a_release_missing_what_only_its_component_makes_names_the_release_and_the_input() -> None:
    from kubeboard_infra.gitops.argocd import release_spec
    from kubeboard_infra.observability.specs import addon_specs

    with pytest.raises(ArgsError) as refused:
        addon_specs(CONTEXT, {"config": _observability()})
    assert str(refused.value) == (
        "AddOn kube-prometheus-stack args: grafana_role_arn: required (made by the Observability component)"
    )

    with pytest.raises(ArgsError) as refused:
        release_spec(CONTEXT, {"config": _gitops(), "sso": SSO, "ingress": {}})
    assert str(refused.value) == "AddOn argocd args: hostname: required (given by the GitOps component)"
