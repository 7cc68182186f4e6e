"""The observability releases' values: every key exists in the pinned chart version, and the
values say what the platform promises (retention, storage, routing, secrets kept out)."""

from __future__ import annotations

import json
import re
from typing import Any, cast

import jsonschema
import pytest

from kubeboard_infra.addons.contract import AddOnSpec, deep_merge
from kubeboard_infra.addons.definition import AddOnContext
from kubeboard_infra.addons.release import IRSA_ANNOTATION
from kubeboard_infra.observability import (
    ObservabilityConfig,
    alertmanager,
    alloy,
    grafana,
    kube_prometheus_stack,
    loki,
    rule_files,
)
from kubeboard_infra.observability.release_inputs import ReleaseInputs
from kubeboard_infra.observability.specs import addon_specs
from kubeboard_infra.settings.observability import ObservabilitySettings
from kubeboard_infra.settings.sso import SsoSettings
from kubeboard_infra.sso import Dex, grafana_ini
from tests.helpers.chart_values import DATA_DIR, ChartValues

SLACK_URL = "https://hooks.slack.com/services/T000/B000/very-secret-token"
TOPIC_ARN = "arn:aws:sns:ap-northeast-2:123456789012:kubeboard-alerts"

# Free-form paths: Loki's own configuration blocks, Alertmanager's config, Kubernetes objects the
# charts pass through, and keys each chart documents only in a comment of its values.yaml.
LOKI_FREE_FORM = (
    "loki.schemaConfig",  # Loki schema_config, passed through
    "loki.compactor",  # Loki compactor block
    "loki.limits_config",  # Loki limits_config block
    "loki.rulerConfig",  # Loki ruler block
    "loki.storage.bucketNames",  # documented in a comment of values.yaml
)
KPS_FREE_FORM = (
    "alertmanager.config",  # Alertmanager configuration file
    "additionalPrometheusRulesMap",  # rule file name -> rule groups
    "prometheus.prometheusSpec.storageSpec",  # operator StorageSpec
    "alertmanager.alertmanagerSpec.storage",  # operator StorageSpec
    # StatefulSet PVC retention policy, documented in a comment of values.yaml
    "prometheus.prometheusSpec.persistentVolumeClaimRetentionPolicy",
    "alertmanager.alertmanagerSpec.persistentVolumeClaimRetentionPolicy",
    "grafana.grafana\\.ini",  # Grafana's ini sections
    "grafana.envValueFrom.*",  # environment variable name -> valueFrom (a map of the chart's, empty by default)
    "grafana.ingress.ingressClassName",  # documented in a comment of grafana's values.yaml
    "grafana.persistence.storageClassName",  # documented in a comment of grafana's values.yaml
)
CHECKERS = {
    "loki": lambda: ChartValues.load("loki", loki.CHART_VERSION, free_form=LOKI_FREE_FORM),
    "alloy": lambda: ChartValues.load("alloy", alloy.CHART_VERSION),
    "kube-prometheus-stack": lambda: ChartValues.load(
        "kube-prometheus-stack",
        kube_prometheus_stack.CHART_VERSION,
        free_form=KPS_FREE_FORM,
        subcharts={"grafana": ("grafana", "12.11.1")},
    ),
}


def _settings(**alerting: Any) -> ObservabilityConfig:
    return ObservabilitySettings.model_validate_json(
        json.dumps(
            {
                "loki": {"retentionDays": 14, "storageSize": "30Gi"},
                "prometheus": {"retentionDays": 15, "storageSize": "50Gi"},
                "alerting": alerting,
            }
        )
    ).to_config()


FULL = _settings(
    slack={"channel": "#kubeboard-alerts", "webhookUrl": SLACK_URL},
    emails=["oncall@example.com"],
    heartbeatUrl="https://hc-ping.com/abc",
)


