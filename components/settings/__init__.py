"""Typed platform settings, read from the stack's configuration and validated before any resource.

Each stack file section ``kubeboard:<section>`` maps to one model here. ``load_settings`` returns a
``Settings`` or raises ``SettingsError`` naming the stack file and every offending key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Self

from pydantic import ValidationError, model_validator

from ..addons.contract import AddOnDependencyError, AddOnSwitch, check_dependencies
from .addons import AddOnsSettings
from .base import Model
from .cluster import ClusterSettings
from .delivery import DeliverySettings
from .deploy_runner import DeployRunnerSettings
from .edge import EdgeSettings
from .errors import NAMESPACE, SettingsError, from_validation_error
from .gitops import GitOpsSettings
from .image_scan import ImageScanSettings
from .log_reports import LogReportsSettings
from .network import NatGatewayStrategy, NetworkSettings
from .observability import ObservabilitySettings
from .platform import PlatformSettings
from .registry import RegistrySettings
from .storage import SharedStorageSettings
from .types import Environment

__all__ = [
    "EdgeSettings",
    "Environment",
    "GitOpsSettings",
    "NatGatewayStrategy",
    "NetworkSettings",
    "ObservabilitySettings",
    "PlatformSettings",
    "Settings",
    "SettingsError",
    "load_settings",
]

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class Settings(Model):
    """Everything the platform is built from; one attribute per ``kubeboard:`` section."""

    region: str
    platform: PlatformSettings
    network: NetworkSettings
    edge: EdgeSettings
    cluster: ClusterSettings
    registry: RegistrySettings
    storage: SharedStorageSettings = SharedStorageSettings()
    addons: AddOnsSettings = AddOnsSettings()
    delivery: DeliverySettings = DeliverySettings()
    observability: ObservabilitySettings
    # Off unless the stack lists who is alerted (`kubeboard:scanning`).
    scanning: ImageScanSettings = ImageScanSettings(enabled=False)
    # Argo CD and the root Application (`kubeboard:gitops`); off unless the stack names a repository.
    gitops: GitOpsSettings = GitOpsSettings(enabled=False)
    # Error-log exports and reports (`kubeboard:logReports`); off unless the stack turns them on.
    # Named as the stack key (the loader matches section names to field names).
    logReports: LogReportsSettings = LogReportsSettings(enabled=False)
    # The in-VPC runner deploys use (`kubeboard:deployRunner`); required when GitHub cannot reach the API.
    deployRunner: DeployRunnerSettings = DeployRunnerSettings()

    @model_validator(mode="after")
    def _fits_region(self) -> Self:
        self.network.validate_region(self.region)
        return self

    @model_validator(mode="after")
    def _external_dns_publishes_the_edge(self) -> Self:
        dns = self.addons.external_dns
        if dns.enabled:
            self.edge.check_external_dns(hosted_zone_id=dns.hosted_zone_id, domain_filters=dns.domain_filters)
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
    def _prod_signs_in_through_sso(self) -> Self:
        if self.is_prod:
            self.gitops.require_sso()
        return self

    @model_validator(mode="after")
    def _log_reports_have_loki_and_an_alert_topic(self) -> Self:
        if self.logReports.enabled:
            if not (self.observability.enabled and self.observability.alerting.emails):
                raise ValueError(
                    "logReports.enabled: needs observability enabled (Loki) with alerting.emails "
                    "(its alarms notify that alert topic)"
                )
            self.logReports.check_registry({repository.name for repository in self.registry.repositories})
        return self

    @model_validator(mode="after")
    def _delivery_pushes_to_declared_repositories(self) -> Self:
        self.delivery.check_registry({repository.name for repository in self.registry.repositories})
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


def load_settings(config: Mapping[str, Any], *, source: str) -> Settings:
    """Validate a stack's configuration (full keys such as ``kubeboard:network`` -> value).

    ``source`` names the stack file in every error, e.g. ``Pulumi.prod.yaml``.
    """
    region = config.get("aws:region")
    if not isinstance(region, str) or not _REGION.match(region):
        found = "missing" if region is None else f"{region!r} is not an AWS region"
        raise SettingsError(source, [f"aws:region: required, e.g. ap-northeast-2 ({found})"])
    sections: dict[str, Any] = {"region": region}
    problems = []
    for key, value in sorted(config.items()):
        namespace, _, section = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if section == "region" or section not in Settings.model_fields:
            allowed = ", ".join(f"{NAMESPACE}:{name}" for name in Settings.model_fields if name != "region")
            problems.append(f"{key}: unknown key (known sections: {allowed})")
            continue
        sections[section] = _decode(value)
    if problems:
        raise SettingsError(source, problems)
    try:
        return Settings.model_validate_json(json.dumps(sections))
    except ValidationError as error:
        raise from_validation_error(source, error) from None


def current_settings() -> Settings:
    """The running program's settings, read from the stack configuration the engine passed in."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    config = {**get_config_env(), **CONFIG.get()}
    return load_settings(config, source=f"Pulumi.{pulumi.get_stack()}.yaml")
