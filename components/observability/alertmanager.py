"""Alertmanager's routing (D2, K12, F5): severity decides who is told, inhibit rules stop
duplicate noise, and the always-firing Watchdog proves the whole pipeline works end to end.

critical -> SNS (e-mail) and Slack; warning -> Slack, or SNS (e-mail) without Slack, or nowhere
only when the stack says ``dropWarnings: true``; info -> nowhere (visible in the UI);
Watchdog -> the heartbeat URL when set, otherwise a daily Slack message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

NOTIFIER_SECRET = "alertmanager-notifiers"
"""Kubernetes Secret holding the Slack webhook and heartbeat URLs; mounted by the operator."""
SLACK_URL_KEY = "slack-webhook-url"
HEARTBEAT_URL_KEY = "heartbeat-url"
SECRET_DIR = f"/etc/alertmanager/secrets/{NOTIFIER_SECRET}"
"""Where the Prometheus operator mounts ``alertmanagerSpec.secrets`` entries."""

NULL = "null"
SLACK = "slack"
SNS = "sns-email"
HEARTBEAT = "heartbeat"


@dataclass(frozen=True, kw_only=True)
class Destinations:
    """Where alerts can go; a missing destination simply gets no route."""

    slack_channel: str | None = None
    sns_topic_arn: pulumi.Input[str] | None = None
    region: str
    heartbeat: bool = False
    drop_warnings: bool = False
    """Warnings go nowhere on purpose; without it a destination for warnings is required."""
    critical_repeat_hours: int = 4
    warning_repeat_hours: int = 12

    @property
    def warning_receiver(self) -> str:
        if self.drop_warnings:
            return NULL
        if self.slack_channel:
            return SLACK
        if self.sns_topic_arn:
            return SNS
        raise ValueError("warning alerts have no destination: give Slack or an SNS topic, or drop_warnings")


def alertmanager_url(namespace: str) -> str:
    """The operator's governing Service for Alertmanager pods; stable whatever the release is called."""
    return f"http://alertmanager-operated.{namespace}.svc.cluster.local:9093"


def _matchers(*expressions: str) -> list[str]:
    return list(expressions)


def _slack_receiver(channel: str) -> dict[str, Any]:
    return {
        "name": SLACK,
        "slack_configs": [
            {
                # Read from the mounted Secret at send time: the URL never appears in values or config.
                "api_url_file": f"{SECRET_DIR}/{SLACK_URL_KEY}",
                "channel": channel,
                "send_resolved": True,
                "title": '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}'
                "{{ end }}] {{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }}",
                "text": "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n"
                "{{ end }}",
            }
        ],
    }


def _sns_receiver(topic_arn: pulumi.Input[str], region: str) -> dict[str, Any]:
    return {
        "name": SNS,
        "sns_configs": [
            {
                "topic_arn": topic_arn,
                # Signed with the IRSA role of Alertmanager's service account; no keys.
                "sigv4": {"region": region},
                "send_resolved": True,
                "subject": "[{{ .Status | toUpper }}] {{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }}",
                "message": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\n\n"
                "{{ end }}",
            }
        ],
    }


def _heartbeat_receiver() -> dict[str, Any]:
    return {
        "name": HEARTBEAT,
        "webhook_configs": [{"url_file": f"{SECRET_DIR}/{HEARTBEAT_URL_KEY}", "send_resolved": False}],
    }


def config(destinations: Destinations) -> dict[str, Any]:
    """The ``alertmanager.config`` document."""
    receivers: list[dict[str, Any]] = [{"name": NULL}]
    routes: list[dict[str, Any]] = []

    if destinations.heartbeat:
        receivers.append(_heartbeat_receiver())
        watchdog = {
            "receiver": HEARTBEAT,
            "repeat_interval": "5m",
            "group_wait": "0s",
            "group_interval": "1m",
        }
    elif destinations.slack_channel:
        watchdog = {"receiver": SLACK, "repeat_interval": "24h"}
    else:
        watchdog = {"receiver": NULL}
    routes.append({"matchers": _matchers('alertname = "Watchdog"'), **watchdog})
    # kube-prometheus-stack's InfoInhibitor only exists to silence info alerts; never notify it.
    routes.append({"matchers": _matchers('alertname = "InfoInhibitor"'), "receiver": NULL})

    critical_repeat = f"{destinations.critical_repeat_hours}h"
    warning_repeat = f"{destinations.warning_repeat_hours}h"
    warning_receiver = destinations.warning_receiver
    if destinations.sns_topic_arn:
        receivers.append(_sns_receiver(destinations.sns_topic_arn, destinations.region))
        routes.append(
            {
                "matchers": _matchers('severity = "critical"'),
                "receiver": SNS,
                "repeat_interval": critical_repeat,
                # Slack hears about critical alerts as well.
                "continue": bool(destinations.slack_channel),
            }
        )
    if destinations.slack_channel:
        receivers.append(_slack_receiver(destinations.slack_channel))
        routes.append(
            {
                "matchers": _matchers('severity = "critical"'),
                "receiver": SLACK,
                "repeat_interval": critical_repeat,
            }
        )
    # Explicit even when dropped, so the rendered config says where warnings go.
    routes.append(
        {
            "matchers": _matchers('severity = "warning"'),
            "receiver": warning_receiver,
            "repeat_interval": warning_repeat,
        }
    )

    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": NULL,
            "group_by": ["alertname", "namespace", "severity"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": routes,
        },
        "inhibit_rules": [
            # A critical alert silences the same alert's lower severities in the same namespace.
            {
                "source_matchers": ['severity = "critical"'],
                "target_matchers": ['severity =~ "warning|info"'],
                "equal": ["namespace", "alertname"],
            },
            {
                "source_matchers": ['severity = "warning"'],
                "target_matchers": ['severity = "info"'],
                "equal": ["namespace", "alertname"],
            },
            {
                "source_matchers": ['alertname = "InfoInhibitor"'],
                "target_matchers": ['severity = "info"'],
                "equal": ["namespace"],
            },
            # A node that is down explains every other alert about that node.
            {
                "source_matchers": ['alertname = "NodeNotReady"'],
                # Only alerts labelled `node`: with `equal`, a label missing on both sides counts as equal.
                "target_matchers": ['alertname = "NodeUnderPressure"'],
                "equal": ["node"],
            },
        ],
        "receivers": receivers,
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }
