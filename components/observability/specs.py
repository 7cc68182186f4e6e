"""The observability releases: one `AddOnDefinition` each, listed once in `CATALOG` (pure: no resources).

kube-prometheus-stack, Loki and the two Alloy releases wait for none of the others: Loki's and
Alloy's ServiceMonitors are made by kube-prometheus-stack, the one release that needs its CRDs.
"""

from typing import Any

from ..addons.contract import AddOnSpec
from ..addons.definition import AddOnContext, AddOnDefinition
from . import alloy, kube_prometheus_stack, loki
from .release_inputs import ReleaseInputs

CATALOG: tuple[AddOnDefinition[Any], ...] = (
    kube_prometheus_stack.DEFINITION,
    loki.DEFINITION,
    alloy.DEFINITION_LOGS,
    alloy.DEFINITION_EVENTS,
)


def addon_specs(context: AddOnContext, inputs: ReleaseInputs) -> list[AddOnSpec]:
    """Each release of the catalog as it installs into `context`'s cluster."""
    return [definition.build(context, inputs) for definition in CATALOG]
