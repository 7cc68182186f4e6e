"""The front page's Ingress, as Helm renders it with each stack's values, makes the ALB sign people in."""

from __future__ import annotations

import configparser
import json
from typing import Any

import pytest

from tests.chart.chart_render import STACKS, Rendered
from tests.chart.cluster_render import RenderedRelease

PREFIX = "alb.ingress.kubernetes.io"


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_front_page_ingress_authenticates_through_dex(
    rendered_stacks: dict[str, Rendered], stack: str
) -> None:
    ingress = rendered_stacks[stack].one("Ingress", "kubeboard-web", "common")
    annotations = ingress["metadata"]["annotations"]
    assert annotations[f"{PREFIX}/auth-type"] == "oidc"
    assert annotations[f"{PREFIX}/auth-on-unauthenticated-request"] == "authenticate"
    idp = json.loads(annotations[f"{PREFIX}/auth-idp-oidc"])
    # The ALB controller reads the client from a Secret beside the Ingress (created by the stack).
    assert idp["secretName"] == "kubeboard-web-oidc"
    assert idp["issuer"].endswith("/api/dex")
    assert {idp["tokenEndpoint"], idp["userInfoEndpoint"]} == {
        f"{idp['issuer']}/token",
        f"{idp['issuer']}/userinfo",
    }
    # Still on the shared ALB behind the WAF: sign-in comes on top of the contract, not instead of it.
    assert annotations[f"{PREFIX}/wafv2-acl-arn"].startswith("arn:aws:wafv2:")


def _objects(renders: list[RenderedRelease], release: str, kind: str, name: str) -> dict[str, Any]:
    [found] = [
        obj
        for rendered in renders
        if rendered.release.name == release
        for obj in rendered.manifest
        if obj["kind"] == kind and obj["metadata"]["name"] == name
    ]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_the_pinned_charts_turn_the_local_logins_off(
    plan_renders: dict[str, list[RenderedRelease]], stack: str
) -> None:
    renders = plan_renders[stack]
    # Argo CD: the chart writes admin.enabled and dex's config into argocd-cm and runs dex.
    cm = _objects(renders, "argocd", "ConfigMap", "argocd-cm")["data"]
    assert cm["admin.enabled"] == "false"
    assert "staticClients" in cm["dex.config"]
    _objects(renders, "argocd", "Deployment", "argocd-dex-server")
    # Grafana: the rendered grafana.ini has no login form and no basic auth; the secret comes from env.
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(
        _objects(renders, "kube-prometheus-stack", "ConfigMap", "kube-prometheus-stack-grafana")["data"][
            "grafana.ini"
        ]
    )
    assert ini["auth"]["disable_login_form"] == "true"
    assert ini["auth.basic"]["enabled"] == "false"
    assert ini["auth.generic_oauth"]["enabled"] == "true"
    assert "client_secret" not in ini["auth.generic_oauth"]
    deployment = _objects(renders, "kube-prometheus-stack", "Deployment", "kube-prometheus-stack-grafana")
    [grafana] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "grafana"]
    env = {e["name"]: e for e in grafana["env"]}
    assert env["GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"]["valueFrom"] == {
        "secretKeyRef": {"name": "grafana-oauth", "key": "client-secret"}
    }
