"""Exports the error lines Loki holds for each closed 10-minute window to S3, one object per namespace.

Run it every 10 minutes (a Kubernetes CronJob with ``concurrencyPolicy: Forbid``):
``python -m lambdas.log_exporter`` or the ``kubeboard-log-exporter`` console entry.
"""

from .exporter import ExportResult, run_export
from .settings import ExporterSettings, SettingsError

__all__ = ["ExportResult", "ExporterSettings", "SettingsError", "run_export"]
