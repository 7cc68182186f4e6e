"""Loki (the ``loki`` chart, grafana-community) in monolithic mode on S3 through IRSA (K3, O3).

The user asked for "loki-stack": that chart is deprecated and its Promtail reached end of life,
so the same stack is built from the current parts, this chart and Grafana Alloy (alloy.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pulumi

from ..addons.contract import AddOnSpec, IrsaSpec
from ..addons.definition import AddOnContext
from ..irsa import PolicyDocument
from ..workload import resource_values
from .alertmanager import alertmanager_url
from .args import with_config_defaults
from .release_inputs import (
    STORAGE_CLASS,
    ReleaseInputs,
    given,
    given_config,
    observability_release,
)

NAME = "loki"
CHART = "loki"
CHART_VERSION = "18.11.0"
REPOSITORY = "https://grafana-community.github.io/helm-charts"
SERVICE_ACCOUNT = "loki"
HTTP_PORT = 3100
SCHEMA_FROM = "2025-01-01"
"""First day of the tsdb/v13 schema period; it must never change once logs were written."""
TENANT = "fake"
"""With ``auth_enabled: false`` Loki files everything under this tenant, rules included."""
RULES_FOLDER = "/rules"
RULE_LABEL = "loki_rule"
RULE_FOLDER_ANNOTATION = "k8s-sidecar-target-directory"
"""The rules sidecar writes a labelled ConfigMap into ``<RULES_FOLDER>/<annotation value>``."""


def service_url(namespace: str) -> str:
    """Loki's in-cluster HTTP endpoint (the monolithic Service is named after the release)."""
    return f"http://{NAME}.{namespace}.svc.cluster.local:{HTTP_PORT}"


def push_url(namespace: str) -> str:
    return f"{service_url(namespace)}/loki/api/v1/push"


def service_monitor(namespace: str) -> dict[str, Any]:
    """Loki's ServiceMonitor, as the chart would make it, for kube-prometheus-stack to create.

    Made by the release that installs the monitoring.coreos.com CRDs, it lets Loki install beside
    kube-prometheus-stack instead of after it. Same selector, port and labels as the chart's own:
    ``job`` reads ``<namespace>/<service>``, as Loki's dashboards and rules expect.
    """
    return {
        "name": NAME,
        "namespaceSelector": {"matchNames": [namespace]},
        "selector": {
            "matchLabels": {"app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": NAME},
            "matchExpressions": [
                {"key": "prometheus.io/service-monitor", "operator": "NotIn", "values": ["false"]}
            ],
        },
        "endpoints": [
            {
                "port": "http-metrics",
                "path": "/metrics",
                "interval": "15s",
                "relabelings": [
                    {
                        "sourceLabels": ["job"],
                        "action": "replace",
                        "replacement": f"{namespace}/$1",
                        "targetLabel": "job",
                    },
                    {"action": "replace", "replacement": NAME, "targetLabel": "app_instance"},
                ],
            }
        ],
    }


def s3_policy(bucket_arn: str) -> PolicyDocument:
    """Read, write and delete (the compactor enforces retention) in Loki's own bucket only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListLokiBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
            },
            {
                "Sid": "ReadWriteLokiObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"{bucket_arn}/*"],
            },
        ],
    }


def values(
    *,
    loki: Mapping[str, Any],
    bucket_name: pulumi.Input[str],
    region: str,
    storage_class: str,
    alertmanager_url: str,
) -> dict[str, Any]:
    """The chart's values; the IRSA service account block is added by the add-on installer."""
    retention = f"{loki['retention_days'] * 24}h"
    return {
        "deploymentMode": "Monolithic",
        "loki": {
            # One tenant: the platform has a single team of operators, and Grafana/Alloy need no header.
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "schemaConfig": {
                "configs": [
                    {
                        "from": SCHEMA_FROM,
                        "store": "tsdb",
                        "object_store": "s3",
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            # No keys: the AWS SDK in Loki picks up the IRSA web identity token.
            "storage": {
                "type": "s3",
                "bucketNames": {"chunks": bucket_name, "ruler": bucket_name},
                "s3": {"region": region},
            },
            "compactor": {
                "working_directory": "/var/loki/compactor",
                "compaction_interval": "10m",
                "retention_enabled": True,
                "retention_delete_delay": "2h",
                "delete_request_store": "s3",
            },
            "limits_config": {
                "retention_period": retention,
                "reject_old_samples": True,
                "reject_old_samples_max_age": "168h",
                "max_cache_freshness_per_query": "10m",
                "split_queries_by_interval": "15m",
                "query_timeout": "300s",
                "volume_enabled": True,
                "ingestion_rate_mb": 8,
                "ingestion_burst_size_mb": 16,
            },
            "rulerConfig": {
                # Rules come from ConfigMaps the sidecar writes to a local folder (see rules ConfigMap).
                "storage": {"type": "local", "local": {"directory": RULES_FOLDER}},
                "rule_path": "/var/loki/ruler-scratch",
                "alertmanager_url": alertmanager_url,
                "enable_api": True,
                "ring": {"kvstore": {"store": "inmemory"}},
                "wal": {"dir": "/var/loki/ruler-wal"},
            },
        },
        "singleBinary": {
            "replicas": 1,
            "persistence": {
                "enabled": True,
                "size": loki["storage_size"],
                "storageClass": storage_class,
                # The volume holds only the WAL and working files (chunks live in S3): uninstalling
                # deletes its claim, so `pulumi destroy` leaves no EBS volume behind.
                "enableStatefulSetAutoDeletePVC": True,
                "whenDeleted": "Delete",
            },
            "resources": resource_values(loki["resources"]),
        },
        # Monolithic: none of the scalable targets, caches, gateway or test workloads.
        "write": {"replicas": 0},
        "read": {"replicas": 0},
        "backend": {"replicas": 0},
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        "minio": {"enabled": False},
        "sidecar": {
            "rules": {
                "enabled": True,
                "label": RULE_LABEL,
                "labelValue": "1",
                "folder": RULES_FOLDER,
                "folderAnnotation": RULE_FOLDER_ANNOTATION,
            },
            "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        },
        # kube-prometheus-stack creates Loki's ServiceMonitor (`service_monitor`): the CRD is
        # then never missing, and Loki need not wait for that whole release to be Ready.
        "monitoring": {"serviceMonitor": {"enabled": False}},
    }


def _build(context: AddOnContext, inputs: ReleaseInputs) -> AddOnSpec:
    config = with_config_defaults(given_config(inputs))
    namespace = config["namespace"]
    bucket_arn = given(inputs, "loki_bucket_arn")
    spec = DEFINITION.spec(
        values=values(
            loki=config["loki"],
            bucket_name=given(inputs, "loki_bucket_name"),
            region=context["region"],
            storage_class=inputs.get("storage_class", STORAGE_CLASS),
            alertmanager_url=alertmanager_url(namespace),
        ),
        irsa=IrsaSpec(
            service_account=SERVICE_ACCOUNT,
            policy_documents={"s3": pulumi.Output.from_input(bucket_arn).apply(s3_policy)},
        ),
    )
    return replace(spec, namespace=namespace)


DEFINITION = observability_release(
    NAME, CHART, CHART_VERSION, REPOSITORY, needs=("loki_bucket_name", "loki_bucket_arn"), build=_build
)
