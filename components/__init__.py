"""Kubeboard Infra: a complete, secure EKS platform on AWS as reusable Pulumi components.

Import the components into your own stack and pass them typed arguments::

    from kubeboard_infra import ImageScanAlerts, ImageScanAlertsArgs, Network, NetworkArgs

Every component, its argument types, the enums they take and the contracts between components are
exported here. They load on first use, so ``import kubeboard_infra`` stays light: it imports neither
Pulumi's providers nor pydantic (the typed stack settings) until a component is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Exported name -> the module (relative to this package) that defines it.
_EXPORTS: dict[str, str] = {
    # The two stacks' roots.
    "Account": ".account",
    "AccountArgs": ".account",
    "AccountDeliveryArgs": ".account",
    "AccountDeployArgs": ".account",
    "AccountGuardDutyArgs": ".account",
    "AccountLogAlarmsArgs": ".account",
    "AccountRegistryArgs": ".account",
    "AccountScanningArgs": ".account",
    "DeliveryTeamArgs": ".account",
    "Platform": ".platform",
    "PlatformArgs": ".platform_args",
    # Account-level components.
    "DeployEnvironmentArgs": ".deploy_roles",
    "DeployRoles": ".deploy_roles",
    "DeployRolesArgs": ".deploy_roles",
    "DeployRunner": ".deploy_runner",
    "DeployRunnerArgs": ".deploy_runner",
    "DeployRunnerConfig": ".deploy_runner",
    "DeliveryRepositoryArgs": ".github_oidc",
    "GitHubDelivery": ".github_oidc",
    "GitHubDeliveryArgs": ".github_oidc",
    "ErrorLogAlarms": ".log_alarms",
    "ErrorLogAlarmsArgs": ".log_alarms",
    "WatchedLogGroup": ".log_alarms",
    "control_plane_log_group": ".log_alarms",
    "function_log_group": ".log_alarms",
    "GuardDuty": ".guardduty",
    "GuardDutyArgs": ".guardduty",
    "HumanRoles": ".human_roles",
    "HumanRolesArgs": ".human_roles",
    "HumanRolesConfig": ".human_roles",
    "IdentityCenterArgs": ".human_roles",
    "OidcArgs": ".human_roles",
    "SamlArgs": ".human_roles",
    "ImageScanAlerts": ".image_scan_alerts",
    "ImageScanAlertsArgs": ".image_scan_alerts",
    "Registry": ".registry",
    "RegistryArgs": ".registry",
    "RepositoryArgs": ".registry",
    # Environment components.
    "Network": ".network",
    "NetworkArgs": ".network",
    "NetworkConfig": ".network",
    "NatGatewayStrategy": ".network",
    "FlowLogTraffic": ".network",
    "AccessArgs": ".cluster",
    "Cluster": ".cluster",
    "ClusterArgs": ".cluster",
    "ClusterConfig": ".cluster",
    "ClusterCreator": ".cluster",
    "ClusterAccess": ".contracts",
    "NodeGroupArgs": ".node_groups",
    "TaintArgs": ".node_groups",
    "Edge": ".edge",
    "EdgeArgs": ".edge",
    "EdgeConfig": ".edge",
    "IngressContract": ".edge",
    "IngressValuesShape": ".edge",
    "AccessPointArgs": ".shared_storage",
    "SharedStorage": ".shared_storage",
    "SharedStorageArgs": ".shared_storage",
    "SharedStorageConfig": ".shared_storage",
    "GrafanaSignIn": ".observability",
    "Observability": ".observability",
    "ObservabilityArgs": ".observability",
    "ObservabilityConfig": ".observability",
    "AlertTopic": ".contracts",
    "GitOps": ".gitops",
    "GitOpsArgs": ".gitops",
    "GitOpsConfig": ".gitops",
    "SsoConfig": ".sso",
    "ExporterArgs": ".log_reports",
    "LogReports": ".log_reports",
    "LogReportsArgs": ".log_reports",
    "LogReportsConfig": ".log_reports",
    "ReadSource": ".report_reader",
    "ReadSourceArgs": ".report_reader",
    "ReportReader": ".report_reader",
    "ReportReaderArgs": ".report_reader",
    "Environment": ".environment",
    # The error every component raises for args it cannot build from.
    "ArgsError": ".args",
    # A fleet: one hub's Argo CD deploying to the spoke environments' clusters.
    "Bridge": ".fleet.bridge",
    "FleetHub": ".fleet",
    "FleetHubAccess": ".fleet",
    "FleetHubAccessArgs": ".fleet.hub",
    "FleetHubArgs": ".fleet.hub",
    "FleetSpoke": ".fleet",
    "FleetSpokeArgs": ".fleet.spoke",
    "HubNetwork": ".fleet.bridge",
    "OwnCluster": ".fleet.hub",
    "UpgradePolicy": ".cluster",
    "AmiType": ".node_groups",
    "CapacityType": ".node_groups",
    "TaintEffect": ".node_groups",
    "ingress_annotations": ".edge.ingress",
    "ingress_helm_values": ".edge.ingress",
    "ingress_hostname": ".edge.ingress",
    "PerformanceMode": ".shared_storage",
    "ThroughputMode": ".shared_storage",
    "FleetArgs": ".fleet.config",
    "HubPath": ".fleet.config",
    "SpokeArgs": ".fleet.config",
    "TeamApplicationArgs": ".fleet.config",
    "TeamRevisionsArgs": ".fleet.config",
    "Wave": ".fleet.config",
    "WaveArgs": ".fleet.config",
    "WavesArgs": ".fleet.config",
    "HubNetworkArgs": ".fleet.spoke",
    # In-cluster add-ons: how one is declared, the contract it fills, the component that installs one.
    "AddOnContext": ".addons",
    "AddOnDefinition": ".addons",
    "ManagedAddOnDefinition": ".addons",
    "NodeGroupAccess": ".addons",
    "install_catalog": ".addons.catalog",
    "AddOnDependencyError": ".addons",
    "AddOnSpec": ".addons",
    "AddOnSwitch": ".addons",
    "HelmAddOn": ".addons",
    "HelmAddOnArgs": ".addons",
    "IrsaArgs": ".addons",
    "IrsaSpec": ".addons",
    "install_addons": ".addons",
    # Lambda archives built from the shipped sources.
    "LambdaPackageError": ".lambda_package",
    "lambda_archive": ".lambda_package",
}

# Written out (not computed) so linters and type checkers see it; a test keeps it equal to _EXPORTS.
__all__ = [
    "AccessArgs",
    "AccessPointArgs",
    "Account",
    "AccountArgs",
    "AccountDeliveryArgs",
    "AccountDeployArgs",
    "AccountGuardDutyArgs",
    "AccountLogAlarmsArgs",
    "AccountRegistryArgs",
    "AccountScanningArgs",
    "AddOnContext",
    "AddOnDefinition",
    "AddOnDependencyError",
    "AddOnSpec",
    "AddOnSwitch",
    "AlertTopic",
    "AmiType",
    "ArgsError",
    "Bridge",
    "CapacityType",
    "Cluster",
    "ClusterAccess",
    "ClusterArgs",
    "ClusterConfig",
    "ClusterCreator",
    "DeliveryRepositoryArgs",
    "DeliveryTeamArgs",
    "DeployEnvironmentArgs",
    "DeployRoles",
    "DeployRolesArgs",
    "DeployRunner",
    "DeployRunnerArgs",
    "DeployRunnerConfig",
    "Edge",
    "EdgeArgs",
    "EdgeConfig",
    "Environment",
    "ErrorLogAlarms",
    "ErrorLogAlarmsArgs",
    "ExporterArgs",
    "FleetArgs",
    "FleetHub",
    "FleetHubAccess",
    "FleetHubAccessArgs",
    "FleetHubArgs",
    "FleetSpoke",
    "FleetSpokeArgs",
    "FlowLogTraffic",
    "GitHubDelivery",
    "GitHubDeliveryArgs",
    "GitOps",
    "GitOpsArgs",
    "GitOpsConfig",
    "GrafanaSignIn",
    "GuardDuty",
    "GuardDutyArgs",
    "HelmAddOn",
    "HelmAddOnArgs",
    "HubNetwork",
    "HubNetworkArgs",
    "HubPath",
    "HumanRoles",
    "HumanRolesArgs",
    "HumanRolesConfig",
    "IdentityCenterArgs",
    "ImageScanAlerts",
    "ImageScanAlertsArgs",
    "IngressContract",
    "IngressValuesShape",
    "IrsaArgs",
    "IrsaSpec",
    "LambdaPackageError",
    "LogReports",
    "LogReportsArgs",
    "LogReportsConfig",
    "ManagedAddOnDefinition",
    "NatGatewayStrategy",
    "Network",
    "NetworkArgs",
    "NetworkConfig",
    "NodeGroupAccess",
    "NodeGroupArgs",
    "Observability",
    "ObservabilityArgs",
    "ObservabilityConfig",
    "OidcArgs",
    "OwnCluster",
    "PerformanceMode",
    "Platform",
    "PlatformArgs",
    "ReadSource",
    "ReadSourceArgs",
    "Registry",
    "RegistryArgs",
    "ReportReader",
    "ReportReaderArgs",
    "RepositoryArgs",
    "SamlArgs",
    "SharedStorage",
    "SharedStorageArgs",
    "SharedStorageConfig",
    "SpokeArgs",
    "SsoConfig",
    "TaintArgs",
    "TaintEffect",
    "TeamApplicationArgs",
    "TeamRevisionsArgs",
    "ThroughputMode",
    "UpgradePolicy",
    "WatchedLogGroup",
    "Wave",
    "WaveArgs",
    "WavesArgs",
    "control_plane_log_group",
    "function_log_group",
    "ingress_annotations",
    "ingress_helm_values",
    "ingress_hostname",
    "install_addons",
    "install_catalog",
    "lambda_archive",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from .account import (
        Account,
        AccountArgs,
        AccountDeliveryArgs,
        AccountDeployArgs,
        AccountGuardDutyArgs,
        AccountLogAlarmsArgs,
        AccountRegistryArgs,
        AccountScanningArgs,
        DeliveryTeamArgs,
    )
    from .addons import (
        AddOnContext,
        AddOnDefinition,
        AddOnDependencyError,
        AddOnSpec,
        AddOnSwitch,
        HelmAddOn,
        HelmAddOnArgs,
        IrsaArgs,
        IrsaSpec,
        ManagedAddOnDefinition,
        NodeGroupAccess,
        install_addons,
    )
    from .addons.catalog import install_catalog
    from .args import ArgsError
    from .cluster import AccessArgs, Cluster, ClusterArgs, ClusterConfig, ClusterCreator, UpgradePolicy
    from .contracts import AlertTopic, ClusterAccess
    from .deploy_roles import DeployEnvironmentArgs, DeployRoles, DeployRolesArgs
    from .deploy_runner import DeployRunner, DeployRunnerArgs, DeployRunnerConfig
    from .edge import Edge, EdgeArgs, EdgeConfig, IngressContract, IngressValuesShape
    from .edge.ingress import ingress_annotations, ingress_helm_values, ingress_hostname
    from .environment import Environment
    from .fleet import FleetHub, FleetHubAccess, FleetSpoke
    from .fleet.bridge import Bridge, HubNetwork
    from .fleet.config import (
        FleetArgs,
        HubPath,
        SpokeArgs,
        TeamApplicationArgs,
        TeamRevisionsArgs,
        Wave,
        WaveArgs,
        WavesArgs,
    )
    from .fleet.hub import FleetHubAccessArgs, FleetHubArgs, OwnCluster
    from .fleet.spoke import FleetSpokeArgs, HubNetworkArgs
    from .github_oidc import DeliveryRepositoryArgs, GitHubDelivery, GitHubDeliveryArgs
    from .gitops import GitOps, GitOpsArgs, GitOpsConfig
    from .guardduty import GuardDuty, GuardDutyArgs
    from .human_roles import (
        HumanRoles,
        HumanRolesArgs,
        HumanRolesConfig,
        IdentityCenterArgs,
        OidcArgs,
        SamlArgs,
    )
    from .image_scan_alerts import ImageScanAlerts, ImageScanAlertsArgs
    from .lambda_package import LambdaPackageError, lambda_archive
    from .log_alarms import (
        ErrorLogAlarms,
        ErrorLogAlarmsArgs,
        WatchedLogGroup,
        control_plane_log_group,
        function_log_group,
    )
    from .log_reports import ExporterArgs, LogReports, LogReportsArgs, LogReportsConfig
    from .network import FlowLogTraffic, NatGatewayStrategy, Network, NetworkArgs, NetworkConfig
    from .node_groups import AmiType, CapacityType, NodeGroupArgs, TaintArgs, TaintEffect
    from .observability import GrafanaSignIn, Observability, ObservabilityArgs, ObservabilityConfig
    from .platform import Platform
    from .platform_args import PlatformArgs
    from .registry import Registry, RegistryArgs, RepositoryArgs
    from .report_reader import ReadSource, ReadSourceArgs, ReportReader, ReportReaderArgs
    from .shared_storage import (
        AccessPointArgs,
        PerformanceMode,
        SharedStorage,
        SharedStorageArgs,
        SharedStorageConfig,
        ThroughputMode,
    )
    from .sso import SsoConfig
