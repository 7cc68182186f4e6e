"""What `GitOps` is built from: its config (plain values a stack file holds), the wiring the
platform adds, its ``DEFAULTS`` and its rules (``problems``), written here once."""

import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from ..addons.definition import AddOnContext
from ..edge.ingress import IngressContract
from ..sso import SsoConfig
from ..sso import problems as sso_problems
from ..workload import WorkloadResources, dns_label_problem, resources_problems, with_defaults

_HTTPS_GIT_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?/[A-Za-z0-9._/-]+$")
_REPO_PATH = re.compile(r"^(?!/)(?!.*\.\.)[A-Za-z0-9._/-]+$")


class RepositoryConfig(TypedDict):
    """The git repository the root Application reads the platform chart from."""

    url: str
    """An ``https://`` git URL (Argo CD reads it with a token, never an ssh key). Required."""
    target_revision: NotRequired[str]
    """Branch, tag or commit the platform follows (prod may pin a tag). Default ``main``."""
    path: NotRequired[str]
    """The chart's folder inside the repository. Default ``charts/kubeboard``."""
    username: NotRequired[str]
    """The user the token is sent with. Default ``x-access-token``."""
    token: NotRequired[pulumi.Input[str] | None]
    """Read-only token of a private repository (kept a Pulumi secret). Default: none (public)."""


class GitOpsConfig(TypedDict):
    """Argo CD and the root Application, as a stack file sets them."""

    repository: RepositoryConfig
    """Where the platform chart lives. Required."""
    namespace: NotRequired[str]
    """Argo CD's namespace. Default ``argocd``."""
    hostname_prefix: NotRequired[str]
    """Argo CD is published at ``<hostname_prefix>.<edge domain>``. Default ``argocd``."""
    resources: NotRequired[WorkloadResources]
    """The server, repo server, ApplicationSet controller, dex and Redis. Default: 100m CPU, 256Mi
    memory requested, 512Mi memory limit."""
    controller_resources: NotRequired[WorkloadResources]
    """The application controller. Default: 250m CPU, 512Mi memory requested, 1Gi memory limit."""


class FleetHubOptions(TypedDict):
    """A hub's additions (components/fleet): the fleet's ApplicationSets deploy the platform chart."""

    argocd_values: Mapping[str, Any]
    """Deep-merged over the chart's values (IRSA on the service accounts, progressive syncs)."""
    destinations: Sequence[pulumi.Input[str]]
    """The spokes' API servers: the platform project admits its namespaces there too."""
    source_repos: Sequence[str]
    """The team applications' repositories."""


class GitOpsArgs(GitOpsConfig):
    """`GitOpsConfig` and what the platform wires in."""

    sso: SsoConfig
    """Who signs in (dex's GitHub connector) and as what (Argo CD RBAC): Argo CD has no local admin."""
    context: AddOnContext
    """What its release is built in, like every add-on's: the cluster Argo CD runs in, and whether
    it is a production environment (two replicas of each stateless part, PDBs, HA Redis)."""
    ingress: IngressContract
    """The Edge ingress contract Argo CD is published through."""
    chart_values: pulumi.Input[Mapping[str, Any]]
    """What the root Application passes to the platform chart (`platform_chart_values`)."""
    grafana_host: NotRequired[str | None]
    """Grafana's host, when Grafana signs in through this dex. Default: none."""
    front_page_host: NotRequired[str | None]
    """The front page's host, when its ALB signs people in through this dex. Default: none."""
    fleet: NotRequired[FleetHubOptions | None]
    """On a fleet's hub: what Argo CD and the platform project need for the spokes. Default: none."""


DEFAULTS: dict[str, Any] = {
    "namespace": "argocd",
    "hostname_prefix": "argocd",
    "repository": {
        "target_revision": "main",
        "path": "charts/kubeboard",
        "username": "x-access-token",
        "token": None,
    },
    "resources": {"cpu_request": "100m", "memory_request": "256Mi", "memory_limit": "512Mi"},
    "controller_resources": {"cpu_request": "250m", "memory_request": "512Mi", "memory_limit": "1Gi"},
}


def with_config_defaults(config: GitOpsConfig) -> dict[str, Any]:
    """The config with every default filled in, nested sections included."""
    return with_defaults(DEFAULTS, config)


def https_git_url_problem(url: object) -> str | None:
    # Argo CD reads the repository over HTTPS with a token; ssh:// would need a key instead.
    if not isinstance(url, str) or not _HTTPS_GIT_URL.match(url):
        return f"{url!r} must be an https:// git repository URL"
    return None


def relative_path_problem(path: object) -> str | None:
    if not isinstance(path, str) or not _REPO_PATH.match(path):
        return f"{path!r} must be a relative path inside the repository (no '..')"
    return None


def _text_problem(value: object, low: int, high: int) -> str | None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        return f"must be text of {low} to {high} characters"
    return None


def problems(config: GitOpsConfig) -> list[str]:
    """Every problem of the config, each naming its arg path."""
    if not isinstance(config.get("repository"), Mapping):
        return ["repository: required ({url, target_revision, path})"]
    merged = with_config_defaults(config)
    repository = merged["repository"]
    checks = (
        ("namespace", dns_label_problem(merged["namespace"])),
        ("hostname_prefix", dns_label_problem(merged["hostname_prefix"])),
        ("repository.url", https_git_url_problem(repository.get("url"))),
        ("repository.target_revision", _text_problem(repository["target_revision"], 1, 255)),
        ("repository.path", relative_path_problem(repository["path"])),
        ("repository.username", _text_problem(repository["username"], 1, 100)),
    )
    found = [f"{key}: {problem}" for key, problem in checks if problem is not None]
    found += resources_problems("resources", merged["resources"])
    return found + resources_problems("controller_resources", merged["controller_resources"])


def args_problems(args: GitOpsArgs) -> list[str]:
    """Every problem of the args: the config's and the wiring's."""
    return problems(args) + wiring_problems(args)


def wiring_problems(args: GitOpsArgs) -> list[str]:
    """What the wiring must hold besides the config."""
    sso = args.get("sso")
    if sso is None:
        found = ["sso: required (Argo CD has no local admin: people sign in through dex)"]
    else:
        found = [f"sso.{problem}" for problem in sso_problems(sso)]
    for key in ("context", "ingress", "chart_values"):
        if args.get(key) is None:
            found.append(f"{key}: required")
    return found
