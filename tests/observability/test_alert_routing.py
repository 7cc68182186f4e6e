"""Every warning alert reaches someone unless the stack drops warnings on purpose.

The rendered Alertmanager configuration of each receiver combination goes through Alertmanager's
own tools: ``amtool check-config`` parses it, ``amtool config routes test`` says which receiver an
alert with given labels reaches (Debian package prometheus-alertmanager, installed by scripts/setup).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from kubeboard_infra.observability import alertmanager
from kubeboard_infra.observability.loki_rules import __file__ as loki_rules_init
from kubeboard_infra.settings.observability import ObservabilitySettings

SLACK = {"channel": "#kubeboard-alerts", "webhookUrl": "https://hooks.slack.com/services/T000/B000/XXXX"}
TOPIC_ARN = "arn:aws:sns:ap-northeast-2:123456789012:kubeboard-dev-alerts"
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(AMTOOL is None, reason="amtool (prometheus-alertmanager) is not installed")


def _settings(**alerting: Any) -> ObservabilitySettings:
    return ObservabilitySettings.model_validate_json(
        json.dumps(
            {
                "loki": {"retentionDays": 7},
                "prometheus": {"retentionDays": 7},
                "alerting": alerting,
            }
        )
    )


def _rendered(settings: ObservabilitySettings) -> dict[str, Any]:
    """The Alertmanager config as the stack renders it (an SNS topic exists exactly when e-mails do)."""
    alerting = settings.alerting
    return alertmanager.config(
        alertmanager.Destinations(
            slack_channel=alerting.slack.channel if alerting.slack else None,
            sns_topic_arn=TOPIC_ARN if alerting.emails else None,
            region="ap-northeast-2",
            drop_warnings=alerting.drop_warnings,
        )
    )


def _loki_error_rate_labels() -> dict[str, str]:
    rules = yaml.safe_load((Path(loki_rules_init).parent / "error-logs.yaml").read_text(encoding="utf-8"))
    (rule,) = [r for g in rules["groups"] for r in g["rules"] if r["alert"] == "NamespaceErrorLogRateHigh"]
    return {"alertname": rule["alert"], "namespace": "prod", **rule["labels"]}


def _amtool_receivers(config: dict[str, Any], labels: dict[str, str], tmp_path: Path) -> list[str]:
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert AMTOOL is not None
    checked = subprocess.run(
        [AMTOOL, "check-config", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    routed = subprocess.run(
        [
            AMTOOL,
            "config",
            "routes",
            "test",
            f"--config.file={path}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert routed.returncode == 0, routed.stdout + routed.stderr
    return routed.stdout.strip().split(",")


CASES = {
    "slack-and-email": (_settings(slack=SLACK, emails=["oncall@example.com"]), alertmanager.SLACK),
    "slack-only": (_settings(slack=SLACK), alertmanager.SLACK),
    "email-only": (_settings(emails=["oncall@example.com"]), alertmanager.SNS),
    "dropped-on-purpose": (_settings(dropWarnings=True), alertmanager.NULL),
    "email-but-warnings-dropped": (
        _settings(emails=["oncall@example.com"], dropWarnings=True),
        alertmanager.NULL,
    ),
}


@needs_amtool
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_loki_error_rate_warning_reaches_the_configured_receiver(case: str, tmp_path: Path) -> None:
    settings, expected = CASES[case]

    receivers = _amtool_receivers(_rendered(settings), _loki_error_rate_labels(), tmp_path)

    assert receivers == [expected]


@needs_amtool
def test_critical_alerts_still_reach_email_when_warnings_are_dropped(tmp_path: Path) -> None:
    settings = _settings(emails=["oncall@example.com"], dropWarnings=True)

    receivers = _amtool_receivers(_rendered(settings), {"alertname": "X", "severity": "critical"}, tmp_path)

    assert receivers == [alertmanager.SNS]


def test_settings_without_a_warning_receiver_are_refused_naming_the_key() -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(heartbeatUrl="https://hc-ping.com/abc")

    assert "alerting.dropWarnings: warning alerts would reach nobody" in str(refused.value)


def test_a_disabled_observability_section_needs_no_receiver() -> None:
    disabled = ObservabilitySettings.model_validate_json(
        json.dumps({"enabled": False, "loki": {"retentionDays": 7}, "prometheus": {"retentionDays": 7}})
    )

    alerting = disabled.alerting
    assert alerting.slack is None and not alerting.emails and not alerting.drop_warnings


def test_the_component_refuses_to_render_warnings_into_nowhere() -> None:
    with pytest.raises(ValueError, match="warning alerts have no destination"):
        alertmanager.config(alertmanager.Destinations(region="ap-northeast-2"))
