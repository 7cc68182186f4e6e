"""The one shape of an add-on: what its module declares, and the context it is built in.

Each Helm add-on's module exports ``DEFINITION = AddOnDefinition(...)``: where the chart comes
from, where it goes, the settings key that switches it, what it needs, its options (a TypedDict of
the plain values the stack file may set besides ``enabled`` and ``values``), the only copy of their
rules (`problems`), how to build its `AddOnSpec` (`build`) and, optionally, the AWS resources it
owns outside the release (`attach`). `catalog.CATALOG` lists the platform's add-ons once; the
stack-file switches (``kubeboard:addons.<settingsKey>``) are derived from it.

EKS managed add-ons (`ManagedAddOnDefinition`, managed.py) use the same field names where they mean
the same thing, and the same `IrsaSpec` and IRSA helper for the AWS access of their pods.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from ..args import ArgsError
from ..contracts import ClusterAccess
from ..node_groups import NodeGroupArgs
from .contract import AddOnSpec, AddOnSwitch, IrsaSpec

if TYPE_CHECKING:  # annotations only: neither module needs this one to load
    from .release import HelmAddOn


class NodeGroupAccess(TypedDict):
    """One managed node group as an add-on that owns AWS resources about it (the autoscaler) needs it."""

    args: NodeGroupArgs
    """What the group was built from (its name, labels and taints)."""
    node_group: aws.eks.NodeGroup
    """The EKS node group; resources about it are its children."""


class AddOnContext(TypedDict):
    """What every add-on is built in: the cluster and the environment around it (CDK's ``ClusterInfo``)."""

    cluster: ClusterAccess
    """The cluster to install into, and its IRSA identity provider."""
    cluster_name: str
    """The cluster's name as plain text: IAM conditions, tag keys and resource names are built from it."""
    region: str
    """The AWS region of the cluster."""
    vpc_id: pulumi.Input[str]
    """The cluster's VPC."""
    kubernetes_version: str
    """The control plane's ``1.<minor>`` version."""
    is_prod: bool
    """A production environment: standbys and disruption budgets where an add-on offers them."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for the AWS resources the add-ons create (default: none)."""
    node_groups: NotRequired[Sequence[NodeGroupAccess]]
    """The cluster's managed node groups (default: none), for add-ons that tag or watch them."""


def no_problems(_options: Mapping[str, Any]) -> list[str]:
    """The rules of an add-on whose options have none."""
    return []


class NoOptions(TypedDict):
    """An add-on the stack file only switches on or off (and gives chart values)."""


@dataclass(frozen=True, kw_only=True)
class AddOnDefinition[OptionsT: Mapping[str, Any]]:
    """One Helm add-on, declared once: everything else (switches, install, checks) is derived."""

    name: str
    """Release name, and the name others use in ``depends_on``."""
    chart: str
    version: str
    """Exact chart version (no ranges): upgrades are deliberate, reviewed changes."""
    repository: str
    """The chart repository (``https://...`` or ``oci://...``)."""
    namespace: str
    settings_key: str
    """Its camelCase key in the stack file: under ``kubeboard:addons`` for the catalog's add-ons
    (e.g. ``externalDns``), under their own section for the others (`switch` takes the section)."""
    options: type[OptionsT]
    """The TypedDict of its options in the stack file (besides ``enabled`` and ``values``)."""
    defaults: OptionsT
    """The value of every option the stack file leaves out."""
    build: Callable[[AddOnContext, OptionsT], AddOnSpec]
    """The release to install, from the context and the (checked) options; use `spec` to make it."""
    problems: Callable[[OptionsT], list[str]] = no_problems
    """The only copy of the options' rules: one line per problem, each starting with the option's
    snake_case name. Checked only when the add-on is enabled: a switched-off add-on's options are unused."""
    depends_on: tuple[str, ...] = ()
    """Names of add-ons that must be installed (and enabled) first."""
    requires: tuple[str, ...] = ()
    """Names of add-ons that must be enabled with it, though both install side by side."""
    wait_reason: str = ""
    """Why the release cannot start before those in `depends_on` (required when there are any)."""
    enabled_by_default: bool = True
    """Whether a stack file that does not mention it gets it."""
    attach: "Callable[[AddOnContext, HelmAddOn, pulumi.ResourceOptions], None] | None" = None
    """Creates the AWS resources the add-on owns outside its release (given the release, to wait for it if they must)."""

    def __post_init__(self) -> None:
        if self.depends_on and not self.wait_reason.strip():
            raise ValueError(
                f"add-on {self.name}: say why it waits for {', '.join(self.depends_on)} (wait_reason)"
            )
        # Every option has a default, so a stack file sets only what differs.
        if set(self.defaults) != set(self.options.__annotations__):
            raise ValueError(
                f"add-on {self.name}: defaults {sorted(self.defaults)} must cover exactly the options "
                f"{sorted(self.options.__annotations__)}"
            )

    def spec(self, **fields: Any) -> AddOnSpec:
        """An `AddOnSpec` with this definition's identity (name, chart, version, ...) and `fields`."""
        return AddOnSpec(
            name=self.name,
            chart=self.chart,
            version=self.version,
            repository=self.repository,
            namespace=self.namespace,
            depends_on=self.depends_on,
            wait_reason=self.wait_reason,
            **fields,
        )

    def switch(self, enabled: bool, section: str = "addons") -> AddOnSwitch:
        """Its switch in the stack file's `section`, for the check of what enabled add-ons need."""
        return AddOnSwitch(
            self.name, enabled, f"{section}.{self.settings_key}.enabled", (*self.depends_on, *self.requires)
        )

    def with_defaults(self, options: Mapping[str, Any] | None = None) -> OptionsT:
        """`options` over the defaults."""
        merged: OptionsT = {**self.defaults, **(options or {})}  # type: ignore[assignment]
        return merged

    def spec_for(
        self,
        context: AddOnContext,
        options: Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> AddOnSpec:
        """The release to install: options checked, the spec built, the stack's `values` merged over it.

        Raises `ArgsError` naming the add-on and each option when the options break a rule.
        """
        checked = self.with_defaults(options)
        problems = self.problems(checked)
        if problems:
            raise ArgsError(f"AddOn {self.name}", problems)
        spec = self.build(context, checked)
        identity = ("name", "chart", "version", "repository", "namespace", "depends_on")
        drifted = [key for key in identity if getattr(spec, key) != getattr(self, key)]
        if drifted:
            raise ValueError(f"add-on {self.name}: build() changed {', '.join(drifted)}; use DEFINITION.spec")
        return spec.with_overrides(values)


@dataclass(frozen=True, kw_only=True)
class ManagedAddOnDefinition:
    """One EKS managed add-on: AWS installs and upgrades it; the stack file pins its version."""

    name: str
    """The EKS add-on name (``aws eks describe-addon-versions``)."""
    settings_key: str
    """Its camelCase key under ``kubeboard:cluster.managedAddons`` (the version pin)."""
    namespace: str = "kube-system"
    irsa: IrsaSpec | None = None
    """The service account it runs as and the AWS permissions it gets through IRSA, if it calls AWS."""
    needs_nodes: bool = False
    """Deployments (not DaemonSets) only turn ACTIVE once nodes can run them."""
    configuration: Mapping[str, Any] | None = None
    """Its configuration values (the add-on's JSON schema), if any differ from EKS's."""
