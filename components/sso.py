"""One sign-in for every UI: Argo CD's bundled dex is the identity provider (GitHub connector),
Grafana (``auth.generic_oauth``) and the ALB in front of the front page (``auth-type: oidc``) are
its static clients. Each rule of who becomes what is written here once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import SecretStr

from .edge.ingress import PREFIX
from .settings.sso import SsoSettings

DEX_PATH = "/api/dex"
"""Where Argo CD's server proxies dex: the issuer is ``https://<argocd host>/api/dex``."""
BACK_CHANNEL_PATHS = ("token", "userinfo", "keys")
"""dex endpoints the ALB and Grafana call server to server (from AWS addresses, with no browser)."""
GRAFANA_CLIENT_ID = "grafana"
FRONT_PAGE_CLIENT_ID = "kubeboard-front-page"
GITHUB_SECRET_KEY = "clientSecret"
GRAFANA_SECRET_KEY = "grafanaClientSecret"
FRONT_PAGE_SECRET_KEY = "frontPageClientSecret"
"""Keys of Argo CD's dex Secret: the GitHub OAuth app's secret and the static clients' secrets."""
FRONT_PAGE_OIDC_SECRET = "kubeboard-web-oidc"
"""The Secret (in the front page's namespace) the ALB controller reads the client id and secret from."""
SCOPES = ("openid", "email", "profile", "groups")
ALB_SCOPES = ("openid", "email", "groups")
ALB_SESSION_SECONDS = 8 * 3600
"""A working day; the ALB signs in again through dex afterwards (dex's own session is separate)."""


@dataclass(frozen=True)
class Dex:
    """The identity provider's public endpoints, served by Argo CD at ``<argocd host>/api/dex``."""

    host: str

    @property
    def issuer(self) -> str:
        return f"https://{self.host}{DEX_PATH}"

    def endpoint(self, name: str) -> str:
        return f"{self.issuer}/{name}"

    @property
    def authorization_endpoint(self) -> str:
        return self.endpoint("auth")

    @property
    def token_endpoint(self) -> str:
        return self.endpoint("token")

    @property
    def userinfo_endpoint(self) -> str:
        return self.endpoint("userinfo")


@dataclass(frozen=True)
class DexClient:
    """A static client of dex; its secret is a ``$<secret>:<key>`` reference in dex's config."""

    id: str
    name: str
    redirect_uri: str
    secret_key: str
    """The key of Argo CD's dex Secret that holds this client's secret."""


def grafana_client(grafana_host: str) -> DexClient:
    return DexClient(
        GRAFANA_CLIENT_ID, "Grafana", f"https://{grafana_host}/login/generic_oauth", GRAFANA_SECRET_KEY
    )


def front_page_client(front_page_host: str) -> DexClient:
    # The ALB answers the IdP's redirect itself at this fixed path.
    return DexClient(
        FRONT_PAGE_CLIENT_ID,
        "Kubeboard",
        f"https://{front_page_host}/oauth2/idpresponse",
        FRONT_PAGE_SECRET_KEY,
    )


def client_secret(sso: SsoSettings, client: DexClient) -> SecretStr:
    """The secret a static client shares with dex, from ``kubeboard:sso``."""
    secrets = {
        GRAFANA_SECRET_KEY: sso.grafana_client_secret,
        FRONT_PAGE_SECRET_KEY: sso.front_page_client_secret,
    }
    if client.secret_key not in secrets:
        raise ValueError(f"dex_clients: no secret for the client {client.id!r} ({client.secret_key})")
    return secrets[client.secret_key]


def dex_config(sso: SsoSettings, clients: Sequence[DexClient], *, secret_name: str) -> str:
    """dex's config for Argo CD's ``dex.config``: secrets are ``$secret:key`` references, never values.

    Argo CD resolves such references everywhere in the config, from Secrets labelled part-of argocd.
    """
    connector = {
        "type": "github",
        "id": "github",
        "name": "GitHub",
        "config": {
            "clientID": sso.github.client_id,
            "clientSecret": f"${secret_name}:{GITHUB_SECRET_KEY}",
            "orgs": [{"name": sso.github.org, "teams": list(sso.github.teams)}],
            # Groups reach the UIs as "<org>:<team slug>", stable across team renames.
            "teamNameField": "slug",
        },
    }
    static_clients = [
        {
            "id": client.id,
            "name": client.name,
            "redirectURIs": [client.redirect_uri],
            "secret": f"${secret_name}:{client.secret_key}",
        }
        for client in clients
    ]
    config: dict[str, Any] = {"connectors": [connector]}
    if static_clients:
        config["staticClients"] = static_clients
    return yaml.safe_dump(config, sort_keys=False)


def argocd_rbac_policy(sso: SsoSettings) -> str:
    """``policy.csv``: each admin team gets ``role:admin``; everyone else falls back to readonly."""
    return "".join(f"g, {group}, role:admin\n" for group in sso.admin_groups)


def grafana_role_path(sso: SsoSettings) -> str:
    """JMESPath over the ID token's claims: admins -> Admin, developers -> Editor, else Viewer."""
    terms = [f"contains(groups[*], '{group}') && 'Admin'" for group in sso.admin_groups]
    terms += [f"contains(groups[*], '{group}') && 'Editor'" for group in sso.developer_groups]
    return " || ".join([*terms, "'Viewer'"])


def grafana_ini(sso: SsoSettings, dex: Dex) -> dict[str, Any]:
    """Grafana's sign-in sections: dex only, no login form, no basic auth (the admin password opens nothing).

    The client secret is not here: Grafana reads ``GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET`` from a Secret.
    """
    return {
        "auth": {"disable_login_form": True, "oauth_auto_login": True, "disable_signout_menu": False},
        "auth.basic": {"enabled": False},
        "auth.generic_oauth": {
            "enabled": True,
            "name": "GitHub",
            "client_id": GRAFANA_CLIENT_ID,
            "scopes": " ".join(SCOPES),
            "auth_url": dex.authorization_endpoint,
            "token_url": dex.token_endpoint,
            "api_url": dex.userinfo_endpoint,
            "use_pkce": True,
            "allow_sign_up": True,
            "groups_attribute_path": "groups",
            # dex admits only these teams already; Grafana checks again.
            "allowed_groups": " ".join(sso.group(team) for team in sso.github.teams),
            "login_attribute_path": "preferred_username",
            "email_attribute_path": "email",
            "role_attribute_path": grafana_role_path(sso),
            # A role that the path cannot compute means no access, never a default role.
            "role_attribute_strict": True,
            "allow_assign_grafana_admin": False,
            "skip_org_role_sync": False,
        },
    }


def alb_oidc_annotations(dex: Dex, *, secret_name: str = FRONT_PAGE_OIDC_SECRET) -> dict[str, str]:
    """The ALB authenticates every request to the Ingress through dex before it reaches the pods."""
    idp = {
        "issuer": dex.issuer,
        "authorizationEndpoint": dex.authorization_endpoint,
        "tokenEndpoint": dex.token_endpoint,
        "userInfoEndpoint": dex.userinfo_endpoint,
        "secretName": secret_name,
    }
    return {
        f"{PREFIX}/auth-type": "oidc",
        f"{PREFIX}/auth-idp-oidc": json.dumps(idp, separators=(",", ":")),
        f"{PREFIX}/auth-on-unauthenticated-request": "authenticate",
        f"{PREFIX}/auth-scope": " ".join(ALB_SCOPES),
        f"{PREFIX}/auth-session-cookie": "kubeboard-session",
        f"{PREFIX}/auth-session-timeout": str(ALB_SESSION_SECONDS),
    }
