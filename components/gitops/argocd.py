"""Argo CD (the argo-cd chart) as an add-on like any other: its `AddOnDefinition`, listed in `CATALOG`."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NotRequired, TypedDict

import pulumi

from ..addons.contract import AddOnSpec
from ..addons.definition import AddOnContext, AddOnDefinition
from ..args import check_args
from ..sso import DexClient, SsoConfig
from .args import DEFAULTS, GitOpsConfig, with_config_defaults
from .values import CHART, CHART_VERSION, RELEASE_NAME, REPOSITORY, argocd_values, merged_values


class ArgoCdInputs(TypedDict):
    """What the release is built from besides its context: the component's config and wiring. What
    only the component can give has no default; `problems` names it when missing."""

    config: NotRequired[GitOpsConfig | None]
    """The component's config (defaults are filled in where it is read). Required."""
    sso: NotRequired[SsoConfig | None]
    """Who signs in through dex, and as what. Required."""
    hostname: NotRequired[str | None]
    """Argo CD's host. Required."""
    ingress: NotRequired[pulumi.Input[Mapping[str, Any]] | None]
    """The server's Ingress values. Required."""
    dex_clients: NotRequired[Sequence[DexClient]]
    """The other UIs that sign in through this dex. Default: none."""
    extra_values: NotRequired[Mapping[str, Any] | None]
    """Deep-merged over the values (a fleet hub's IRSA and progressive syncs). Default: none."""


INPUT_DEFAULTS: ArgoCdInputs = {
    "config": None,
    "sso": None,
    "hostname": None,
    "ingress": None,
    "dex_clients": (),
    "extra_values": None,
}
_REQUIRED = ("config", "sso", "hostname", "ingress")


def _problems(inputs: ArgoCdInputs) -> list[str]:
    return [
        f"{key}: required (given by the GitOps component)" for key in _REQUIRED if inputs.get(key) is None
    ]


def _build(context: AddOnContext, inputs: ArgoCdInputs) -> AddOnSpec:
    config, sso = inputs.get("config"), inputs.get("sso")
    hostname, ingress = inputs.get("hostname"), inputs.get("ingress")
    if config is None or sso is None or hostname is None or ingress is None:
        raise ValueError("; ".join(_problems(inputs)))
    merged = with_config_defaults(config)
    values = argocd_values(
        merged,
        sso=sso,
        dex_clients=inputs.get("dex_clients", ()),
        # Two replicas of each stateless part, PDBs and HA Redis where a production stack runs it.
        high_availability=context["is_prod"],
        hostname=hostname,
        ingress=ingress,
    )
    extra = inputs.get("extra_values")
    if extra is not None:
        values = merged_values(values, extra)
    return replace(DEFINITION.spec(values=values), namespace=merged["namespace"])


DEFINITION: AddOnDefinition[ArgoCdInputs] = AddOnDefinition(
    name=RELEASE_NAME,
    chart=CHART,
    version=CHART_VERSION,
    repository=REPOSITORY,
    namespace=DEFAULTS["namespace"],
    # Switched by the gitops section, not under `kubeboard:addons`.
    settings_key="gitops",
    options=ArgoCdInputs,
    defaults=INPUT_DEFAULTS,
    problems=_problems,
    build=_build,
)

CATALOG: tuple[AddOnDefinition[Any], ...] = (DEFINITION,)


def release_spec(context: AddOnContext, inputs: ArgoCdInputs) -> AddOnSpec:
    """The release as it installs into `context`'s cluster: inputs over defaults, checked, built."""
    options = DEFINITION.with_defaults(inputs)
    check_args(f"AddOn {DEFINITION.name}", DEFINITION.problems(options))
    return DEFINITION.build(context, options)
