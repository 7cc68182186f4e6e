"""Typed platform settings, read from the stack's configuration and validated before any resource.

Each stack file section ``kubeboard:<section>`` maps to one model here. ``load_settings`` returns a
``Settings`` or raises ``SettingsError`` naming the stack file and every offending key.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections.abc import Collection, Mapping
from typing import Any, Self

from pydantic import ValidationError, model_validator

from ..addons import external_dns
from ..addons.contract import AddOnDependencyError, AddOnSwitch, check_dependencies
from ..args import settings_key
from ..environment import Environment
from ..network import NatGatewayStrategy
from ..platform_args import problems as platform_problems
from .account import AccountSettings
from .addons import AddOnsSettings
from .base import Model
from .cluster import ClusterSettings
from .deploy_runner import DeployRunnerSettings
from .edge import EdgeSettings
from .errors import NAMESPACE, SettingsError, from_validation_error
from .fleet import FleetRole, FleetSettings, HubPath
from .gitops import GitOpsSettings
from .log_alarms import LogAlarmsSettings
from .log_reports import LogReportsSettings
from .network import NetworkSettings
from .observability import ObservabilitySettings
from .platform import PlatformSettings
from .secrets import clear_secret_problem, missing_secret_problem, place_placeholder, secret_slots
from .sso import SsoSettings
from .storage import SharedStorageSettings
from .views import ViewsSettings

__all__ = [
    "AccountSettings",
    "EdgeSettings",
    "Environment",
    "GitOpsSettings",
    "NatGatewayStrategy",
    "NetworkSettings",
    "ObservabilitySettings",
    "PlatformSettings",
    "Settings",
    "SettingsError",
    "SsoSettings",
    "load_settings",
]

# A PlatformArgs section that is absent is a stack-file section switched off.
_SWITCHES = {"log_reports": "log_reports.enabled", "log_alarms": "log_alarms.enabled"}
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class Settings(Model):
    """Everything the platform is built from; one attribute per ``kubeboard:`` section."""

    region: str
    platform: PlatformSettings
    network: NetworkSettings
    edge: EdgeSettings
    cluster: ClusterSettings
    storage: SharedStorageSettings = SharedStorageSettings()
    addons: AddOnsSettings = AddOnsSettings()
    observability: ObservabilitySettings
    # Argo CD and the root Application (`kubeboard:gitops`); off unless the stack names a repository.
    gitops: GitOpsSettings = GitOpsSettings(enabled=False)
    # One sign-in for every UI (`kubeboard:sso`): dex in Argo CD, Grafana and the front page its clients.
    sso: SsoSettings | None = None
    # Error-log exports and reports (`kubeboard:logReports`); off unless the stack turns them on.
    # Named as the stack key (the loader matches section names to field names).
    logReports: LogReportsSettings = LogReportsSettings(enabled=False)
    # The in-VPC runner deploys use (`kubeboard:deployRunner`); required when GitHub cannot reach the API.
    deployRunner: DeployRunnerSettings = DeployRunnerSettings()
    # The front page's error-log reports and image vulnerabilities (`kubeboard:views`).
    views: ViewsSettings = ViewsSettings()
    # ERROR metric filters and alarms on the platform's log groups (`kubeboard:logAlarms`, O3).
    logAlarms: LogAlarmsSettings = LogAlarmsSettings()
    # One Argo CD for several stacks' clusters (`kubeboard:fleet`); none unless the stack says so.
    fleet: FleetSettings = FleetSettings()

    @model_validator(mode="after")
    def _fits_region(self) -> Self:
        self.network.validate_region(self.region)
        return self

    @model_validator(mode="after")
    def _external_dns_publishes_the_edge(self) -> Self:
        if self.addons.enabled(external_dns.DEFINITION):
            dns = self.addons.options(external_dns.DEFINITION)
            self.edge.check_external_dns(
                hosted_zone_id=dns["hosted_zone_id"],
                domain_filters=[domain.rstrip(".") for domain in dns["domain_filters"]],
            )
        return self

    @model_validator(mode="after")
    def _prod_endpoint_private(self) -> Self:
        if self.is_prod and self.cluster.endpoint.open_to_internet:
            raise ValueError(
                "cluster.endpoint.publicAccessCidrs: a prod cluster's API may not be open to 0.0.0.0/0; "
                "list the operators' CIDRs or turn publicAccess off"
            )
        return self

    @model_validator(mode="after")
    def _deploys_reach_the_cluster_api(self) -> Self:
        # GitHub-hosted runners come from anywhere on the internet: only 0.0.0.0/0 admits them.
        if not self.cluster.endpoint.open_to_internet and not self.deployRunner.enabled:
            raise ValueError(
                "deployRunner.enabled: GitHub-hosted runners cannot reach this cluster's API "
                "(cluster.endpoint is private or allow-listed); turn on the in-VPC deploy runner"
            )
        return self

    @model_validator(mode="after")
    def _prod_alerts_reach_someone(self) -> Self:
        if self.is_prod:
            self.observability.require_alert_destination()
        return self

    @model_validator(mode="after")
    def _platform_rules(self) -> Self:
        # What the sections must hold together is the Platform's rule (SSO for every UI, an alert
        # topic for the log reports and alarms); a section that is off here is absent there.
        from .platform_args import platform_args  # this module's Settings is what it maps

        found = platform_problems(platform_args(self))
        if found:
            head, sep, rest = found[0].partition(": ")
            raise ValueError(settings_key(f"{_SWITCHES.get(head, head)}{sep}{rest}"))
        return self

    @model_validator(mode="after")
    def _grafana_signs_in_through_argocd(self) -> Self:
        # A fleet's spoke runs no Argo CD: its UIs are the hub's to serve sign-in for (README: fleet).
        if self.observability.enabled and not self.gitops.enabled and self.fleet.role is not FleetRole.SPOKE:
            raise ValueError(
                "observability.enabled: Grafana signs in through dex, which runs in Argo CD; enable gitops"
            )
        return self

    @model_validator(mode="after")
    def _created_roles_have_no_other_entry(self) -> Self:
        access = self.cluster.access
        if access.create_roles is None:
            return self
        created = {f"{self.platform.name}-{role}": role for role in ("admin", "developer", "viewer")}
        others = {
            "deployRoleArns": access.deploy_role_arns,
            "previewRoleArn": [access.preview_role_arn] if access.preview_role_arn else [],
            "clusterCreatorRoleArn": [access.cluster_creator_role_arn],
        }
        for key, arns in others.items():
            for arn in arns:
                role = created.get(arn.rsplit("/", 1)[-1])
                if role is not None:
                    raise ValueError(
                        f"cluster.access.{key}: {arn} is the {role} role this stack creates (createRoles); "
                        "one role, one access entry"
                    )
        return self

    @model_validator(mode="after")
    def _views_have_their_sources(self) -> Self:
        if self.views.enabled:
            if not (self.gitops.enabled or self.fleet.role is FleetRole.SPOKE):
                raise ValueError(
                    "views.enabled: the views are part of the platform chart, which gitops deploys"
                )
            if not self.logReports.enabled:
                raise ValueError(
                    "views.enabled: needs logReports enabled (its processed bucket holds the reports, "
                    "and the views sync runs in its exporter image)"
                )
        return self

    @model_validator(mode="after")
    def _addon_dependencies(self) -> Self:
        # Every section that owns add-ons contributes its switches, so cross-section needs are seen.
        switches: list[AddOnSwitch] = []
        for name in type(self).model_fields:
            section = getattr(self, name)
            if hasattr(section, "addon_switches"):
                switches.extend(section.addon_switches())
        try:
            check_dependencies(switches)
        except AddOnDependencyError as error:
            # The first problem names its key; the settings loader reports one line per error.
            raise ValueError(error.problems[0]) from None
        return self

    @model_validator(mode="after")
    def _front_page_strategy_has_what_it_needs(self) -> Self:
        problem = self.addons.strategy_problem(prometheus=self.observability.enabled)
        if problem is not None:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _fleet_fits_the_stack(self) -> Self:
        fleet = self.fleet
        if fleet.role is FleetRole.HUB and not self.gitops.enabled:
            raise ValueError("fleet.role: a hub deploys the fleet with its Argo CD; enable kubeboard:gitops")
        if fleet.role is FleetRole.SPOKE and self.gitops.enabled:
            raise ValueError(
                "gitops.enabled: a spoke is deployed by its hub's Argo CD (fleet.hubStack); turn gitops off"
            )
        network = fleet.hub_network
        if network is None:
            return self
        own = ipaddress.IPv4Network(self.network.cidr)
        endpoint = self.cluster.endpoint
        for index, cidr in enumerate(network.cidrs):
            block = ipaddress.IPv4Network(cidr)
            if network.path is HubPath.PRIVATE and block.overlaps(own):
                raise ValueError(
                    f"fleet.hubNetwork.cidrs[{index}]: {cidr} overlaps this stack's VPC ({own}); "
                    "a peered or routed hub VPC needs its own range"
                )
            if network.path is HubPath.ALLOW_LIST and not (
                endpoint.public_access
                and any(block.subnet_of(ipaddress.IPv4Network(c)) for c in endpoint.public_access_cidrs)
            ):
                raise ValueError(
                    f"fleet.hubNetwork.cidrs[{index}]: {cidr} is not in cluster.endpoint.publicAccessCidrs; "
                    "the hub could not reach this cluster's API"
                )
        return self

    @property
    def is_prod(self) -> bool:
        return self.platform.environment is Environment.PROD


def _decode(value: Any) -> Any:
    # The engine hands structured values to the program as JSON text.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


ACCOUNT_SECTION = f"{NAMESPACE}:account"
# Sections an environment stack held before the account stack owned them.
_ACCOUNT_WIDE = ("registry", "scanning", "delivery")


def is_account_stack(config: Mapping[str, Any]) -> bool:
    """An account stack is the one whose file holds ``kubeboard:account``."""
    return ACCOUNT_SECTION in config


def section_models() -> dict[str, Any]:
    """Each ``kubeboard:`` section's name and the type that holds it."""
    return {name: field.annotation for name, field in Settings.model_fields.items() if name != "region"}


