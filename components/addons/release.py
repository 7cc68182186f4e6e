"""Install one `AddOnSpec` as a Helm release, with its IRSA role when it has one."""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from ..args import validate_args
from ..contracts import ClusterAccess
from ..irsa import irsa_role
from ..ordering import after, split_waits
from ..value_rules import K8S_NAME
from ..workload import int_range_problem
from .contract import AddOnSpec, chart_problems, deep_merge

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
_OLD_TYPE = "kubeboard:addons:HelmAddOn"


class IrsaArgs(TypedDict):
    """The service account a release runs as, and the AWS permissions it gets through IRSA."""

    service_account: str
    """Name of the Kubernetes service account; the chart is told to create it with this name."""
    policy_documents: NotRequired[dict[str, pulumi.Input[Mapping[str, Any]]]]
    """Customer-managed policies to create and attach, keyed by a short name (default: none)."""
    managed_policy_arns: NotRequired[list[str]]
    """Existing (e.g. AWS-managed) policies to attach as well (default: none)."""
    service_account_path: NotRequired[list[str]]
    """Where in the chart's values the service account block lives (default: ``["serviceAccount"]``)."""


class HelmAddOnArgs(TypedDict):
    release_name: str
    """The Helm release's name (other add-ons name it in their ``depends_on``)."""
    chart: str
    """The chart's name in its repository."""
    version: str
    """Exact chart version (no ranges): upgrades are deliberate, reviewed changes."""
    repository: str
    """The chart repository URL (``https://`` or ``oci://``)."""
    namespace: str
    """The namespace to install into (created if missing)."""
    cluster: ClusterAccess
    """The cluster to install into, and its IRSA identity provider."""
    values: NotRequired[dict[str, Any]]
    """The chart's values (default: none)."""
    irsa: NotRequired[IrsaArgs | None]
    """The service account's IAM role (default: none, for releases that never call AWS)."""
    timeout_seconds: NotRequired[int]
    """How long Helm waits for the release to be ready (default: 600)."""
    tags: NotRequired[dict[str, str]]
    """Tags for the AWS resources (the IRSA role and its policies; default: none)."""


DEFAULTS: dict[str, Any] = {"values": {}, "irsa": None, "timeout_seconds": 600, "tags": {}}


def problems(args: HelmAddOnArgs) -> list[str]:
    found = chart_problems(
        release_name=args["release_name"],
        namespace=args["namespace"],
        version=args["version"],
        repository=args["repository"],
    )
    timeout = int_range_problem(args.get("timeout_seconds", DEFAULTS["timeout_seconds"]), 60, 3600)
    if timeout:
        found.append(f"timeout_seconds: {timeout}")
    irsa = args.get("irsa")
    if irsa is not None and not K8S_NAME.match(irsa["service_account"]):
        found.append(f"irsa.service_account: {irsa['service_account']!r} is not a Kubernetes name")
    return found


def helm_addon_args(
    spec: AddOnSpec, cluster: ClusterAccess, tags: Mapping[str, str] | None = None
) -> HelmAddOnArgs:
    """The args that install one add-on definition's spec into a cluster."""
    args: HelmAddOnArgs = {
        "release_name": spec.name,
        "chart": spec.chart,
        "version": spec.version,
        "repository": spec.repository,
        "namespace": spec.namespace,
        "cluster": cluster,
        "values": dict(spec.values),
        "timeout_seconds": spec.timeout_seconds,
        "tags": dict(tags or {}),
    }
    if spec.irsa is not None:
        irsa: IrsaArgs = {
            "service_account": spec.irsa.service_account,
            "policy_documents": dict(spec.irsa.policy_documents),
            "managed_policy_arns": list(spec.irsa.managed_policy_arns),
            "service_account_path": list(spec.irsa.service_account_path),
        }
        args["irsa"] = irsa
    return args


def _nested(path: Sequence[str], leaf: Mapping[str, Any]) -> dict[str, Any]:
    """``["a", "b"], {"c": 1}`` -> ``{"a": {"b": {"c": 1}}}``."""
    value: dict[str, Any] = dict(leaf)
    for key in reversed(path):
        value = {key: value}
    return value


