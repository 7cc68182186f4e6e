"""The platform's own Helm add-ons, built from `kubeboard:addons` settings with overrides applied."""

from __future__ import annotations

import pulumi

from ..settings.addons import AddOnsSettings
from . import argo_rollouts, aws_load_balancer_controller, cluster_autoscaler, external_dns, metrics_server
from .contract import AddOnSpec


def platform_addons(
    settings: AddOnsSettings,
    *,
    cluster_name: str,
    region: str,
    kubernetes_version: str,
    vpc_id: pulumi.Input[str],
    is_prod: bool,
) -> list[AddOnSpec]:
    """The enabled add-ons' specs, each with the stack's ``values`` merged over its defaults."""
    specs: list[AddOnSpec] = []
    if settings.metrics_server.enabled:
        specs.append(metrics_server.spec().with_overrides(settings.metrics_server.values))
    if settings.aws_load_balancer_controller.enabled:
        specs.append(
            aws_load_balancer_controller.spec(
                cluster_name=cluster_name, region=region, vpc_id=vpc_id
            ).with_overrides(settings.aws_load_balancer_controller.values)
        )
    if settings.cluster_autoscaler.enabled:
        specs.append(
            cluster_autoscaler.spec(
                cluster_name=cluster_name, region=region, kubernetes_version=kubernetes_version
            ).with_overrides(settings.cluster_autoscaler.values)
        )
    dns = settings.external_dns
    if dns.enabled and dns.hosted_zone_id is not None:
        specs.append(
            external_dns.spec(
                cluster_name=cluster_name,
                hosted_zone_id=dns.hosted_zone_id,
                domain_filters=dns.domain_filters,
                policy=dns.policy.value,
            ).with_overrides(dns.values)
        )
    if settings.argo_rollouts.enabled:
        specs.append(argo_rollouts.spec(is_prod=is_prod).with_overrides(settings.argo_rollouts.values))
    return specs
