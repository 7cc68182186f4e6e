"""Observability: Loki and Alloy for logs, kube-prometheus-stack for metrics, alerts and Grafana."""

from .component import Observability, ObservabilityArgs

__all__ = ["Observability", "ObservabilityArgs"]
