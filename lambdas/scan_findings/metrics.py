"""CloudWatch metrics in embedded metric format (EMF) through Powertools: printed to the function's log,
extracted by CloudWatch Logs, so no PutMetricData call is made per metric.

`ImageFindings` carries two dimension sets: {Repository, Severity} for dashboards and {Severity} for the
account-wide CRITICAL/HIGH alarms, which must not depend on the list of repositories.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from .findings import SEVERITIES

METRIC_FINDINGS = "ImageFindings"
METRIC_SCAN_EVENTS = "ScanEvents"
METRIC_NOTIFICATIONS = "AlertNotifications"
DIMENSION_REPOSITORY = "Repository"
DIMENSION_SEVERITY = "Severity"
DIMENSION_OUTCOME = "Outcome"


def emit_findings(namespace: str, repository: str, counts: Mapping[str, int]) -> None:
    """One EMF record per severity, zeros included, so alarms see the all-clear of a fixed image."""
    for severity in SEVERITIES:
        # EphemeralMetrics keeps no state between instances: nothing leaks into the next invocation.
        metrics = EphemeralMetrics(namespace=namespace)
        metrics.add_dimension(name=DIMENSION_REPOSITORY, value=repository)
        metrics.add_dimension(name=DIMENSION_SEVERITY, value=severity)
        metrics.add_dimensions(**{DIMENSION_SEVERITY: severity})
        metrics.add_metric(name=METRIC_FINDINGS, unit=MetricUnit.Count, value=counts.get(severity, 0))
        metrics.flush_metrics()


def emit_count(namespace: str, name: str, dimensions: Mapping[str, str], value: int = 1) -> None:
    metrics = EphemeralMetrics(namespace=namespace)
    for key, dimension_value in dimensions.items():
        metrics.add_dimension(name=key, value=dimension_value)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()
