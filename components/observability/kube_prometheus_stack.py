"""kube-prometheus-stack (K5, F5, D2): Prometheus, Alertmanager and Grafana, tuned for EKS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pulumi

from ..addons.contract import AddOnSpec, IrsaSpec, deep_merge
from ..addons.definition import AddOnContext
from ..addons.pod_security import needs, restricted_container
from ..contracts import AlertTopic
from ..irsa import PolicyDocument
from ..workload import quantity_bytes, resource_values
from . import alertmanager, alloy, grafana, loki, rule_files
from .args import with_config_defaults
from .release_inputs import (
    STORAGE_CLASS,
    ReleaseInputs,
    given,
    given_config,
    observability_release,
)

NAME = "kube-prometheus-stack"
CHART = "kube-prometheus-stack"
CHART_VERSION = "88.5.3"
REPOSITORY = "https://prometheus-community.github.io/helm-charts"
ALERTMANAGER_SERVICE_ACCOUNT = "alertmanager"
GRAFANA_SERVICE_ACCOUNT = "grafana"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_USER_KEY = "admin-user"
GRAFANA_PASSWORD_KEY = "admin-password"
GRAFANA_OAUTH_SECRET = "grafana-oauth"
GRAFANA_OAUTH_SECRET_KEY = "client-secret"
_SMALL = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}}
"""Sidecars and one-shot Jobs."""
RETENTION_SIZE_SHARE = 0.85
"""Prometheus deletes old blocks once the TSDB reaches this share of its volume, before it fills."""


def prometheus_url(namespace: str) -> str:
    """The operator's governing Service for Prometheus pods (what analysis queries in-cluster)."""
    return f"http://prometheus-operated.{namespace}.svc.cluster.local:9090"


CLAIMS_GO_WITH_THE_RELEASE = {"whenDeleted": "Delete", "whenScaled": "Retain"}
"""StatefulSet claims are deleted with the release, so `pulumi destroy` leaves no volume behind
(the storage class's reclaim policy still keeps prod's EBS volumes, deliberately)."""


def retention_size(storage_size: str) -> str:
    """Prometheus ``retentionSize`` (base-2 units) as a share of the volume, e.g. 50Gi -> 43520MB."""
    return f"{int(quantity_bytes(storage_size) * RETENTION_SIZE_SHARE) // 2**20}MB"


def sns_publish_policy(
    topic_arn: pulumi.Input[str], key_arn: pulumi.Input[str], region: str
) -> PolicyDocument:
    """Alertmanager may publish to the alert topic and nothing else; SNS encrypts with the topic's key
    on its behalf, so the role may use that key through SNS only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PublishAlerts", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [topic_arn]},
            {
                "Sid": "EncryptForTheTopic",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": [key_arn],
                "Condition": {"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}},
            },
        ],
    }


def readable_log_groups(name_prefix: str) -> list[str]:
    """The log groups Grafana may query: the platform's own functions. The control-plane audit log,
    WAF logs (client addresses) and VPC flow logs stay with the people who hold AWS access."""
    return [f"/aws/lambda/{name_prefix}-*"]


def cloudwatch_read_policy(region: str, name_prefix: str) -> PolicyDocument:
    """Read-only access Grafana's CloudWatch data source needs (metrics, logs insights, tags).

    Logs Insights queries are scoped to ``readable_log_groups`` of the stack's region; StopQuery is
    left out because IAM only grants it on "*" (queries time out by themselves)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadMetrics",
                "Effect": "Allow",
                "Action": [
                    "cloudwatch:DescribeAlarmsForMetric",
                    "cloudwatch:DescribeAlarmHistory",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:ListMetrics",
                    "cloudwatch:GetMetricData",
                    "cloudwatch:GetInsightRuleReport",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ListLogs",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogGroups", "logs:GetQueryResults"],
                "Resource": "*",
            },
            {
                "Sid": "QueryLogGroups",
                "Effect": "Allow",
                "Action": ["logs:GetLogGroupFields", "logs:StartQuery", "logs:GetLogEvents"],
                "Resource": [
                    f"arn:aws:logs:{region}:*:log-group:{group}" for group in readable_log_groups(name_prefix)
                ],
            },
            {
                "Sid": "ResolveNamesAndTags",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeTags",
                    "ec2:DescribeInstances",
                    "ec2:DescribeRegions",
                    "tag:GetResources",
                ],
                "Resource": "*",
            },
        ],
    }


