"""Argo CD (the argo-cd chart) as an add-on like any other: its `AddOnDefinition`, listed in `CATALOG`."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NotRequired, TypedDict, cast

import pulumi

from ..addons.contract import AddOnSpec
from ..addons.definition import AddOnContext, AddOnDefinition
from ..sso import DexClient, SsoConfig
from .args import DEFAULTS, GitOpsConfig, with_config_defaults
from .values import CHART, CHART_VERSION, RELEASE_NAME, REPOSITORY, argocd_values, merged_values


class ArgoCdInputs(TypedDict):
    """What the release is built from besides its context: the component's config and wiring. The
    component gives every key, so none has a default."""

    config: GitOpsConfig
    """The component's config (defaults are filled in where it is read)."""
    sso: SsoConfig
    """Who signs in through dex, and as what."""
    dex_clients: Sequence[DexClient]
    """The other UIs that sign in through this dex."""
    hostname: str
    """Argo CD's host."""
    ingress: pulumi.Input[Mapping[str, Any]]
    """The server's Ingress values."""
    extra_values: NotRequired[Mapping[str, Any] | None]
    """Deep-merged over the values (a fleet hub's IRSA and progressive syncs)."""


def _build(context: AddOnContext, inputs: ArgoCdInputs) -> AddOnSpec:
    config = with_config_defaults(inputs["config"])
    values = argocd_values(
        config,
        sso=inputs["sso"],
        dex_clients=inputs["dex_clients"],
        # Two replicas of each stateless part, PDBs and HA Redis where a production stack runs it.
        high_availability=context["is_prod"],
        hostname=inputs["hostname"],
        ingress=inputs["ingress"],
    )
    extra = inputs.get("extra_values")
    if extra is not None:
        values = merged_values(values, extra)
    return replace(DEFINITION.spec(values=values), namespace=config["namespace"])


DEFINITION: AddOnDefinition[ArgoCdInputs] = AddOnDefinition(
    name=RELEASE_NAME,
    chart=CHART,
    version=CHART_VERSION,
    repository=REPOSITORY,
    namespace=DEFAULTS["namespace"],
    # Switched by the gitops section, not under `kubeboard:addons`.
    settings_key="gitops",
    options=ArgoCdInputs,
    defaults=cast(ArgoCdInputs, {}),
    build=_build,
)

CATALOG: tuple[AddOnDefinition[Any], ...] = (DEFINITION,)