# Only the region is read by these releases' builds; the cluster is the installer's concern.
CONTEXT: AddOnContext = {
    "cluster": cast(Any, None),
    "cluster_name": "kubeboard-dev",
    "region": "ap-northeast-2",
    "vpc_id": "vpc-0123456789abcdef0",
    "kubernetes_version": "1.33",
    "is_prod": False,
}
KEY_ARN = "arn:aws:kms:ap-northeast-2:123456789012:key/0b1c2d3e-alerts"
SSO = SsoSettings.model_validate(
    {
        "github": {
            "clientId": "Ov23liExample0001",
            "clientSecret": "0123456789abcdef0123456789abcdef01234567",
            "org": "kubeboard",
            "teams": ["platform", "developers"],
        },
        "roles": {"admins": ["platform"], "developers": ["developers"]},
        "grafanaClientSecret": "g" * 64,
        "frontPageClientSecret": "f" * 64,
    }
).to_config()


def _specs(settings: ObservabilityConfig = FULL, *, topic: str | None = TOPIC_ARN) -> dict[str, AddOnSpec]:
    inputs: ReleaseInputs = {
        "config": settings,
        "storage_class": "observability-gp3",
        "loki_bucket_name": "kubeboard-dev-loki-1a2b3c",
        "loki_bucket_arn": "arn:aws:s3:::kubeboard-dev-loki-1a2b3c",
        "grafana_role_arn": "arn:aws:iam::123456789012:role/grafana",
        "alert_topic": {"arn": topic, "key_arn": KEY_ARN} if topic else None,
        "grafana_ingress": {"enabled": True, "ingressClassName": "alb", "hosts": ["grafana.example.com"]},
        "grafana_root_url": "https://grafana.example.com",
        "grafana_sign_in": grafana_ini(SSO, Dex("argocd.example.com")),
    }
    return {spec.name: spec for spec in addon_specs(CONTEXT, inputs)}


def test_grafana_is_not_published_without_sign_in() -> None:
    inputs: ReleaseInputs = {
        "config": FULL,
        "storage_class": "observability-gp3",
        "loki_bucket_name": "b",
        "loki_bucket_arn": "arn:aws:s3:::b",
        "grafana_role_arn": "arn:aws:iam::123456789012:role/grafana",
        "grafana_ingress": {"enabled": True, "ingressClassName": "alb", "hosts": ["grafana.example.com"]},
    }
    with pytest.raises(ValueError, match=r"^grafana_sign_in: required when Grafana has an Ingress"):
        addon_specs(CONTEXT, inputs)


def _as_installed(spec: AddOnSpec) -> dict[str, Any]:
    """The values as HelmAddOn hands them to Helm, IRSA service-account block included."""
    if spec.irsa is None:
        return dict(spec.values)
    binding: dict[str, Any] = {"create": True, "name": spec.irsa.service_account}
    binding["annotations"] = {IRSA_ANNOTATION: "arn:aws:iam::123456789012:role/x"}
    for key in reversed(spec.irsa.service_account_path):
        binding = {key: binding}
    return deep_merge(spec.values, binding)


@pytest.mark.parametrize("topic", [TOPIC_ARN, None], ids=["with-sns", "without-sns"])
def test_every_values_key_exists_in_the_pinned_chart(topic: str | None) -> None:
    assert _specs(topic=topic)
    for spec in _specs(topic=topic).values():
        checker = CHECKERS[spec.chart]()
        assert checker.version == spec.version
        assert checker.unknown_paths(_as_installed(spec)) == [], spec.name


