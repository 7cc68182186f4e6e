"""The observability releases: one `AddOnDefinition` each, listed once in `CATALOG` (pure: no resources).

kube-prometheus-stack, Loki and the two Alloy releases wait for none of the others: Loki's and
Alloy's ServiceMonitors are made by kube-prometheus-stack, the one release that needs its CRDs.
"""

from typing import Any

from ..addons.contract import AddOnSpec
from ..addons.definition import AddOnContext, AddOnDefinition
from ..args import check_args
from . import alloy, kube_prometheus_stack, loki
from .release_inputs import ReleaseInputs

CATALOG: tuple[AddOnDefinition[Any], ...] = (
    kube_prometheus_stack.DEFINITION,
    loki.DEFINITION,
    alloy.DEFINITION_LOGS,
    alloy.DEFINITION_EVENTS,
)


def addon_specs(context: AddOnContext, inputs: ReleaseInputs) -> list[AddOnSpec]:
    """Each release of the catalog as it installs into `context`'s cluster: its inputs over its
    defaults, checked by its rules (an `ArgsError` names the release and each input)."""
    specs = []
    for definition in CATALOG:
        options = definition.with_defaults(inputs)
        check_args(f"AddOn {definition.name}", definition.problems(options))
        specs.append(definition.build(context, options))
    return specs
