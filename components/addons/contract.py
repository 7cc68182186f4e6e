"""The one contract every Helm-installed add-on follows.

An `AddOnSpec` says what to install (chart, pinned version, repository), where (namespace), with
which values (defaults; overrides are merged deeply over them), which IAM permissions its service
account gets through IRSA, and which other add-ons it needs. `HelmAddOn` (release.py) installs
any spec; `check_dependencies` rejects a set of add-on switches where an enabled add-on needs a
disabled one, before a single resource is declared.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi

from ..irsa import PolicyDocument
from ..value_rules import K8S_NAME

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def chart_problems(*, release_name: str, namespace: str, version: str, repository: str) -> list[str]:
    """The rules of one pinned chart release, each naming the field it breaks."""
    problems = []
    if not K8S_NAME.match(release_name):
        problems.append(f"release_name: {release_name!r} must be a DNS label (lower case, digits, '-')")
    if not K8S_NAME.match(namespace):
        problems.append(f"namespace: {namespace!r} must be a DNS label")
    if not _SEMVER.match(version):
        problems.append(f"version: {version!r} must be an exact x.y.z (no ranges: upgrades are reviewed)")
    if not repository.startswith(("https://", "oci://")):
        problems.append(f"repository: {repository!r} must be https:// or oci://")
    return problems


@dataclass(frozen=True, kw_only=True)
class IrsaSpec:
    """The service account an add-on runs as, and the AWS permissions it gets through IRSA."""

    service_account: str
    """Name of the Kubernetes service account; the chart is told to create it with this name."""
    policy_documents: Mapping[str, pulumi.Input[PolicyDocument]] = field(default_factory=dict)
    """Customer-managed policies to create and attach, keyed by a short name (e.g. ``route53``)."""
    managed_policy_arns: Sequence[str] = ()
    """Existing (e.g. AWS-managed) policies to attach as well."""
    service_account_path: tuple[str, ...] = ("serviceAccount",)
    """Where in the chart's values the service account block lives (``name`` and ``annotations``)."""


@dataclass(frozen=True, kw_only=True)
class AddOnSpec:
    """One in-cluster add-on installed from a Helm chart at a pinned version."""

    name: str
    """Release name and the name other add-ons use in ``depends_on``."""
    chart: str
    version: str
    """Exact chart version (no ranges): upgrades are deliberate, reviewed changes."""
    repository: str
    """The chart repository URL (``https://...``)."""
    namespace: str
    values: Mapping[str, Any] = field(default_factory=dict)
    """The platform's defaults for this chart; see `with_overrides` for the user's changes."""
    irsa: IrsaSpec | None = None
    depends_on: tuple[str, ...] = ()
    """Names of add-ons that must be installed first (and must be enabled)."""
    wait_reason: str = ""
    """Why the release cannot start before those in `depends_on` (required when there are any)."""
    timeout_seconds: int = 600

    def __post_init__(self) -> None:
        problems = chart_problems(
            release_name=self.name, namespace=self.namespace, version=self.version, repository=self.repository
        )
        if self.depends_on and not self.wait_reason.strip():
            problems.append(f"wait_reason: say why it waits for {', '.join(self.depends_on)}")
        if problems:
            raise ValueError(f"add-on {self.name}: {problems[0]}")

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> "AddOnSpec":
        """A copy whose values are the defaults with `overrides` merged deeply over them."""
        if not overrides:
            return self
        return replace(self, values=deep_merge(self.values, overrides))


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `override` into a copy of `base`: mappings merge key by key, anything else replaces.

    Lists replace rather than append, as Helm does with ``-f`` files, so an override can also
    remove list items (e.g. tolerations). Neither input is modified; leaves (which may be
    `pulumi.Output`s) are shared, containers are copied.
    """
    merged: dict[str, Any] = {key: _copy_containers(value) for key, value in base.items()}
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = _copy_containers(value)
    return merged


def _copy_containers(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy_containers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy_containers(item) for item in value]
    return value


@dataclass(frozen=True)
class AddOnSwitch:
    """Whether one add-on is on, where that is set, and what it needs."""

    name: str
    enabled: bool
    key: str
    """The settings key that switches it, e.g. ``addons.externalDns.enabled``."""
    depends_on: tuple[str, ...] = ()


class AddOnDependencyError(ValueError):
    """Enabled add-ons need add-ons that are switched off (or unknown); one line per problem.

    Each line starts with the offending settings key, as settings validators do, so the settings
    loader reports it as ``Pulumi.<stack>.yaml: kubeboard:<key>: ...``.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def check_dependencies(switches: Iterable[AddOnSwitch]) -> None:
    """Raise `AddOnDependencyError` if an enabled add-on depends on a disabled or unknown one."""
    by_name: dict[str, AddOnSwitch] = {}
    for switch in switches:
        if switch.name in by_name:
            raise ValueError(
                f"add-on {switch.name!r} is declared twice ({by_name[switch.name].key}, {switch.key})"
            )
        by_name[switch.name] = switch
    problems = []
    for switch in by_name.values():
        if not switch.enabled:
            continue
        for needed in switch.depends_on:
            dependency = by_name.get(needed)
            if dependency is None:
                problems.append(
                    f"{switch.key}: {switch.name} needs add-on {needed!r}, which this platform does not know"
                )
            elif not dependency.enabled:
                problems.append(
                    f"{switch.key}: {switch.name} needs {needed}, which is switched off "
                    f"({dependency.key} is false); enable it or disable {switch.name}"
                )
    if problems:
        raise AddOnDependencyError(problems)
