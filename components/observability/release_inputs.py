"""What the observability releases are built from besides their context (the cluster and its
environment): the component's config and what it made around them. It is the options type of
their `AddOnDefinition`s; the inputs only the component can make (its bucket, its roles) have no
default, and each release's `problems` names the ones it needs."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from ..addons.contract import AddOnSpec
from ..addons.definition import AddOnContext, AddOnDefinition
from ..contracts import AlertTopic
from .args import DEFAULTS, ObservabilityConfig

STORAGE_CLASS = "observability-gp3"
"""The gp3 StorageClass the component makes for every volume of the stack."""


class ReleaseInputs(TypedDict):
    """The observability releases' inputs."""

    config: NotRequired[ObservabilityConfig | None]
    """The component's config (defaults are filled in where it is read). Required."""
    storage_class: NotRequired[str]
    """The StorageClass every volume claim names. Default: the component's (``observability-gp3``)."""
    loki_bucket_name: NotRequired[pulumi.Input[str] | None]
    """Loki's chunks and ruler bucket. Required by Loki."""
    loki_bucket_arn: NotRequired[pulumi.Input[str] | None]
    """Its ARN (Loki's IRSA policy). Required by Loki."""
    grafana_role_arn: NotRequired[pulumi.Input[str] | None]
    """Grafana's CloudWatch reader role (IRSA). Required by kube-prometheus-stack."""
    alert_topic: NotRequired[AlertTopic | None]
    """The alert topic Alertmanager publishes to. Default: none (no alerting e-mails)."""
    grafana_ingress: NotRequired[pulumi.Input[Mapping[str, Any]] | None]
    """Grafana's Ingress values. Default: none (not published)."""
    grafana_root_url: NotRequired[str | None]
    """Grafana's public address. Default: none (not published)."""
    grafana_sign_in: NotRequired[Mapping[str, Any] | None]
    """Grafana's ``grafana.ini`` sign-in sections (``sso.grafana_ini``). Default: none."""
    service_monitors: NotRequired[Sequence[Mapping[str, Any]]]
    """ServiceMonitors of other releases (e.g. argo-rollouts) that kube-prometheus-stack creates.
    Default: none."""


RELEASE_DEFAULTS: ReleaseInputs = {
    "config": None,
    "storage_class": STORAGE_CLASS,
    "loki_bucket_name": None,
    "loki_bucket_arn": None,
    "grafana_role_arn": None,
    "alert_topic": None,
    "grafana_ingress": None,
    "grafana_root_url": None,
    "grafana_sign_in": None,
    "service_monitors": (),
}


def missing(inputs: ReleaseInputs, *keys: str) -> list[str]:
    """The inputs among `keys` that only the component can give, and did not."""
    return [
        f"{key}: required (made by the Observability component)" for key in keys if inputs.get(key) is None
    ]


def observability_release(
    name: str,
    chart: str,
    version: str,
    repository: str,
    *,
    needs: tuple[str, ...] = (),
    build: Callable[[AddOnContext, ReleaseInputs], AddOnSpec],
) -> AddOnDefinition[ReleaseInputs]:
    """One release of the observability section: switched there (not under ``kubeboard:addons``),
    built from the section's config and the inputs in `needs`, which only the component makes."""
    return AddOnDefinition(
        name=name,
        chart=chart,
        version=version,
        repository=repository,
        namespace=DEFAULTS["namespace"],
        settings_key="observability",
        options=ReleaseInputs,
        defaults=RELEASE_DEFAULTS,
        problems=lambda inputs: missing(inputs, "config", *needs),
        build=build,
    )


def given(inputs: ReleaseInputs, key: str) -> pulumi.Input[str]:
    """An input the release's `problems` already required."""
    value: pulumi.Input[str] | None = inputs.get(key)  # type: ignore[assignment]
    if value is None:
        raise ValueError(f"{key}: required (made by the Observability component)")
    return value


def given_config(inputs: ReleaseInputs) -> ObservabilityConfig:
    """The config, which every release's `problems` already required."""
    config = inputs.get("config")
    if config is None:
        raise ValueError("config: required (given by the Observability component)")
    return config
