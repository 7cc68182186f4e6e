"""metrics-server: the resource metrics API that HPAs and `kubectl top` read (K5, K11, O4)."""

from .contract import AddOnSpec
from .definition import AddOnContext, AddOnDefinition, NoOptions

NAME = "metrics-server"


def _build(_context: AddOnContext, _options: NoOptions) -> AddOnSpec:
    return DEFINITION.spec(
        values={
            # Two replicas and a PDB: HPAs stop scaling while the metrics API is down.
            "replicas": 2,
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
            "resources": {
                "requests": {"cpu": "100m", "memory": "200Mi"},
                "limits": {"cpu": "500m", "memory": "400Mi"},
            },
        },
    )


DEFINITION: AddOnDefinition[NoOptions] = AddOnDefinition(
    name=NAME,
    chart=NAME,
    version="3.13.1",
    repository="https://kubernetes-sigs.github.io/metrics-server/",
    namespace="kube-system",
    settings_key="metricsServer",
    options=NoOptions,
    defaults={},
    build=_build,
)
