"""One sign-in for every UI: Argo CD's bundled dex is the identity provider (GitHub connector),
Grafana (``auth.generic_oauth``) and the ALB in front of the front page (``auth-type: oidc``) are
its static clients. Each rule of who becomes what is written here once.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import yaml

from .edge.ingress import PREFIX

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


_GITHUB_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# A team slug as GitHub spells it in URLs (lower case, digits, '-', '_', '.').
_TEAM_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MIN_CLIENT_SECRET_LENGTH = 32
"""dex compares client secrets byte for byte; anything shorter than this is guessable."""


class GitHubConnector(TypedDict):
    """dex's GitHub connector: a GitHub OAuth app, limited to an organisation's teams."""

    client_id: str
    """The OAuth app's client id."""
    client_secret: pulumi.Input[str]
    """The OAuth app's client secret (kept a Pulumi secret)."""
    org: str
    """The GitHub organisation."""
    teams: list[str]
    """Only members of these teams (slugs) may sign in; at least one."""


class SsoRoles(TypedDict):
    """Which GitHub teams get which role; every other member of ``github.teams`` only reads."""

    admins: list[str]
    """Argo CD ``role:admin`` and Grafana ``Admin``; at least one team."""
    developers: NotRequired[list[str]]
    """Grafana ``Editor`` (dashboards, Explore); Argo CD read-only. Default: none."""


class SsoConfig(TypedDict):
    """One sign-in for every UI: who signs in (dex's GitHub connector) and as what."""

    github: GitHubConnector
    """dex's GitHub connector."""
    roles: SsoRoles
    """Roles by team."""
    grafana_client_secret: pulumi.Input[str]
    """Grafana's secret as dex's static client (at least 32 characters; a Pulumi secret)."""
    front_page_client_secret: pulumi.Input[str]
    """The ALB's secret as dex's static client for the front page (at least 32 characters)."""


def github_client_secret_problem(value: str) -> str | None:
    """GitHub OAuth app secrets are 40 hex characters (the value itself is never echoed)."""
    if not value.strip():
        return "must not be empty"
    if not re.fullmatch(r"[0-9a-f]{40}", value):
        return "must be a GitHub OAuth app client secret (40 hex characters)"
    return None


def client_secret_problem(value: str) -> str | None:
    """A static client's secret: long enough not to be guessed, no whitespace."""
    if not value.strip():
        return "must not be empty"
    if len(value) < MIN_CLIENT_SECRET_LENGTH:
        return f"must be at least {MIN_CLIENT_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`)"
    if any(ch.isspace() for ch in value):
        return "must not contain whitespace"
    return None


def _team_problems(path: str, teams: object, *, at_least_one: bool) -> list[str]:
    if not isinstance(teams, list):
        return [f"{path}: must be a list of team slugs"]
    if at_least_one and not teams:
        return [f"{path}: needs at least one team"]
    problems = [
        f"{path}[{index}]: {team!r} is not a team slug (lower case letters, digits, '.', '_', '-')"
        for index, team in enumerate(teams)
        if not isinstance(team, str) or not _TEAM_SLUG.match(team)
    ]
    if not problems and len(set(teams)) != len(teams):
        problems.append(f"{path}: listed twice")
    return problems


def problems(sso: SsoConfig) -> list[str]:
    """Who may sign in and who administers; paths below the ``sso`` arg. Secrets are Pulumi
    inputs here: their format is checked where their text is read (``*_secret_problem``)."""
    github, roles = sso.get("github"), sso.get("roles")
    if github is None or roles is None:
        return [f"{key}: required" for key in ("github", "roles") if sso.get(key) is None]
    found = []
    if not _CLIENT_ID.match(str(github.get("client_id", ""))):
        found.append(f"github.client_id: {github.get('client_id')!r} is not a GitHub OAuth app client id")
    if not _GITHUB_NAME.match(str(github.get("org", ""))):
        found.append(f"github.org: {github.get('org')!r} is not a GitHub organisation name")
    found += _team_problems("github.teams", github.get("teams"), at_least_one=True)
    admins, developers = roles.get("admins"), roles.get("developers", [])
    found += _team_problems("roles.admins", admins, at_least_one=True)
    found += _team_problems("roles.developers", developers, at_least_one=False)
    if found:
        return found
    both = sorted(set(roles["admins"]) & set(developers))
    if both:
        found.append(f"roles.developers: {both} already listed as admins")
    for key, listed in (("admins", roles["admins"]), ("developers", developers)):
        outside = sorted(set(listed) - set(github["teams"]))
        if outside:
            found.append(f"roles.{key}: {outside} not in github.teams (only those teams may sign in)")
    return found


def group(sso: SsoConfig, team: str) -> str:
    """The group dex reports for a team: ``<org>:<team slug>``."""
    return f"{sso['github']['org']}:{team}"


def admin_groups(sso: SsoConfig) -> list[str]:
    return [group(sso, team) for team in sso["roles"]["admins"]]


def developer_groups(sso: SsoConfig) -> list[str]:
    return [group(sso, team) for team in sso["roles"].get("developers", [])]


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


def client_secret(sso: SsoConfig, client: DexClient) -> pulumi.Input[str]:
    """The secret a static client shares with dex."""
    secrets = {
        GRAFANA_SECRET_KEY: sso["grafana_client_secret"],
        FRONT_PAGE_SECRET_KEY: sso["front_page_client_secret"],
    }
    if client.secret_key not in secrets:
        raise ValueError(f"dex_clients: no secret for the client {client.id!r} ({client.secret_key})")
    return secrets[client.secret_key]


def dex_config(sso: SsoConfig, clients: Sequence[DexClient], *, secret_name: str) -> str:
    """dex's config for Argo CD's ``dex.config``: secrets are ``$secret:key`` references, never values.

    Argo CD resolves such references everywhere in the config, from Secrets labelled part-of argocd.
    """
    connector = {
        "type": "github",
        "id": "github",
        "name": "GitHub",
        "config": {
            "clientID": sso["github"]["client_id"],
            "clientSecret": f"${secret_name}:{GITHUB_SECRET_KEY}",
            "orgs": [{"name": sso["github"]["org"], "teams": list(sso["github"]["teams"])}],
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


def argocd_rbac_policy(sso: SsoConfig) -> str:
    """``policy.csv``: each admin team gets ``role:admin``; everyone else falls back to readonly."""
    return "".join(f"g, {name}, role:admin\n" for name in admin_groups(sso))


def grafana_role_path(sso: SsoConfig) -> str:
    """JMESPath over the ID token's claims: admins -> Admin, developers -> Editor, else Viewer."""
    terms = [f"contains(groups[*], '{name}') && 'Admin'" for name in admin_groups(sso)]
    terms += [f"contains(groups[*], '{name}') && 'Editor'" for name in developer_groups(sso)]
    return " || ".join([*terms, "'Viewer'"])


def grafana_ini(sso: SsoConfig, dex: Dex) -> dict[str, Any]:
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
            "allowed_groups": " ".join(group(sso, team) for team in sso["github"]["teams"]),
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