class HelmAddOn(pulumi.ComponentResource):
    """A pinned Helm chart release; its service account bound to an IRSA role when it needs AWS.

    What ``opts.depends_on`` names holds back the release only: the IRSA role beside it is created
    at once (a role takes seconds, a release's waits minutes).
    """

    release: k8s.helm.v3.Release
    """The Helm release."""
    role_arn: pulumi.Output[str] | None
    """The IRSA role's ARN, or None for a release that never calls AWS."""
    status: pulumi.Output[Any]
    """The release's status as Helm reports it."""

    def __init__(self, name: str, args: HelmAddOnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # `opts.depends_on` holds back the release alone: its IRSA role never waits for the cluster.
        waits, own_opts = split_waits(opts)
        # The type token was kubeboard:addons:HelmAddOn: the alias keeps existing releases' URNs.
        old_type = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=_OLD_TYPE)])
        super().__init__(
            "kubeboard:index:HelmAddOn", name, None, pulumi.ResourceOptions.merge(own_opts, old_type)
        )
        validate_args("HelmAddOn", args, HelmAddOnArgs, problems)
        merged: HelmAddOnArgs = {**DEFAULTS, **args}  # type: ignore[typeddict-item]
        cluster = merged["cluster"]
        values: Mapping[str, Any] = merged.get("values") or {}
        irsa = merged.get("irsa")

        self.role_arn = None
        ready: list[pulumi.Resource] = []
        if irsa is not None:
            role = irsa_role(
                f"{name}-irsa",
                oidc_provider_arn=cluster["oidc_provider_arn"],
                oidc_issuer=cluster["oidc_issuer"],
                namespace=merged["namespace"],
                service_account=irsa["service_account"],
                policy_documents=irsa.get("policy_documents") or {},
                managed_policy_arns=irsa.get("managed_policy_arns") or (),
                description=f"{merged['release_name']} in {merged['namespace']} (IRSA)",
                tags=merged.get("tags"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.role_arn = role.arn
            ready = role.ready
            # The chart creates the service account under the exact name the role trusts, annotated
            # with the role: the two can never drift apart, whatever the overrides say.
            binding = _nested(
                irsa.get("service_account_path") or ["serviceAccount"],
                {"create": True, "name": irsa["service_account"], "annotations": {IRSA_ANNOTATION: role.arn}},
            )
            values = deep_merge(values, binding)

        self.release = k8s.helm.v3.Release(
            name,
            name=merged["release_name"],
            chart=merged["chart"],
            version=merged["version"],
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=merged["repository"]),
            namespace=merged["namespace"],
            create_namespace=True,
            # A failed install or upgrade rolls back instead of leaving a half-applied release.
            atomic=True,
            cleanup_on_fail=True,
            max_history=10,
            timeout=merged["timeout_seconds"],
            values=values,
            # Pods start only once their role has its permissions attached.
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster["provider"], depends_on=[*ready, *waits]
            ),
        )
        self.status = self.release.status
        self.register_outputs({"release": self.release, "role_arn": self.role_arn, "status": self.status})


def install_addons(
    specs: Sequence[AddOnSpec],
    *,
    cluster: ClusterAccess,
    tags: Mapping[str, str] | None = None,
    name_prefix: str = "",
    opts: pulumi.ResourceOptions | None = None,
    install_after: Mapping[str, pulumi.ResourceOptions] | None = None,
) -> dict[str, HelmAddOn]:
    """Install enabled add-ons, each release after the releases it names in `depends_on`.

    `install_after` adds waits (built with `ordering.after`) to releases by name, ``"*"`` to all;
    each goes in that release's `opts`. Releases that do not need each other install side by side.

    Run `check_dependencies` on the settings first: here a missing dependency is a programming
    error, not a configuration one. `name_prefix` (e.g. the cluster name) prefixes the resource
    names, so two clusters' IRSA roles in one account tell apart; release names stay the charts'.
    """
    by_name = {spec.name: spec for spec in specs}
    installed: dict[str, HelmAddOn] = {}

    def install(spec: AddOnSpec, chain: tuple[str, ...]) -> HelmAddOn:
        if spec.name in installed:
            return installed[spec.name]
        if spec.name in chain:
            raise ValueError(f"add-on dependency cycle: {' -> '.join((*chain, spec.name))}")
        needed = []
        for dependency in spec.depends_on:
            if dependency not in by_name:
                raise ValueError(f"add-on {spec.name} needs {dependency}, which is not being installed")
            needed.append(install(by_name[dependency], (*chain, spec.name)))
        waits = [(install_after or {}).get(key) for key in ("*", spec.name)]
        if needed:
            waits.append(after([addon.release for addon in needed], reason=spec.wait_reason))
        release_opts = opts or pulumi.ResourceOptions()
        for wait in waits:
            release_opts = pulumi.ResourceOptions.merge(release_opts, wait)
        installed[spec.name] = HelmAddOn(
            f"{name_prefix}-{spec.name}" if name_prefix else spec.name,
            helm_addon_args(spec, cluster, tags),
            opts=release_opts,
        )
        return installed[spec.name]

    for spec in specs:
        install(spec, ())
    return installed
