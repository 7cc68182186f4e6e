"""What the observability releases are built from besides their context (the cluster and its
environment): the component's config and what it made around them. It is the options type of
their `AddOnDefinition`s; the component gives every key, so none has a default."""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi

from ..contracts import AlertTopic
from .args import ObservabilityConfig


class ReleaseInputs(TypedDict):
    """The observability releases' inputs."""

    config: ObservabilityConfig
    """The component's config (defaults are filled in where it is read)."""
    storage_class: str
    """The StorageClass every volume claim names."""
    loki_bucket_name: pulumi.Input[str]
    """Loki's chunks and ruler bucket."""
    loki_bucket_arn: pulumi.Input[str]
    """Its ARN (Loki's IRSA policy)."""
    grafana_role_arn: pulumi.Input[str]
    """Grafana's CloudWatch reader role (IRSA)."""
    alert_topic: NotRequired[AlertTopic | None]
    """The alert topic Alertmanager publishes to; none without alerting e-mails."""
    grafana_ingress: NotRequired[pulumi.Input[Mapping[str, Any]] | None]
    """Grafana's Ingress values; none: not published."""
    grafana_root_url: NotRequired[str | None]
    """Grafana's public address, when published."""
    grafana_sign_in: NotRequired[Mapping[str, Any] | None]
    """Grafana's ``grafana.ini`` sign-in sections (``sso.grafana_ini``); its client secret is a Secret."""
    service_monitors: NotRequired[Sequence[Mapping[str, Any]]]
    """ServiceMonitors of other releases (e.g. argo-rollouts) that kube-prometheus-stack creates."""


NO_DEFAULTS = cast(ReleaseInputs, {})
"""The releases' defaults: none, the component gives every input."""