def values(
    *,
    region: str,
    prometheus: Mapping[str, Any],
    grafana_config: Mapping[str, Any],
    storage_class: str,
    destinations: alertmanager.Destinations,
    grafana_role_arn: pulumi.Input[str],
    grafana_ingress: pulumi.Input[Mapping[str, Any]] | None,
    grafana_root_url: str | None,
    loki_url: str,
    grafana_sign_in: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The chart's values; Alertmanager's IRSA service account block is added by the installer."""
    grafana_values: dict[str, Any] = {
        "admin": {
            "existingSecret": GRAFANA_ADMIN_SECRET,
            "userKey": GRAFANA_USER_KEY,
            "passwordKey": GRAFANA_PASSWORD_KEY,
        },
        "serviceAccount": {
            "create": True,
            "name": GRAFANA_SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": grafana_role_arn},
        },
        "additionalDataSources": [grafana.loki_datasource(loki_url), grafana.cloudwatch_datasource(region)],
        "persistence": {
            "enabled": True,
            "type": "pvc",
            "storageClassName": storage_class,
            "size": grafana_config["storage_size"],
        },
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        # The dashboard and data source sidecars.
        "sidecar": {"resources": _SMALL},
        # The pod's fsGroup (472) already gives Grafana its volume; the chown init container would
        # run as root with CHOWN and DAC_OVERRIDE for nothing.
        "initChownData": {"enabled": False},
        "grafana.ini": {
            "analytics": {"reporting_enabled": False, "check_for_updates": False},
            "auth.anonymous": {"enabled": False},
            "users": {"allow_sign_up": False},
            "security": {"cookie_secure": True, "disable_gravatar": True},
        },
        "ingress": grafana_ingress if grafana_ingress is not None else {"enabled": False},
    }
    if grafana_root_url:
        grafana_values["grafana.ini"]["server"] = {"root_url": grafana_root_url}
    if grafana_ingress is not None and grafana_sign_in is None:
        raise ValueError(
            "grafana_sign_in: required when Grafana has an Ingress (no UI is published without SSO)"
        )
    if grafana_sign_in is not None:
        # People sign in through dex only; the generated admin password opens nothing (no form, no basic auth).
        grafana_values["grafana.ini"].update(grafana_sign_in)
        grafana_values["envValueFrom"] = {
            "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET": {
                "secretKeyRef": {"name": GRAFANA_OAUTH_SECRET, "key": GRAFANA_OAUTH_SECRET_KEY}
            }
        }

    return {
        # EKS runs etcd, the scheduler, the controller manager (and kube-proxy's metrics bind to
        # localhost): none can be scraped, so neither their targets nor their alerts are wanted.
        "kubeEtcd": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "defaultRules": {
            "create": True,
            "rules": {
                "etcd": False,
                "kubeControllerManager": False,
                "kubeSchedulerAlerting": False,
                "kubeSchedulerRecording": False,
                "kubeProxy": False,
                "windows": False,
            },
        },
        "additionalPrometheusRulesMap": rule_files.prometheus_rule_files(),
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{prometheus['retention_days']}d",
                "retentionSize": retention_size(prometheus["storage_size"]),
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": storage_class,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": prometheus["storage_size"]}},
                        }
                    }
                },
                "resources": resource_values(prometheus["resources"]),
                "persistentVolumeClaimRetentionPolicy": CLAIMS_GO_WITH_THE_RELEASE,
                # Pick up ServiceMonitors/rules of every release (Loki's, Alloy's), not only this one's.
                "ruleSelectorNilUsesHelmValues": False,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
            }
        },
        "alertmanager": {
            "config": alertmanager.config(destinations),
            "alertmanagerSpec": {
                "secrets": [alertmanager.NOTIFIER_SECRET],
                "storage": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": storage_class,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "2Gi"}},
                        }
                    }
                },
                "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                "persistentVolumeClaimRetentionPolicy": CLAIMS_GO_WITH_THE_RELEASE,
            },
        },
        "prometheusOperator": {
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
            # The hook Jobs that create and patch the admission webhook's certificate.
            "admissionWebhooks": {"patch": {"resources": _SMALL}},
        },
        "kube-state-metrics": {
            # Memory grows with the number of objects in the cluster.
            "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
        },
        "prometheus-node-exporter": {
            "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "96Mi"}},
            # Host namespaces and paths, yet no privilege inside the container.
            "containerSecurityContext": restricted_container(),
            "podAnnotations": needs(
                "privileged",
                "node metrics: the host's network and process namespaces, /proc, /sys and / read-only",
            ),
        },
        "grafana": grafana_values,
    }


def destinations(
    alerting: Mapping[str, Any], alert_topic: AlertTopic | None, region: str
) -> alertmanager.Destinations:
    """Where Alertmanager sends each severity, from the alerting config (its defaults filled in)."""
    return alertmanager.Destinations(
        slack_channel=alerting["slack"]["channel"] if alerting["slack"] else None,
        sns_topic_arn=alert_topic["arn"] if alert_topic else None,
        region=region,
        heartbeat=alerting["heartbeat_url"] is not None,
        drop_warnings=alerting["drop_warnings"],
        critical_repeat_hours=alerting["critical_repeat_hours"],
        warning_repeat_hours=alerting["warning_repeat_hours"],
    )


def _build(context: AddOnContext, inputs: ReleaseInputs) -> AddOnSpec:
    """Loki's and Alloy's ServiceMonitors are made here, by the one release that installs the CRDs."""
    config = with_config_defaults(given_config(inputs))
    namespace, region = config["namespace"], context["region"]
    topic = inputs.get("alert_topic")
    spec = DEFINITION.spec(
        values=deep_merge(
            values(
                region=region,
                prometheus=config["prometheus"],
                grafana_config=config["grafana"],
                storage_class=inputs.get("storage_class", STORAGE_CLASS),
                destinations=destinations(config["alerting"], topic, region),
                grafana_role_arn=given(inputs, "grafana_role_arn"),
                grafana_ingress=inputs.get("grafana_ingress"),
                grafana_root_url=inputs.get("grafana_root_url"),
                grafana_sign_in=inputs.get("grafana_sign_in"),
                loki_url=loki.service_url(namespace),
            ),
            {
                "prometheus": {
                    "additionalServiceMonitors": [
                        loki.service_monitor(namespace),
                        alloy.service_monitor(namespace),
                        *(dict(monitor) for monitor in inputs.get("service_monitors", ())),
                    ]
                }
            },
        ),
        # Alertmanager signs SNS requests (sigv4) with its IRSA role; without e-mail, no AWS access.
        irsa=IrsaSpec(
            service_account=ALERTMANAGER_SERVICE_ACCOUNT,
            policy_documents={"sns": sns_publish_policy(topic["arn"], topic["key_arn"], region)},
            service_account_path=("alertmanager", "serviceAccount"),
        )
        if topic is not None
        else None,
        timeout_seconds=900,
    )
    return replace(spec, namespace=namespace)


DEFINITION = observability_release(
    NAME, CHART, CHART_VERSION, REPOSITORY, needs=("grafana_role_arn",), build=_build
)