def test_releases_come_from_the_right_repositories_at_pinned_versions() -> None:
    found = {name: (spec.chart, spec.version, spec.repository) for name, spec in _specs().items()}
    assert found == {
        "kube-prometheus-stack": (
            "kube-prometheus-stack",
            "88.5.3",
            "https://prometheus-community.github.io/helm-charts",
        ),
        "loki": ("loki", "18.11.0", "https://grafana-community.github.io/helm-charts"),
        "alloy-logs": ("alloy", "1.11.1", "https://grafana.github.io/helm-charts"),
        "alloy-events": ("alloy", "1.11.1", "https://grafana.github.io/helm-charts"),
    }
    for name, chart in (("loki", "loki-18.11.0"), ("kube-prometheus-stack", "kube-prometheus-stack-88.5.3")):
        assert f"version: {_specs()[name].version}" in (DATA_DIR / chart / "Chart.yaml").read_text()


# --- Loki ---------------------------------------------------------------------------------------


def test_loki_values_satisfy_the_charts_own_schema() -> None:
    schema = json.loads((DATA_DIR / "loki-18.11.0" / "values.schema.json").read_text())
    jsonschema.validate(_as_installed(_specs()["loki"]), schema)


def test_loki_is_monolithic_on_s3_with_tsdb_v13_and_retention_from_settings() -> None:
    values = _specs()["loki"].values
    assert values["deploymentMode"] == "Monolithic"
    assert values["singleBinary"]["replicas"] == 1
    assert all(values[target]["replicas"] == 0 for target in ("read", "write", "backend"))
    (period,) = values["loki"]["schemaConfig"]["configs"]
    assert (period["store"], period["schema"], period["object_store"]) == ("tsdb", "v13", "s3")
    storage = values["loki"]["storage"]
    assert storage["type"] == "s3" and storage["bucketNames"]["chunks"] == "kubeboard-dev-loki-1a2b3c"
    assert "accessKeyId" not in storage["s3"] and "secretAccessKey" not in storage["s3"]
    assert values["loki"]["limits_config"]["retention_period"] == "336h"  # 14 days
    assert values["loki"]["compactor"]["retention_enabled"] is True
    assert values["loki"]["compactor"]["delete_request_store"] == "s3"


def test_loki_persists_on_gp3_with_requests_and_limits() -> None:
    single = _specs()["loki"].values["singleBinary"]
    assert single["persistence"] == {
        "enabled": True,
        "size": "30Gi",
        "storageClass": "observability-gp3",
        # Uninstalling deletes the claim: no EBS volume outlives `pulumi destroy`.
        "enableStatefulSetAutoDeletePVC": True,
        "whenDeleted": "Delete",
    }
    assert single["resources"]["requests"]["memory"] and single["resources"]["limits"]["memory"]