def _secret_problems(sections: dict[str, Any], secret_keys: Collection[str] | None) -> list[str]:
    """Secrets missing or in clear. A missing one gets a placeholder so the models report the rest too."""
    problems = []
    for slot in secret_slots(sections, section_models()):
        if slot.required and not slot.present:
            problems.append(missing_secret_problem(slot))
            place_placeholder(sections, slot)
        elif slot.present and secret_keys is not None:
            section_key = slot.path.split(".", 1)[0]
            if section_key not in secret_keys:
                problems.append(clear_secret_problem(slot))
    return problems


def _region(config: Mapping[str, Any], source: str) -> str:
    region = config.get("aws:region")
    if not isinstance(region, str) or not _REGION.match(region):
        found = "missing" if region is None else f"{region!r} is not an AWS region"
        raise SettingsError(source, [f"aws:region: required, e.g. ap-northeast-2 ({found})"])
    return region


def _sections(config: Mapping[str, Any], source: str, known: Collection[str], kind: str) -> dict[str, Any]:
    sections: dict[str, Any] = {"region": _region(config, source)}
    problems = []
    for key, value in sorted(config.items()):
        namespace, _, section = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if section == "region" or section not in known:
            allowed = ", ".join(f"{NAMESPACE}:{name}" for name in known if name != "region")
            moved = (
                f"; it belongs to the account stack as {ACCOUNT_SECTION}.{section}"
                if section in _ACCOUNT_WIDE and ACCOUNT_SECTION not in config
                else ""
            )
            problems.append(f"{key}: unknown key in {kind} (known sections: {allowed}){moved}")
            continue
        sections[section] = _decode(value)
    if problems:
        raise SettingsError(source, problems)
    return sections


