"""CloudWatch metrics as EMF log lines (Powertools): one ErrorLines datapoint per namespace."""

from __future__ import annotations

from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit, single_metric

ERROR_METRIC = "ErrorLines"
MALFORMED_METRIC = "MalformedLines"
CORRUPT_METRIC = "CorruptExports"
IGNORED_METRIC = "IgnoredInputs"


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


class IgnoredReason(StrEnum):
    MALFORMED_EVENT = "malformed_event"
    NOT_AN_EXPORT = "not_an_export"
    OBJECT_GONE = "object_gone"


def emit_ignored(metrics_namespace: str, reason: IgnoredReason) -> None:
    """One IgnoredInputs datapoint per event record or key the function could not act on."""
    with single_metric(
        name=IGNORED_METRIC,
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics_namespace,
        default_dimensions={"reason": reason.value},
    ):
        pass


def emit_corrupt_export(metrics_namespace: str) -> None:
    """A corrupt export is counted once, without dimensions: one alarm covers every namespace."""
    with single_metric(name=CORRUPT_METRIC, unit=MetricUnit.Count, value=1, namespace=metrics_namespace):
        pass
