"""`kubeboard:addons`: the platform's Helm add-ons, each switchable, with value overrides.

The switches are derived from the add-on catalog (`addons.catalog.CATALOG`): each add-on gets
``kubeboard:addons.<settingsKey>`` with ``enabled``, ``values`` and its own options, whose rules are
the add-on's `problems` (checked when it is enabled). ``values`` is merged deeply over the
platform's defaults for that chart, so a stack sets only what differs. Dependencies between add-ons
are checked by ``Settings`` at load time.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, cast, get_type_hints

from pydantic import Field, create_model, model_validator
from pydantic.alias_generators import to_pascal, to_snake

from ..addons.argo_rollouts import DEFINITION as ARGO_ROLLOUTS
from ..addons.argo_rollouts import FrontPageStrategy
from ..addons.aws_load_balancer_controller import DEFINITION as LOAD_BALANCER_CONTROLLER
from ..addons.catalog import CATALOG, AddOnChoice
from ..addons.contract import AddOnSwitch
from ..addons.definition import AddOnDefinition
from ..addons.external_dns import ExternalDnsPolicy
from ..args import settings_key
from .base import Model

__all__ = ["AddOnsSettings", "ExternalDnsPolicy", "FrontPageStrategy", "HelmAddOnSettings", "switch_model"]


class HelmAddOnSettings(Model):
    enabled: bool = True
    values: dict[str, Any] = Field(default_factory=dict)
    """Chart values merged deeply over the platform's defaults (mappings merge, lists replace)."""


def switch_model(definition: AddOnDefinition[Any]) -> type[HelmAddOnSettings]:
    """The stack-file model of one add-on's switch: ``enabled``, ``values`` and its options."""
    option_names = list(get_type_hints(definition.options))

    def follows_the_rules(self: HelmAddOnSettings) -> HelmAddOnSettings:
        if self.enabled:
            problems = definition.problems({name: getattr(self, name) for name in option_names})
            if problems:
                # One line per validator, as the other sections report; the first names its key.
                raise ValueError(settings_key(problems[0]))
        return self

    fields: dict[str, Any] = {"enabled": (bool, definition.enabled_by_default)}
    for name, annotation in get_type_hints(definition.options).items():
        fields[name] = (annotation, Field(default_factory=partial(copy.deepcopy, definition.defaults[name])))
    model: type[HelmAddOnSettings] = create_model(
        f"{to_pascal(definition.settings_key)}Settings",
        __base__=HelmAddOnSettings,
        __validators__={
            # pydantic takes its own decorated validators here, which its stubs do not name.
            "follows_the_rules": model_validator(mode="after")(follows_the_rules)  # type: ignore[dict-item]
        },
        **fields,
    )
    return model


def _field_name(definition: AddOnDefinition[Any]) -> str:
    return to_snake(definition.settings_key)


# One field per add-on of the catalog, made at import: type checkers see only `Model`, so code reads a
# switch through the accessors below (typed by the definition), never by attribute.
if TYPE_CHECKING:
    _Switches = Model
else:
    _Switches = create_model(
        "AddOnSwitches",
        __base__=Model,
        **{
            _field_name(definition): (model, Field(default_factory=model))
            for definition, model in ((d, switch_model(d)) for d in CATALOG)
        },
    )


class AddOnsSettings(_Switches):
    """One switch per add-on of the catalog, under its settings key."""

    def switch(self, definition: AddOnDefinition[Any]) -> HelmAddOnSettings:
        section: HelmAddOnSettings = getattr(self, _field_name(definition))
        return section

    def enabled(self, definition: AddOnDefinition[Any]) -> bool:
        return self.switch(definition).enabled

    def options[OptionsT: Mapping[str, Any]](self, definition: AddOnDefinition[OptionsT]) -> OptionsT:
        """The add-on's options as the stack file sets them (defaults filled in)."""
        section = self.switch(definition)
        return cast(OptionsT, {name: getattr(section, name) for name in get_type_hints(definition.options)})

    def choices(self) -> dict[str, AddOnChoice]:
        """What the stack chose for each add-on of the catalog, by add-on name."""
        return {
            definition.name: {
                "enabled": self.enabled(definition),
                "values": self.switch(definition).values,
                "options": self.options(definition),
            }
            for definition in CATALOG
        }

    def addon_switches(self) -> list[AddOnSwitch]:
        """Each add-on's switch, its settings key and what it needs, for the dependency check."""
        return [definition.switch(self.enabled(definition)) for definition in CATALOG]

    def strategy_problem(self, *, prometheus: bool) -> str | None:
        """What the front page's strategy lacks (``prometheus``: whether observability is on), if
        anything. Checked by ``Settings`` after the add-on dependencies, whose errors come first."""
        strategy = self.options(ARGO_ROLLOUTS)["front_page_strategy"]
        key = "addons.argoRollouts.frontPageStrategy"
        if strategy is FrontPageStrategy.DEPLOYMENT:
            return None
        if not self.enabled(ARGO_ROLLOUTS):
            return (
                f"{key}: {strategy.value} needs Argo Rollouts (argoRollouts.enabled is false); "
                "enable it or use deployment"
            )
        if strategy is FrontPageStrategy.CANARY and not self.enabled(LOAD_BALANCER_CONTROLLER):
            return (
                f"{key}: canary shifts traffic through the ALB and needs the load balancer controller "
                "(awsLoadBalancerController.enabled is false)"
            )
        if not prometheus:
            return f"{key}: {strategy.value} analyses the new version on Prometheus metrics; it needs observability.enabled"
        return None