def load_settings(
    config: Mapping[str, Any], *, source: str, secret_keys: Collection[str] | None = None
) -> Settings:
    """Validate an environment stack's configuration (full keys such as ``kubeboard:network`` -> value).

    ``source`` names the stack file in every error, e.g. ``Pulumi.prod.yaml``. ``secret_keys``, the
    keys the engine passed as secrets, lets a secret written in clear be refused.
    """
    sections = _sections(config, source, Settings.model_fields, "an environment stack")
    # A missing secret is reported with the command that sets it, along with every other problem.
    sections = copy.deepcopy(sections)  # placeholders must not reach the caller's config
    secret_problems = _secret_problems(sections, secret_keys)
    try:
        settings = Settings.model_validate_json(json.dumps(sections))
    except ValidationError as error:
        raise SettingsError(source, secret_problems + from_validation_error(source, error).problems) from None
    if secret_problems:
        raise SettingsError(source, secret_problems)
    try:
        stack = source.removeprefix("Pulumi.").removesuffix(".yaml")
        settings.fleet.check_stack(stack, settings.platform.account_stack)
    except ValueError as error:
        raise SettingsError(source, [f"{NAMESPACE}:{error}"]) from None
    return settings


def load_account_settings(config: Mapping[str, Any], *, source: str) -> AccountSettings:
    """Validate an account stack's configuration: ``aws:region`` and ``kubeboard:account`` only."""
    sections = _sections(config, source, AccountSettings.model_fields, "an account stack")
    try:
        return AccountSettings.model_validate_json(json.dumps(sections))
    except ValidationError as error:
        raise from_validation_error(source, error) from None


def current_settings() -> Settings | AccountSettings:
    """The running program's settings, read from the stack configuration the engine passed in."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env, get_config_secret_keys_env, is_config_secret

    config = {**get_config_env(), **CONFIG.get()}
    source = f"Pulumi.{pulumi.get_stack()}.yaml"
    if is_account_stack(config):
        return load_account_settings(config, source=source)
    secret_keys = {key for key in config if is_config_secret(key)} | set(get_config_secret_keys_env())
    return load_settings(config, source=source, secret_keys=secret_keys)
