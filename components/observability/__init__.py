"""Observability: Loki and Alloy for logs, kube-prometheus-stack for metrics, alerts and Grafana."""

from .args import DEFAULTS, GrafanaSignIn, ObservabilityArgs, ObservabilityConfig, problems
from .component import Observability

__all__ = [
    "DEFAULTS",
    "GrafanaSignIn",
    "Observability",
    "ObservabilityArgs",
    "ObservabilityConfig",
    "problems",
]
