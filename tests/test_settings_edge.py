"""`kubeboard:edge` settings: what is accepted, and the pinned data they are checked against.

The refusals themselves are cases in tests/data/malformed/edge-*.yaml."""

from __future__ import annotations

from typing import Any

import botocore.loaders
import pytest
from pydantic import ValidationError

from kubeboard_infra.log_retention import LOG_RETENTION_DAYS
from kubeboard_infra.settings.edge import RATE_LIMIT_MAX, RATE_LIMIT_MIN, EdgeSettings, waf_country_codes

from .conftest import stack_file


def _settings(**waf: Any) -> dict[str, Any]:
    return {
        "domain": "kubeboard.example.com",
        "hostedZone": {"id": "Z0EXAMPLEKUBEBOARD01", "name": "example.com"},
        "waf": {"rateLimit": 2000, "allowedCountries": ["KR"], **waf},
    }


def _botocore_shape(service: str, shape: str) -> dict[str, Any]:
    model = botocore.loaders.Loader().load_service_model(service, "service-2")
    return dict(model["shapes"][shape])


def test_country_list_is_what_waf_geo_match_accepts() -> None:
    # The pinned file must follow the API: a code WAF drops would fail at deploy time.
    assert waf_country_codes() == frozenset(_botocore_shape("wafv2", "CountryCode")["enum"])
    assert {"KR", "JP", "US", "DE"} <= waf_country_codes()
    assert len(waf_country_codes() - {"XK"}) == 249  # the ISO 3166-1 alpha-2 assignments


def test_rate_limit_bounds_are_the_api_bounds() -> None:
    shape = _botocore_shape("wafv2", "RateLimit")
    assert (shape["min"], shape["max"]) == (RATE_LIMIT_MIN, RATE_LIMIT_MAX)
    EdgeSettings.model_validate(_settings(rateLimit=RATE_LIMIT_MIN))
    EdgeSettings.model_validate(_settings(rateLimit=RATE_LIMIT_MAX))
    with pytest.raises(ValidationError):
        EdgeSettings.model_validate(_settings(rateLimit=RATE_LIMIT_MIN - 1))


def test_log_retention_values_are_the_cloudwatch_values() -> None:
    documented = _botocore_shape("logs", "Days")["documentation"]
    assert all(str(days) in documented for days in LOG_RETENTION_DAYS)


def test_defaults_block_anonymous_networks_and_keep_logs() -> None:
    settings = EdgeSettings.model_validate(_settings())
    assert settings.waf.block_anonymous_ips is True
    assert settings.waf.rate_limit_window_seconds == 300
    assert settings.access_logs.force_destroy is False
    assert settings.ingress_group == "platform"


def test_accepts_mixed_ip_versions_no_geo_rule_and_the_zone_apex() -> None:
    settings = EdgeSettings.model_validate(
        _settings(
            allowedCountries=[], allowCidrs=["203.0.113.0/24", "2001:db8::/32"], denyCidrs=["2001:db9::/48"]
        )
        | {"domain": "example.com"}
    )
    assert settings.waf.allowed_countries == []
    assert settings.domain == "example.com"


@pytest.mark.parametrize(
    ("domain", "zone"),
    [
        ("example.com.evil.com", "example.com"),
        ("badexample.com", "example.com"),
        ("a.example.com", "b.example.com"),
    ],
)
def test_domain_must_be_inside_the_zone_by_whole_labels(domain: str, zone: str) -> None:
    with pytest.raises(ValidationError, match="outside the hosted zone"):
        EdgeSettings.model_validate(
            _settings() | {"domain": domain, "hostedZone": {"id": "Z1", "name": zone}}
        )


def test_duplicate_countries_are_refused() -> None:
    with pytest.raises(ValidationError, match="allowedCountries: each entry may appear once, repeated: KR"):
        EdgeSettings.model_validate(_settings(allowedCountries=["KR", "KR"]))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_hold_valid_edge_settings(stack: str) -> None:
    settings = EdgeSettings.model_validate(stack_file(stack)["config"]["kubeboard:edge"])
    assert settings.waf.allowed_countries == ["KR"]  # the seed served Korea only


def test_access_logs_are_kept_1_to_3650_days() -> None:
    for days in (1, 3650):
        edge = EdgeSettings.model_validate(_settings() | {"accessLogs": {"expirationDays": days}})
        assert edge.access_logs.expiration_days == days
    for days in (0, 3651):
        with pytest.raises(
            ValidationError, match=rf"accessLogs.expirationDays: must be 1\.\.3650, got {days}"
        ):
            EdgeSettings.model_validate(_settings() | {"accessLogs": {"expirationDays": days}})


def test_the_stack_file_defaults_are_the_components() -> None:
    from kubeboard_infra.edge.component import DEFAULTS

    config = EdgeSettings.model_validate(_settings()).to_config()
    for key in (
        "ingress_group",
        "rate_limit_window_seconds",
        "block_anonymous_ips",
        "waf_log_retention_days",
    ):
        assert config[key] == DEFAULTS[key]  # type: ignore[literal-required]
    assert config["access_log_expiration_days"] == DEFAULTS["access_log_expiration_days"] == 90
