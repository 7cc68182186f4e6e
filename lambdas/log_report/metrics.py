"""CloudWatch metrics as EMF log lines (Powertools): one ErrorLines datapoint per namespace."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

ERROR_METRIC = "ErrorLines"
MALFORMED_METRIC = "MalformedLines"


def emit_counts(
    metrics_namespace: str, errors_per_namespace: dict[str, int], malformed: int, source_ns: str
) -> None:
    """Emit each namespace's error count (zeros too: an alarm then sees a quiet window, not missing data)."""
    for namespace, count in sorted(errors_per_namespace.items()):
        # single_metric: each datapoint carries its own `namespace` dimension value.
        with single_metric(
            name=ERROR_METRIC,
            unit=MetricUnit.Count,
            value=count,
            namespace=metrics_namespace,
            default_dimensions={"namespace": namespace},
        ):
            pass
    with single_metric(
        name=MALFORMED_METRIC,
        unit=MetricUnit.Count,
        value=malformed,
        namespace=metrics_namespace,
        default_dimensions={"namespace": source_ns},
    ):
        pass
