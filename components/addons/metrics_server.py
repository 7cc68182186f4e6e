"""metrics-server: the resource metrics API that HPAs and `kubectl top` read (K5, K11, O4)."""

from __future__ import annotations

from .contract import AddOnSpec

NAME = "metrics-server"
CHART_VERSION = "3.13.1"
REPOSITORY = "https://kubernetes-sigs.github.io/metrics-server/"
NAMESPACE = "kube-system"
DEPENDS_ON: tuple[str, ...] = ()


def spec() -> AddOnSpec:
    return AddOnSpec(
        name=NAME,
        chart=NAME,
        version=CHART_VERSION,
        repository=REPOSITORY,
        namespace=NAMESPACE,
        depends_on=DEPENDS_ON,
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