def test_statefulset_claims_go_with_their_release() -> None:
    values = _specs()["kube-prometheus-stack"].values
    for spec in (values["prometheus"]["prometheusSpec"], values["alertmanager"]["alertmanagerSpec"]):
        assert spec["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Delete"


def test_lokis_service_monitor_comes_with_the_release_that_brings_its_crd() -> None:
    specs = _specs()
    assert specs["loki"].values["monitoring"]["serviceMonitor"]["enabled"] is False
    monitors = specs["kube-prometheus-stack"].values["prometheus"]["additionalServiceMonitors"]
    [monitor] = [m for m in monitors if m["name"] == "loki"]
    assert monitor["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "loki",
        "app.kubernetes.io/instance": "loki",
    }
    assert monitor["endpoints"][0]["port"] == "http-metrics"
    assert specs["loki"].depends_on == ()


def test_loki_reaches_s3_through_irsa_scoped_to_its_bucket() -> None:
    spec = _specs()["loki"]
    assert spec.irsa is not None and spec.irsa.service_account == loki.SERVICE_ACCOUNT
    policy = loki.s3_policy("arn:aws:s3:::b")
    resources = {resource for statement in policy["Statement"] for resource in statement["Resource"]}
    assert resources == {"arn:aws:s3:::b", "arn:aws:s3:::b/*"}


def test_loki_ruler_reads_the_shipped_rules_and_alerts_through_alertmanager() -> None:
    values = _specs()["loki"].values
    ruler = values["loki"]["rulerConfig"]
    assert ruler["storage"] == {"type": "local", "local": {"directory": loki.RULES_FOLDER}}
    assert ruler["alertmanager_url"] == "http://alertmanager-operated.monitoring.svc.cluster.local:9093"
    sidecar = values["sidecar"]["rules"]
    assert sidecar["enabled"] and sidecar["folder"] == loki.RULES_FOLDER
    assert sidecar["label"] == loki.RULE_LABEL and sidecar["folderAnnotation"] == loki.RULE_FOLDER_ANNOTATION
    assert values["loki"]["auth_enabled"] is False  # so the tenant folder is loki.TENANT
    assert rule_files.loki_rule_texts()


# --- Alloy --------------------------------------------------------------------------------------


def test_alloy_daemonset_ships_pod_logs_with_the_stream_labels() -> None:
    values = _specs()["alloy-logs"].values
    assert values["controller"]["type"] == "daemonset"
    assert values["alloy"]["mounts"]["varlog"] is True
    config = values["alloy"]["configMap"]["content"]
    assert alloy.STREAM_LABELS
    for label in alloy.STREAM_LABELS:
        assert f'target_label  = "{label}"' in config
    assert 'url = "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push"' in config
    assert "stage.cri" in config


def test_alloy_events_run_once_per_cluster() -> None:
    values = _specs()["alloy-events"].values
    assert values["controller"] == {"type": "deployment", "replicas": 1}
    assert 'loki.source.kubernetes_events "cluster"' in values["alloy"]["configMap"]["content"]
    assert "loki.source.file" not in values["alloy"]["configMap"]["content"]
    # two releases of one chart: only the first may own the CRDs
    assert values["crds"]["create"] is False
    assert "crds" not in _specs()["alloy-logs"].values


@pytest.mark.parametrize(
    "config", [alloy.pod_logs_config("http://l/push"), alloy.events_config("http://l/push")]
)
def test_alloy_configs_are_balanced(config: str) -> None:
    depth = 0
    for char in config:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


# --- kube-prometheus-stack ----------------------------------------------------------------------


def _kps(settings: ObservabilityConfig = FULL, topic: str | None = TOPIC_ARN) -> dict[str, Any]:
    return dict(_specs(settings, topic=topic)["kube-prometheus-stack"].values)


def test_prometheus_retention_and_storage_come_from_settings() -> None:
    spec = _kps()["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "15d"
    assert spec["retentionSize"] == "43520MB"  # 85% of 50Gi
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "50Gi"
    assert claim["storageClassName"] == "observability-gp3"


def test_project_rules_ship_and_watchdog_stays_on() -> None:
    values = _kps()
    assert values["additionalPrometheusRulesMap"] == rule_files.prometheus_rule_files()
    # Watchdog lives in kube-prometheus-stack's "general" default rules.
    assert values["defaultRules"]["create"] is True
    assert values["defaultRules"]["rules"].get("general", True) is True


def test_grafana_admin_password_comes_from_an_existing_secret() -> None:
    admin = _kps()["grafana"]["admin"]
    assert admin == {
        "existingSecret": kube_prometheus_stack.GRAFANA_ADMIN_SECRET,
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in _kps()["grafana"]


def test_grafana_has_loki_and_cloudwatch_datasources_with_the_dashboard_uids() -> None:
    sources = {source["uid"]: source for source in _kps()["grafana"]["additionalDataSources"]}
    assert set(sources) == {grafana.LOKI_UID, grafana.CLOUDWATCH_UID}
    assert sources["loki"]["url"] == "http://loki.monitoring.svc.cluster.local:3100"
    assert sources["cloudwatch"]["jsonData"]["authType"] == "default"  # IRSA, no keys
    assert "secureJsonData" not in sources["cloudwatch"]
    annotations = _kps()["grafana"]["serviceAccount"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/grafana"


def test_grafanas_cloudwatch_role_is_read_only() -> None:
    actions = [
        action
        for statement in kube_prometheus_stack.cloudwatch_read_policy("ap-northeast-2", "kb")["Statement"]
        for action in statement["Action"]
    ]
    assert actions
    writes = ("Put", "Delete", "Create", "Update", "Set", "Tag", "Untag", "Disable", "Enable")
    assert not [action for action in actions if action.split(":")[1].startswith(writes)]


def test_grafana_queries_only_the_platforms_function_logs() -> None:
    """Not the control-plane audit log, WAF logs or flow logs of the region."""
    policy = kube_prometheus_stack.cloudwatch_read_policy("ap-northeast-2", "kb")
    [query] = [s for s in policy["Statement"] if "logs:StartQuery" in s["Action"]]
    assert query["Resource"] == ["arn:aws:logs:ap-northeast-2:*:log-group:/aws/lambda/kb-*"]


def test_grafana_is_exposed_only_through_the_ingress_it_is_given() -> None:
    assert _kps()["grafana"]["ingress"]["ingressClassName"] == "alb"
    assert _kps()["grafana"]["grafana.ini"]["server"]["root_url"] == "https://grafana.example.com"


def test_the_slack_webhook_never_appears_in_values() -> None:
    assert "hooks.slack.com" not in json.dumps(_kps())
    (slack,) = [r for r in _kps()["alertmanager"]["config"]["receivers"] if r["name"] == alertmanager.SLACK]
    assert slack["slack_configs"][0]["api_url_file"] == (
        f"/etc/alertmanager/secrets/{alertmanager.NOTIFIER_SECRET}/{alertmanager.SLACK_URL_KEY}"
    )
    assert "api_url" not in slack["slack_configs"][0]
    assert alertmanager.NOTIFIER_SECRET in _kps()["alertmanager"]["alertmanagerSpec"]["secrets"]


def _route_for(config: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """Receivers an alert with ``labels`` reaches (first match, then further matches while `continue`)."""
    reached = []
    for route in config["route"]["routes"]:
        matches = True
        for matcher in route["matchers"]:
            name, _, value = matcher.partition(" = ")
            matches &= labels.get(name) == value.strip('"')
        if matches:
            reached.append(route["receiver"])
            if not route.get("continue"):
                return reached
    return reached or [config["route"]["receiver"]]


def test_alerts_are_routed_by_severity() -> None:
    config = _kps()["alertmanager"]["config"]
    assert _route_for(config, {"alertname": "X", "severity": "critical"}) == [
        alertmanager.SNS,
        alertmanager.SLACK,
    ]
    assert _route_for(config, {"alertname": "X", "severity": "warning"}) == [alertmanager.SLACK]
    assert _route_for(config, {"alertname": "X", "severity": "info"}) == [alertmanager.NULL]
    assert _route_for(config, {"alertname": "Watchdog", "severity": "none"}) == [alertmanager.HEARTBEAT]


def test_sns_receiver_signs_with_irsa_and_is_absent_without_emails() -> None:
    config = _kps()["alertmanager"]["config"]
    (sns,) = [r for r in config["receivers"] if r["name"] == alertmanager.SNS]
    assert sns["sns_configs"][0]["topic_arn"] == TOPIC_ARN
    assert sns["sns_configs"][0]["sigv4"] == {"region": "ap-northeast-2"}
    spec = _specs()["kube-prometheus-stack"]
    assert spec.irsa is not None and spec.irsa.service_account_path == ("alertmanager", "serviceAccount")

    slack_only = _settings(slack={"channel": "#alerts", "webhookUrl": SLACK_URL})
    config = _kps(slack_only, topic=None)["alertmanager"]["config"]
    assert alertmanager.SNS not in {r["name"] for r in config["receivers"]}
    assert _route_for(config, {"alertname": "X", "severity": "critical"}) == [alertmanager.SLACK]
    # Without a heartbeat URL the Watchdog posts to Slack once a day.
    (watchdog,) = [r for r in config["route"]["routes"] if 'alertname = "Watchdog"' in r["matchers"]]
    assert watchdog == {"matchers": ['alertname = "Watchdog"'], "receiver": "slack", "repeat_interval": "24h"}
    assert _specs(slack_only, topic=None)["kube-prometheus-stack"].irsa is None


def test_every_routed_receiver_is_defined_and_inhibit_rules_exist() -> None:
    for settings in (FULL, _settings(dropWarnings=True), _settings(emails=["oncall@example.com"])):
        config = _kps(settings)["alertmanager"]["config"]
        defined = {receiver["name"] for receiver in config["receivers"]}
        routed = {route["receiver"] for route in config["route"]["routes"]} | {config["route"]["receiver"]}
        assert routed <= defined
    rules = _kps()["alertmanager"]["config"]["inhibit_rules"]
    critical = [r for r in rules if r["source_matchers"] == ['severity = "critical"']]
    assert critical and critical[0]["equal"] == ["namespace", "alertname"]


def test_eks_managed_control_plane_targets_are_not_scraped() -> None:
    values = _kps()
    for component in ("kubeEtcd", "kubeControllerManager", "kubeScheduler", "kubeProxy"):
        assert values[component]["enabled"] is False
    assert values["defaultRules"]["rules"]["etcd"] is False


def test_alloy_counts_the_front_pages_requests_for_prometheus() -> None:
    """The success rate canary and blue/green analysis read: Alloy's pipeline counts the web pods'
    access-log lines by status, and kube-prometheus-stack scrapes the DaemonSet's Service."""
    monitors = _specs()["kube-prometheus-stack"].values["prometheus"]["additionalServiceMonitors"]
    [monitor] = [m for m in monitors if m["name"] == alloy.NAME_LOGS]
    assert monitor["selector"]["matchLabels"]["app.kubernetes.io/instance"] == alloy.NAME_LOGS
    # The web pod's own namespace and pod labels, not the Alloy pod's: the analysis selects by them.
    assert monitor["endpoints"] == [{"port": "http-metrics", "interval": "30s", "honorLabels": True}]
    config = alloy.pod_logs_config("http://loki:3100/loki/api/v1/push")
    assert 'selector = `{app="kubeboard-web", container="nginx"}`' in config
    assert f'name              = "{alloy.WEB_REQUESTS_COUNTER}"' in config
    # The status labels the counter only: dropped again before the line goes to Loki (no new streams).
    assert config.index("stage.labels") < config.index("stage.metrics") < config.index('values = ["status"]')
    assert f"loki_process_custom_{alloy.WEB_REQUESTS_COUNTER}" == alloy.WEB_REQUESTS_METRIC


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (
            '10.10.0.17 - - [06/Dec/2026:10:00:00 +0000] "GET /cluster-info/ HTTP/1.1" 200 612 "-" "Mozilla/5.0"',
            "200",
        ),
        ('10.10.1.9 - - [06/Dec/2026:10:00:01 +0000] "GET /x HTTP/1.1" 404 153 "-" "curl/8.5.0"', "404"),
        ('10.10.1.9 - bob [06/Dec/2026:10:00:02 +0000] "POST /a\\x22b HTTP/1.1" 502 0 "-" "-"', "502"),
        ("2026/12/06 10:00:03 [error] 7#7: *1 open() failed (2: No such file or directory)", None),
    ],
)
def test_the_status_is_read_from_nginx_combined_lines_only(line: str, status: str | None) -> None:
    """The regex of the pipeline (RE2 syntax Python's re shares here) on access and error lines."""
    config = alloy.pod_logs_config("http://loki:3100/loki/api/v1/push")
    [expression] = re.findall(r"expression = `([^`]+)`", config)
    found = re.match(expression, line)
    assert (found and found["status"]) == status
