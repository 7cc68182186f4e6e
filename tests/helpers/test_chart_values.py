"""The values-key checker itself: it must catch misspelt keys and respect free-form maps."""

from __future__ import annotations

import pytest

from tests.helpers.chart_values import ChartValues, UnknownChart, load_upstream_values


@pytest.fixture(scope="module")
def loki() -> ChartValues:
    return ChartValues.load("loki", "18.11.0", free_form=("loki.limits_config",))


@pytest.fixture(scope="module")
def kps() -> ChartValues:
    return ChartValues.load(
        "kube-prometheus-stack",
        "88.5.3",
        free_form=("alertmanager.config",),
        subcharts={"grafana": ("grafana", "12.11.1")},
    )


def test_known_keys_pass(loki: ChartValues) -> None:
    values = {
        "deploymentMode": "Monolithic",
        "singleBinary": {"replicas": 1, "persistence": {"size": "50Gi", "storageClass": "gp3"}},
        "loki": {"auth_enabled": False, "commonConfig": {"replication_factor": 1}},
    }
    assert loki.unknown_paths(values) == []


def test_a_misspelt_key_is_reported_with_its_full_path(loki: ChartValues) -> None:
    values = {
        "singleBinary": {"replicas": 1, "persistance": {"size": "50Gi"}},
        "deploymentmode": "Monolithic",
    }
    assert loki.unknown_paths(values) == ["deploymentmode", "singleBinary.persistance"]


def test_a_misspelt_key_deep_inside_a_known_map_is_reported(loki: ChartValues) -> None:
    assert loki.unknown_paths({"singleBinary": {"persistence": {"storageClas": "gp3"}}}) == [
        "singleBinary.persistence.storageClas"
    ]


def test_free_form_maps_accept_any_key(loki: ChartValues, kps: ChartValues) -> None:
    # chart-specific free-form path
    assert loki.unknown_paths({"loki": {"limits_config": {"retention_period": "720h"}}}) == []
    # common Kubernetes maps, at any depth
    assert loki.unknown_paths({"singleBinary": {"podAnnotations": {"example.com/anything": "x"}}}) == []
    assert loki.unknown_paths({"singleBinary": {"resources": {"requests": {"cpu": "500m"}}}}) == []
    assert kps.unknown_paths({"alertmanager": {"config": {"route": {"receiver": "slack"}}}}) == []


def test_a_map_not_listed_as_free_form_is_checked(kps: ChartValues) -> None:
    # kube-prometheus-stack's `prometheus.prometheusSpec.retention` is a string: setting a map is wrong.
    assert kps.unknown_paths({"prometheus": {"prometheusSpec": {"retention": {"days": 15}}}}) == [
        "prometheus.prometheusSpec.retention (upstream is a str)"
    ]


def test_subchart_keys_are_checked_against_the_subchart(kps: ChartValues) -> None:
    # `admin.existingSecret` is set in kube-prometheus-stack's own values; `grafana.ini` only in grafana's.
    good = {"grafana": {"admin": {"existingSecret": "grafana-admin"}, "grafana.ini": {"server": {}}}}
    assert kps.unknown_paths(good) == []
    assert kps.unknown_paths({"grafana": {"admn": {"existingSecret": "x"}}}) == ["grafana.admn"]


def test_lists_and_nulls_upstream_take_the_value_whole(loki: ChartValues) -> None:
    values = {
        "singleBinary": {"extraEnv": [{"name": "A", "value": "b"}], "persistence": {"selector": {"x": 1}}}
    }
    assert loki.unknown_paths(values) == []


def test_an_unkept_chart_version_is_a_clear_error() -> None:
    with pytest.raises(UnknownChart, match=r"no upstream values for loki 0\.0\.1"):
        load_upstream_values("loki", "0.0.1")
