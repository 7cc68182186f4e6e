"""Install one `AddOnSpec` as a Helm release, with its IRSA role when it has one."""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from ..irsa import IrsaRole, irsa_role
from ..ordering import after
from .contract import AddOnSpec, deep_merge

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


class HelmAddOnArgs(TypedDict):
    spec: AddOnSpec
    """What to install; apply the user's overrides first with `AddOnSpec.with_overrides`."""
    provider: k8s.Provider
    """The cluster's Kubernetes provider (`Cluster.provider`)."""
    oidc_provider_arn: NotRequired[pulumi.Input[str]]
    """The cluster's IAM OIDC provider; required when the spec has `irsa`."""
    oidc_issuer: NotRequired[pulumi.Input[str]]
    """The cluster's OIDC issuer without ``https://``; required when the spec has `irsa`."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for the AWS resources (the IRSA role and its policies)."""
    install_after: NotRequired[pulumi.ResourceOptions]
    """What the release itself waits for, built with `ordering.after` (its IRSA role never waits)."""


def _nested(path: tuple[str, ...], leaf: Mapping[str, Any]) -> dict[str, Any]:
    """``("a", "b"), {"c": 1}`` -> ``{"a": {"b": {"c": 1}}}``."""
    value: dict[str, Any] = dict(leaf)
    for key in reversed(path):
        value = {key: value}
    return value


class HelmAddOn(pulumi.ComponentResource):
    """A pinned Helm chart release; its service account bound to an IRSA role when it needs AWS."""

    release: k8s.helm.v3.Release
    irsa: IrsaRole | None
    """The IRSA role and its policies, or None for add-ons that never call AWS."""
    role_arn: pulumi.Output[str] | None
    status: pulumi.Output[Any]

    def __init__(self, name: str, args: HelmAddOnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:addons:HelmAddOn", name, None, opts)
        spec = args["spec"]
        values: Mapping[str, Any] = spec.values

        self.irsa = None
        self.role_arn = None
        ready: list[pulumi.Resource] = []
        if spec.irsa is not None:
            if "oidc_provider_arn" not in args or "oidc_issuer" not in args:
                raise ValueError(
                    f"add-on {spec.name} needs AWS access: pass the cluster's OIDC provider and issuer"
                )
            self.irsa = irsa_role(
                f"{name}-irsa",
                oidc_provider_arn=args["oidc_provider_arn"],
                oidc_issuer=args["oidc_issuer"],
                namespace=spec.namespace,
                service_account=spec.irsa.service_account,
                policy_documents=spec.irsa.policy_documents,
                managed_policy_arns=spec.irsa.managed_policy_arns,
                description=f"{spec.name} in {spec.namespace} (IRSA)",
                tags=args.get("tags"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.role_arn = self.irsa.arn
            ready = self.irsa.ready
            # The chart creates the service account under the exact name the role trusts, annotated
            # with the role: the two can never drift apart, whatever the overrides say.
            binding = _nested(
                spec.irsa.service_account_path,
                {
                    "create": True,
                    "name": spec.irsa.service_account,
                    "annotations": {IRSA_ANNOTATION: self.irsa.arn},
                },
            )
            values = deep_merge(values, binding)

        self.release = k8s.helm.v3.Release(
            name,
            name=spec.name,
            chart=spec.chart,
            version=spec.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=spec.repository),
            namespace=spec.namespace,
            create_namespace=True,
            # A failed install or upgrade rolls back instead of leaving a half-applied release.
            atomic=True,
            cleanup_on_fail=True,
            max_history=10,
            timeout=spec.timeout_seconds,
            values=values,
            # Pods start only once their role has its permissions attached. Waits on other
            # components apply to the release alone: its AWS role never waits for the cluster's state.
            opts=pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(parent=self, provider=args["provider"], depends_on=ready),
                args.get("install_after"),
            ),
        )
        self.status = self.release.status
        self.register_outputs({"status": self.status, "roleArn": self.role_arn})


def install_addons(
    specs: Sequence[AddOnSpec],
    *,
    provider: k8s.Provider,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    tags: Mapping[str, str] | None = None,
    name_prefix: str = "",
    opts: pulumi.ResourceOptions | None = None,
    install_after: Mapping[str, pulumi.ResourceOptions] | None = None,
) -> dict[str, HelmAddOn]:
    """Install enabled add-ons, each release after the releases it names in `depends_on`.

    `install_after` adds waits (built with `ordering.after`) to releases by name, ``"*"`` to all.
    Releases that do not need each other are installed side by side.

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
        release_waits = pulumi.ResourceOptions()
        for wait in waits:
            release_waits = pulumi.ResourceOptions.merge(release_waits, wait)
        addon_args: HelmAddOnArgs = {
            "spec": spec,
            "provider": provider,
            "oidc_provider_arn": oidc_provider_arn,
            "oidc_issuer": oidc_issuer,
            "tags": dict(tags or {}),
            "install_after": release_waits,
        }
        installed[spec.name] = HelmAddOn(
            f"{name_prefix}-{spec.name}" if name_prefix else spec.name, addon_args, opts=opts
        )
        return installed[spec.name]

    for spec in specs:
        install(spec, ())
    return installed
