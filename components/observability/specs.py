"""The four Helm releases of the observability stack as add-on specs (pure: no resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from ..addons.contract import AddOnSpec, IrsaSpec, deep_merge
from ..contracts import AlertTopic
from . import alertmanager, alloy, kube_prometheus_stack, loki
from .args import ObservabilityConfig, with_config_defaults


@dataclass(frozen=True, kw_only=True)
class StackInputs:
    """What the releases need from the resources the component creates around them."""

    config: ObservabilityConfig
    """The component's config (defaults are filled in here)."""
    region: str
    storage_class: str
    loki_bucket_name: pulumi.Input[str]
    loki_bucket_arn: pulumi.Input[str]
    grafana_role_arn: pulumi.Input[str]
    alert_topic: AlertTopic | None = None
    grafana_ingress: pulumi.Input[dict[str, Any]] | None = None
    grafana_root_url: str | None = None
    grafana_sign_in: dict[str, Any] | None = None
    """Grafana's ``grafana.ini`` sign-in sections (``sso.grafana_ini``); its client secret is a Secret."""
    service_monitors: tuple[dict[str, Any], ...] = ()
    """ServiceMonitors of other releases (e.g. argo-rollouts) that kube-prometheus-stack creates."""


def destinations(inputs: StackInputs) -> alertmanager.Destinations:
    alerting = with_config_defaults(inputs.config)["alerting"]
    return alertmanager.Destinations(
        slack_channel=alerting["slack"]["channel"] if alerting["slack"] else None,
        sns_topic_arn=inputs.alert_topic["arn"] if inputs.alert_topic else None,
        region=inputs.region,
        heartbeat=alerting["heartbeat_url"] is not None,
        drop_warnings=alerting["drop_warnings"],
        critical_repeat_hours=alerting["critical_repeat_hours"],
        warning_repeat_hours=alerting["warning_repeat_hours"],
    )


def _s3_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[Any]:
    return pulumi.Output.from_input(bucket_arn).apply(loki.s3_policy)


def addon_specs(inputs: StackInputs) -> list[AddOnSpec]:
    """kube-prometheus-stack, Loki and the two Alloy releases, none waiting for another: Loki's
    ServiceMonitor is made by kube-prometheus-stack, the one release that needs its CRDs."""
    config = with_config_defaults(inputs.config)
    namespace = config["namespace"]
    push_url = loki.push_url(namespace)
    kps = AddOnSpec(
        name=kube_prometheus_stack.NAME,
        chart=kube_prometheus_stack.CHART,
        version=kube_prometheus_stack.CHART_VERSION,
        repository=kube_prometheus_stack.REPOSITORY,
        namespace=namespace,
        values=deep_merge(
            kube_prometheus_stack.values(
                region=inputs.region,
                prometheus=config["prometheus"],
                grafana_config=config["grafana"],
                storage_class=inputs.storage_class,
                destinations=destinations(inputs),
                grafana_role_arn=inputs.grafana_role_arn,
                grafana_ingress=inputs.grafana_ingress,
                grafana_root_url=inputs.grafana_root_url,
                grafana_sign_in=inputs.grafana_sign_in,
                loki_url=loki.service_url(namespace),
            ),
            {
                "prometheus": {
                    "additionalServiceMonitors": [
                        loki.service_monitor(namespace),
                        alloy.service_monitor(namespace),
                        *inputs.service_monitors,
                    ]
                }
            },
        ),
        # Alertmanager signs SNS requests (sigv4) with its IRSA role; without e-mail, no AWS access.
        irsa=IrsaSpec(
            service_account=kube_prometheus_stack.ALERTMANAGER_SERVICE_ACCOUNT,
            policy_documents={
                "sns": kube_prometheus_stack.sns_publish_policy(
                    inputs.alert_topic["arn"], inputs.alert_topic["key_arn"], inputs.region
                )
            },
            service_account_path=("alertmanager", "serviceAccount"),
        )
        if inputs.alert_topic is not None
        else None,
        timeout_seconds=900,
    )
    loki_spec = AddOnSpec(
        name=loki.NAME,
        chart=loki.CHART,
        version=loki.CHART_VERSION,
        repository=loki.REPOSITORY,
        namespace=namespace,
        values=loki.values(
            loki=config["loki"],
            bucket_name=inputs.loki_bucket_name,
            region=inputs.region,
            storage_class=inputs.storage_class,
            alertmanager_url=kube_prometheus_stack.alertmanager_url(namespace),
        ),
        irsa=IrsaSpec(
            service_account=loki.SERVICE_ACCOUNT,
            policy_documents={"s3": _s3_policy(inputs.loki_bucket_arn)},
        ),
    )
    logs = AddOnSpec(
        name=alloy.NAME_LOGS,
        chart=alloy.CHART,
        version=alloy.CHART_VERSION,
        repository=alloy.REPOSITORY,
        namespace=namespace,
        values=alloy.logs_values(push_url),
    )
    events = AddOnSpec(
        name=alloy.NAME_EVENTS,
        chart=alloy.CHART,
        version=alloy.CHART_VERSION,
        repository=alloy.REPOSITORY,
        namespace=namespace,
        # Uses none of the chart's CRDs (the DaemonSet release owns them): no need to wait for it.
        values=alloy.events_values(push_url),
    )
    return [kps, loki_spec, logs, events]
