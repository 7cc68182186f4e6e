"""The platform's own Helm add-ons, listed once, and how a stack's choices of them are installed.

The stack file's ``kubeboard:addons`` switches are derived from `CATALOG` (settings/addons.py): an
add-on added here is switchable, checked and installed without another list to update.
"""

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi

from . import argo_rollouts, aws_load_balancer_controller, cluster_autoscaler, external_dns, metrics_server
from .contract import AddOnSpec
from .definition import AddOnContext, AddOnDefinition
from .release import HelmAddOn, install_addons

CATALOG: tuple[AddOnDefinition[Any], ...] = (
    metrics_server.DEFINITION,
    aws_load_balancer_controller.DEFINITION,
    cluster_autoscaler.DEFINITION,
    external_dns.DEFINITION,
    argo_rollouts.DEFINITION,
)


class AddOnChoice(TypedDict):
    """What a stack chose for one add-on."""

    enabled: bool
    """Whether the stack installs it."""
    values: Mapping[str, Any]
    """Chart values merged deeply over the add-on's defaults."""
    options: Mapping[str, Any]
    """The add-on's options (its `AddOnDefinition.options`); those left out take its defaults."""


def _chosen(
    choices: Mapping[str, AddOnChoice], catalog: tuple[AddOnDefinition[Any], ...]
) -> list[tuple[AddOnDefinition[Any], AddOnChoice]]:
    unknown = set(choices) - {definition.name for definition in catalog}
    if unknown:
        raise ValueError(f"no add-on in the catalog is called {', '.join(sorted(unknown))}")
    chosen = []
    for definition in catalog:
        choice = choices.get(definition.name) or {
            "enabled": definition.enabled_by_default,
            "values": {},
            "options": {},
        }
        if choice["enabled"]:
            chosen.append((definition, choice))
    return chosen


def enabled_specs(
    context: AddOnContext,
    choices: Mapping[str, AddOnChoice],
    catalog: tuple[AddOnDefinition[Any], ...] = CATALOG,
) -> list[AddOnSpec]:
    """The enabled add-ons' specs (by name in `choices`; others as their defaults say)."""
    return [
        definition.spec_for(context, choice["options"], choice["values"])
        for definition, choice in _chosen(choices, catalog)
    ]


def install_catalog(
    context: AddOnContext,
    choices: Mapping[str, AddOnChoice],
    *,
    name_prefix: str = "",
    opts: pulumi.ResourceOptions | None = None,
    install_after: Mapping[str, pulumi.ResourceOptions] | None = None,
    catalog: tuple[AddOnDefinition[Any], ...] = CATALOG,
) -> dict[str, HelmAddOn]:
    """Install the enabled add-ons into the context's cluster, then attach what each owns in AWS."""
    chosen = _chosen(choices, catalog)
    cluster = context["cluster"]
    installed = install_addons(
        [definition.spec_for(context, choice["options"], choice["values"]) for definition, choice in chosen],
        cluster=cluster,
        tags=context.get("tags"),
        name_prefix=name_prefix,
        opts=opts,
        install_after=install_after,
    )
    for definition, _ in chosen:
        if definition.attach is not None:
            definition.attach(context, installed[definition.name], opts or pulumi.ResourceOptions())
    return installed
