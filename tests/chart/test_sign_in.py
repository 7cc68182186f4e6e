"""The front page's Ingress, as Helm renders it with each stack's values, makes the ALB sign people in."""

from __future__ import annotations

import json

import pytest

from tests.chart.chart_render import STACKS, Rendered

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
