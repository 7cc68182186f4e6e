"""Both sides of each numeric bound of the stack-file settings, and the defaults a stack gets when it
leaves a key out. The refusals as a user meets them (exit 2, file and key named) are stack files in
tests/data/malformed; here each bound is checked on its own field."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import TypeAdapter, ValidationError

from kubeboard_infra import (
    account,
    deploy_roles,
    deploy_runner,
    github_oidc,
    human_roles,
    image_scan_alerts,
    log_alarms,
    log_reports,
)
from kubeboard_infra.edge import component as edge
from kubeboard_infra.node_groups import node_group_problems
from kubeboard_infra.settings.cluster import NodeGroupSettings
from kubeboard_infra.settings.deploy_runner import DeployRunnerSettings
from kubeboard_infra.settings.gitops import RepositorySettings
from kubeboard_infra.settings.guardduty import GuardDutySettings
from kubeboard_infra.settings.human_roles import CreateRolesSettings
from kubeboard_infra.settings.image_scan import ImageScanSettings
from kubeboard_infra.settings.log_alarms import LogAlarmsSettings
from kubeboard_infra.settings.log_reports import ExporterSettings, LogReportsSettings
from kubeboard_infra.settings.observability import (
    StorageSize,
    quantity_bytes,
)
from kubeboard_infra.settings.secrets import PLAN_PLACEHOLDER_PREFIX
from kubeboard_infra.settings.sso import MIN_CLIENT_SECRET_LENGTH, SsoSettings
from kubeboard_infra.settings.storage import SharedStorageSettings
from kubeboard_infra.settings.types import DnsName, Ipv4Cidr, at_most
from kubeboard_infra.settings.views import ViewsSettings

from .conftest import PROJECT_DIR


def _field(model: Any, name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])


# (model, field, lowest accepted, highest accepted or None when unbounded)
BOUNDS = [
    (ViewsSettings, "max_reports", 1, 20_000),
    (ViewsSettings, "max_images", 1, 10_000),
    (ViewsSettings, "top_findings", 0, 50),
]


_SCAN = {"alarm_emails": ["ops@example.com"]}
_SAML = {"saml": {"provider_arn": "arn:aws:iam::111122223333:saml-provider/corp"}}
_NODE_GROUP = {
    "name": "general",
    "instance_types": ["m7i.large"],
    "min_size": 0,
    "desired_size": 0,
    "max_size": 1,
}
_EDGE = {"rate_limit": 1000, "allowed_countries": []}
_RUNNER = {
    "repository": "acme/infra",
    "connection_arn": "arn:aws:codeconnections:ap-northeast-2:111122223333:connection/"
    "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
}
# Bounds the components hold (the stack-file settings report the same lines under their keys):
# (the component module's problems(), args that are otherwise fine, arg, lowest and highest accepted).
COMPONENT_BOUNDS: list[tuple[Callable[[Any], list[str]], dict[str, Any], str, int, int]] = [
    (log_alarms.config_problems, {}, "function_threshold", 1, 100_000),
    (log_alarms.config_problems, {}, "control_plane_threshold", 1, 1_000_000),
    (image_scan_alerts.problems, _SCAN, "report_retention_days", 1, 3650),
    (image_scan_alerts.problems, _SCAN, "reserved_concurrency", 1, 100),
    # What Lambda's asynchronous invocation allows: retries and MaximumEventAgeInSeconds.
    (image_scan_alerts.problems, _SCAN, "max_retry_attempts", 0, 2),
    (image_scan_alerts.problems, _SCAN, "max_event_age_seconds", 60, 21600),
    (image_scan_alerts.problems, _SCAN, "top_findings", 0, 50),
    (log_reports.config_problems, {}, "report_retention_days", 1, 3650),
    (log_reports.config_problems, {}, "raw_retention_days", 1, 3650),
    (log_reports.config_problems, {}, "reserved_concurrency", 1, 100),
    (log_reports.config_problems, {}, "error_threshold", 1, 10_000_000),
    (log_reports.config_problems, {}, "memory_mb", 128, 10240),
    (human_roles.problems, _SAML, "max_session_hours", 1, 12),  # IAM's MaxSessionDuration
    (deploy_runner.problems, _RUNNER, "timeout_minutes", 5, 480),  # CodeBuild's range
    (node_group_problems, _NODE_GROUP, "max_size", 1, 450),  # EKS managed node groups
    (node_group_problems, _NODE_GROUP, "disk_size_gib", 20, 16384),  # a gp3 volume: 16 TiB
    (edge.problems, _EDGE, "access_log_expiration_days", 1, 3650),
]


@pytest.mark.parametrize(
    ("problems", "fine", "name", "low", "high"),
    COMPONENT_BOUNDS,
    ids=[f"{p.__module__.rsplit('.', 1)[-1]}.{n}" for p, _, n, _, _ in COMPONENT_BOUNDS],
)
def test_each_component_bound_accepts_its_edge_and_names_the_arg_one_past_it(
    problems: Callable[[Any], list[str]], fine: dict[str, Any], name: str, low: int, high: int
) -> None:
    assert problems({**fine, name: low}) == []
    assert problems({**fine, name: high}) == []
    for outside in (low - 1, high + 1):
        assert problems({**fine, name: outside}) == [f"{name}: must be {low}..{high}, got {outside}"]


@pytest.mark.parametrize(
    ("model", "name", "low", "high"), BOUNDS, ids=[f"{m.__name__}.{n}" for m, n, _, _ in BOUNDS]
)
def test_each_bound_accepts_its_edge_and_refuses_one_past_it(
    model: Any, name: str, low: int, high: int | None
) -> None:
    field = _field(model, name)
    assert field.validate_python(low) == low
    with pytest.raises(ValidationError):
        field.validate_python(low - 1)
    if high is not None:
        assert field.validate_python(high) == high
        with pytest.raises(ValidationError):
            field.validate_python(high + 1)


DEFAULTS = [
    (CreateRolesSettings, "max_session_hours", 1),  # people re-authenticate every hour
    (GuardDutySettings, "eks_audit_logs", True),
    (GuardDutySettings, "runtime_monitoring", True),
    (GuardDutySettings, "manage_agent", True),  # GuardDuty keeps its agent on every node
    (DeployRunnerSettings, "timeout_minutes", 120),
    (ImageScanSettings, "critical_threshold", 1),  # one CRITICAL finding alerts
    (ImageScanSettings, "high_threshold", 5),
    (ImageScanSettings, "top_findings", 10),
    (LogReportsSettings, "memory_mb", 1024),  # the component's: CPU share grows with memory
    (ExporterSettings, "backfill_windows", 36),  # six hours of 10-minute windows after a gap
    (SharedStorageSettings, "enabled", True),
    (ImageScanSettings, "reserved_concurrency", 5),
    (ImageScanSettings, "report_retention_days", 365),
    (LogAlarmsSettings, "function_threshold", 1),  # one error line of a platform Lambda alarms
    (LogAlarmsSettings, "control_plane_threshold", 20),
    (LogAlarmsSettings, "period_seconds", 300),
    (LogReportsSettings, "report_retention_days", 90),
    (LogReportsSettings, "reserved_concurrency", 5),
    (NodeGroupSettings, "disk_size_gib", 50),
    (RepositorySettings, "target_revision", "main"),
    (ViewsSettings, "max_reports", 1000),
    (ViewsSettings, "max_images", 500),
    (ViewsSettings, "top_findings", 10),
]


@pytest.mark.parametrize(
    ("model", "name", "default"), DEFAULTS, ids=[f"{m.__name__}.{n}" for m, n, _ in DEFAULTS]
)
def test_a_key_left_out_takes_its_documented_default(model: Any, name: str, default: Any) -> None:
    assert model.model_fields[name].default == default


def test_dns_names_are_at_most_253_characters_of_two_labels_or_more() -> None:
    dns = TypeAdapter(DnsName)
    name = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 characters
    assert dns.validate_python(name + ".") == name
    for bad in (name + "b", "localhost", "-a.example.com", "A.example.com"):
        with pytest.raises(ValidationError):
            dns.validate_python(bad)


def test_a_cidr_block_must_not_have_host_bits() -> None:
    cidr = TypeAdapter(Ipv4Cidr)
    assert cidr.validate_python("10.0.0.0/16") == "10.0.0.0/16"
    with pytest.raises(ValidationError, match=r"'10\.0\.0\.1/16' is not an IPv4 CIDR block"):
        cidr.validate_python("10.0.0.1/16")


@pytest.mark.parametrize(("text", "size"), [("512Mi", 512 * 2**20), ("50Gi", 50 * 2**30), ("1Ti", 2**40)])
def test_storage_sizes_are_read_in_binary_units(text: str, size: int) -> None:
    assert quantity_bytes(text) == size


def test_an_account_without_deploy_roles_needs_no_delivery() -> None:
    from kubeboard_infra.settings import load_account_settings

    from .conftest import stack_file

    config = stack_file("shared")["config"]
    section = dict(config["kubeboard:account"])
    section.pop("deploy")
    section["delivery"] = {"enabled": False, "teams": []}
    settings = load_account_settings({**config, "kubeboard:account": section}, source="Pulumi.shared.yaml")
    assert settings.account.deploy is None


def test_the_heartbeat_url_must_be_https() -> None:
    from kubeboard_infra.settings.observability import AlertingSettings
    from kubeboard_infra.settings.secrets import PLAN_PLACEHOLDER_PREFIX

    url = TypeAdapter(AlertingSettings.model_fields["heartbeat_url"].annotation)
    assert url.validate_python("https://hc-ping.com/abc").get_secret_value() == "https://hc-ping.com/abc"
    assert url.validate_python(f"{PLAN_PLACEHOLDER_PREFIX}x") is not None  # the plan's stand-in for a secret
    with pytest.raises(ValidationError, match="must be an https:// URL"):
        url.validate_python("http://hc-ping.com/abc")


def test_a_missing_secret_inside_a_list_item_gets_its_placeholder_there() -> None:
    from kubeboard_infra.settings.secrets import SecretSlot, place_placeholder, placeholder

    path = "kubeboard:alerting.receivers[11].token"
    sections: dict[str, Any] = {"alerting": {"receivers": [{"name": f"r{i}"} for i in range(12)]}}
    place_placeholder(sections, SecretSlot(path, present=False, required=True))
    assert sections["alerting"]["receivers"][11] == {"name": "r11", "token": placeholder(path)}
    assert all("token" not in receiver for receiver in sections["alerting"]["receivers"][:11])


def test_text_lengths_of_an_oidc_subject() -> None:
    def subjects(viewer: str) -> list[str]:
        provider = "arn:aws:iam::111122223333:oidc-provider/idp.example.com"
        oidc = {"provider_arn": provider, "audience": "kb", "subjects": {"admin": ["a"], "developer": ["d"]}}
        return human_roles.problems({"oidc": {**oidc, "subjects": {**oidc["subjects"], "viewer": [viewer]}}})

    assert subjects("s" * 255) == []
    for bad in ("s" * 256, ""):
        assert subjects(bad) == [
            f"oidc.subjects.viewer[0]: {bad!r} is not a subject (no spaces; only a trailing *)"
        ]


_GROUP = {"name": "general", "instanceTypes": ["m7i.large"], "minSize": 0, "desiredSize": 0, "maxSize": 1}


# As the stack file meets them: (key, lowest accepted, highest accepted or None when unbounded); the
# other sizes stay valid around it.
NODE_GROUP_BOUNDS = [
    ("minSize", 0, None),
    ("maxSize", 1, 450),  # EKS managed node groups: at most 450 nodes
]


@pytest.mark.parametrize(
    ("key", "low", "high"), NODE_GROUP_BOUNDS, ids=[key for key, _, _ in NODE_GROUP_BOUNDS]
)
def test_each_node_group_bound_accepts_its_edge_and_refuses_one_past_it(
    key: str, low: int, high: int | None
) -> None:
    def group(value: int) -> dict[str, Any]:
        sizes = {"minSize": min(value, 1), "desiredSize": min(value, 1), "maxSize": max(value, 1)}
        return {**_GROUP, **sizes, key: value}

    assert NodeGroupSettings.model_validate(group(low)).model_dump(by_alias=True)[key] == low
    with pytest.raises(ValidationError, match=key):
        NodeGroupSettings.model_validate(group(low - 1))
    if high is not None:
        assert NodeGroupSettings.model_validate(group(high)).model_dump(by_alias=True)[key] == high
        with pytest.raises(ValidationError, match=key):
            NodeGroupSettings.model_validate(group(high + 1))


def test_a_node_group_takes_1_to_20_instance_types() -> None:
    twenty = NodeGroupSettings.model_validate({**_GROUP, "instanceTypes": ["m7i.large"] * 20})
    assert len(twenty.instance_types) == 20
    for bad in ([], ["m7i.large"] * 21):
        with pytest.raises(ValidationError, match="instanceTypes: needs 1 to 20 instance types"):
            NodeGroupSettings.model_validate({**_GROUP, "instanceTypes": bad})


def test_efs_moves_files_to_infrequent_access_after_the_days_aws_offers() -> None:
    for offered in (1, 7, 14, 30, 60, 90, 180, 270, 365):
        assert (
            SharedStorageSettings.model_validate({"transitionToIaDays": offered}).transition_to_ia_days
            == offered
        )
    for bad in (0, 2, 271, 366):
        with pytest.raises(ValidationError, match=f"transitionToIaDays: must be one of 1, 7, .* got {bad}"):
            SharedStorageSettings.model_validate({"transitionToIaDays": bad})
    assert SharedStorageSettings.model_fields["transition_to_ia_days"].default == 30


@pytest.mark.parametrize("desired", [1, 2, 3])
def test_a_node_group_may_start_at_its_minimum_its_maximum_or_between(desired: int) -> None:
    group = {"name": "general", "instanceTypes": ["m7i.large"], "minSize": 1, "maxSize": 3}
    assert NodeGroupSettings.model_validate({**group, "desiredSize": desired}).desired_size == desired
    for outside in (0, 4):
        with pytest.raises(ValidationError, match="desiredSize: must be between minSize"):
            NodeGroupSettings.model_validate({**group, "desiredSize": outside})


def test_an_alarm_address_listed_twice_in_any_case_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"alarmEmails\[1\]: 'Ops@Example\.com' is listed twice"):
        ImageScanSettings.model_validate({"alarmEmails": ["ops@example.com", "Ops@Example.com"]})
    scan = ImageScanSettings.model_validate({"alarmEmails": ["ops@example.com", "sec@example.com"]})
    assert len(scan.alarm_emails) == 2


def _team(**overrides: Any) -> list[str]:
    team: dict[str, Any] = {"repositories": ["acme/orders"], "ecr_repositories": ["orders/api"], **overrides}
    workflow = "acme/infra/.github/workflows/build-push-deploy.yml@refs/heads/main"
    return account.delivery_problems({"teams": [team], "workflow_ref": workflow}, ["orders/api"])  # type: ignore[typeddict-item]


def test_branches_differing_in_case_are_two_branches_but_repositories_are_one() -> None:
    assert _team(branches=["Release", "release"]) == []  # git branch names are case-sensitive
    assert _team(repositories=["acme/orders", "Acme/Orders"], branches=["main"]) == [
        "delivery.teams[0].repositories[1]: 'Acme/Orders' is listed twice"
    ]


def test_a_volume_is_at_least_1gi() -> None:
    size = TypeAdapter(StorageSize)
    assert size.validate_python("1Gi") == "1Gi"
    with pytest.raises(ValidationError, match="below 1Gi"):
        size.validate_python("1023Mi")


def test_a_length_bound_admits_its_limit_and_refuses_one_more() -> None:
    text = TypeAdapter(Annotated[str, at_most(5, so_that="it fits")])
    assert text.validate_python("abcde") == "abcde"
    with pytest.raises(ValidationError, match="'abcdef' is 6 characters; at most 5, so that it fits"):
        text.validate_python("abcdef")


def test_a_client_secret_is_32_characters_or_the_plans_placeholder() -> None:
    secret = _field(SsoSettings, "grafana_client_secret")
    long_enough = "a" * MIN_CLIENT_SECRET_LENGTH
    assert secret.validate_python(long_enough).get_secret_value() == long_enough
    assert secret.validate_python(f"{PLAN_PLACEHOLDER_PREFIX}x") is not None
    with pytest.raises(ValidationError, match="must be at least 32 characters"):
        secret.validate_python(long_enough[1:])


def test_intra_subnets_are_optional_but_every_other_tier_needs_one_cidr_per_zone() -> None:
    from kubeboard_infra.plan.stack_files import read_stack_config
    from kubeboard_infra.settings import SettingsError, load_settings

    # As the engine hands it over (JSON text), with the plan's stand-ins for the secrets.
    config = dict(read_stack_config(PROJECT_DIR, "dev").values)
    network = json.loads(config["kubeboard:network"])
    without_intra = {**config, "kubeboard:network": json.dumps({**network, "intraSubnetCidrs": []})}
    assert load_settings(without_intra, source="Pulumi.dev.yaml").network.intra_subnet_cidrs == []
    without_private = {**config, "kubeboard:network": json.dumps({**network, "privateSubnetCidrs": []})}
    with pytest.raises(SettingsError, match="privateSubnetCidrs: needs one CIDR per availability zone"):
        load_settings(without_private, source="Pulumi.dev.yaml")


def test_an_unknown_section_is_pointed_to_the_account_stack_only_when_it_lives_there() -> None:
    from kubeboard_infra.plan.stack_files import read_stack_config
    from kubeboard_infra.settings import SettingsError, load_settings

    config = dict(read_stack_config(PROJECT_DIR, "dev").values)
    with pytest.raises(SettingsError) as moved:
        load_settings({**config, "kubeboard:registry": "{}"}, source="Pulumi.dev.yaml")
    assert "it belongs to the account stack as kubeboard:account.registry" in str(moved.value)
    with pytest.raises(SettingsError) as unknown:
        load_settings({**config, "kubeboard:registries": "{}"}, source="Pulumi.dev.yaml")
    assert "kubeboard:registries: unknown key in an environment stack" in str(unknown.value)
    assert "account stack" not in str(unknown.value)


def test_a_delivery_team_names_at_least_one_repository() -> None:
    assert _team(branches=["main"]) == []
    assert _team(repositories=[], branches=["main"]) == ["delivery.teams[0].repositories: list at least one"]


def test_a_secret_inside_list_items_of_an_annotated_model_is_found() -> None:
    from pydantic import SecretStr

    from kubeboard_infra.settings.base import Model
    from kubeboard_infra.settings.secrets import Secret, secret_slots

    class Receiver(Model):
        token: Annotated[SecretStr, Secret()]

    class Alerting(Model):
        receivers: list[Annotated[Receiver, "a receiver"]] = []

    slots = secret_slots({"alerting": {"receivers": [{}, {"token": "x"}]}}, {"alerting": Alerting})
    assert [(slot.path, slot.present) for slot in slots] == [
        ("kubeboard:alerting.receivers[0].token", False),
        ("kubeboard:alerting.receivers[1].token", True),
    ]


def test_a_spot_group_needs_two_instance_types_and_two_are_enough() -> None:
    group = {"name": "spot", "capacityType": "SPOT", "minSize": 0, "desiredSize": 0, "maxSize": 3}
    two = {**group, "instanceTypes": ["m7i.large", "m6i.large"]}
    assert NodeGroupSettings.model_validate_json(json.dumps(two)).instance_types == ["m7i.large", "m6i.large"]
    with pytest.raises(ValidationError, match="a SPOT group needs at least two instance types"):
        NodeGroupSettings.model_validate_json(json.dumps({**group, "instanceTypes": ["m7i.large"]}))


@pytest.mark.parametrize("branch", ["refs/heads/main", "main branch", "*"])
def test_a_delivery_branch_is_a_name_or_pattern_without_refs(branch: str) -> None:
    check_branch = github_oidc.check_branch
    assert check_branch("release/*") == "release/*"
    with pytest.raises(ValueError, match=re.escape(repr(branch))):
        check_branch(branch)


def test_each_stack_gets_one_deploy_role() -> None:
    def deploy(*stacks: str) -> list[str]:
        environments = [{"stack": s, "cluster_name": f"kb-{s}"} for s in stacks]
        return deploy_roles.config_problems(
            {"repository": "acme/infra", "environments": environments}, name="kb"
        )  # type: ignore[typeddict-item]

    assert deploy("dev", "prod") == []
    assert deploy("dev", "prod", "dev") == ["environments[2].stack: 'dev' is listed twice"]


def test_a_wave_revision_may_be_one_character() -> None:
    from kubeboard_infra.settings.fleet import Revision

    revision = TypeAdapter(Revision)
    assert revision.validate_python("7") == "7"
    for bad in ("", "r" * 256):
        with pytest.raises(ValidationError):
            revision.validate_python(bad)


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_every_people_role_has_at_least_one_oidc_subject(role: str) -> None:
    one_each = {"admin": ["a"], "developer": ["d"], "viewer": ["v"]}
    provider = "arn:aws:iam::111122223333:oidc-provider/idp.example.com"
    oidc = {"provider_arn": provider, "audience": "kb", "subjects": one_each}
    assert human_roles.problems({"oidc": oidc}) == []  # type: ignore[typeddict-item]
    assert human_roles.problems({"oidc": {**oidc, "subjects": {**one_each, role: []}}}) == [  # type: ignore[typeddict-item]
        f"oidc.subjects.{role}: list at least one subject"
    ]


def test_a_network_spans_two_to_six_availability_zones() -> None:
    from kubeboard_infra.settings.network import NetworkSettings

    def section(count: int) -> dict[str, Any]:
        return {
            "cidr": "10.0.0.0/16",
            "availabilityZones": [f"ap-northeast-2{letter}" for letter in "abcdefg"[:count]],
            "publicSubnetCidrs": [f"10.0.{index}.0/24" for index in range(count)],
            "privateSubnetCidrs": [f"10.0.{100 + index}.0/24" for index in range(count)],
        }

    for accepted in (2, 6):
        assert len(NetworkSettings.model_validate(section(accepted)).availability_zones) == accepted
    for refused in (1, 7):
        with pytest.raises(
            ValidationError, match=f"availabilityZones: needs 2 to 6 availability zones, got {refused}"
        ):
            NetworkSettings.model_validate(section(refused))


def test_only_an_enabled_prod_observability_needs_someone_to_page() -> None:
    from kubeboard_infra.settings.observability import AlertingSettings, ObservabilitySettings

    nobody = AlertingSettings.model_construct(slack=None, emails=[])
    ObservabilitySettings.model_construct(enabled=False, alerting=nobody).require_alert_destination()
    with pytest.raises(ValueError, match="a prod stack needs a slack webhook or at least one e-mail"):
        ObservabilitySettings.model_construct(enabled=True, alerting=nobody).require_alert_destination()


def test_a_conditional_secret_is_required_only_when_its_switch_is_true() -> None:
    from pydantic import SecretStr

    from kubeboard_infra.settings.base import Model
    from kubeboard_infra.settings.secrets import Secret, secret_slots

    class Repository(Model):
        private: bool = False
        token: Annotated[SecretStr | None, Secret(required_if="private")] = None

    def required(raw: dict[str, Any]) -> bool:
        [slot] = secret_slots({"gitops": raw}, {"gitops": Repository})
        return slot.required

    assert required({"private": True}) is True
    assert required({"private": False}) is False
    assert required({}) is False


def test_the_efs_access_point_identity_is_a_non_negative_posix_id() -> None:
    for name in ("uid", "gid"):
        storage = SharedStorageSettings.model_validate({"accessPoint": {name: 0}})
        assert getattr(storage.access_point, name) == 0
        with pytest.raises(
            ValidationError, match=f"accessPoint.{name}: must be a POSIX id of 0 or more, got -1"
        ):
            SharedStorageSettings.model_validate({"accessPoint": {name: -1}})


def test_the_account_passes_guardduty_only_when_it_is_enabled() -> None:
    from kubeboard_infra.plan.stack_files import read_stack_config
    from kubeboard_infra.settings import load_account_settings

    config = dict(read_stack_config(PROJECT_DIR, "shared").values)
    enabled = load_account_settings(config, source="Pulumi.shared.yaml").to_args()["guardduty"]
    assert enabled is not None and enabled["manage_agent"] is True
    account = json.loads(config["kubeboard:account"])
    off = {**config, "kubeboard:account": json.dumps({**account, "guardduty": {"enabled": False}})}
    assert load_account_settings(off, source="Pulumi.shared.yaml").to_args()["guardduty"] is None
