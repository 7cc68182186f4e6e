"""Kubeboard Infra: a complete, secure EKS platform on AWS as reusable Pulumi components.

Import the components into your own stack and pass them typed arguments::

    from kubeboard_infra import Network
"""

from .account import Account, AccountArgs
from .deploy_roles import DeployEnvironmentArgs, DeployRoles, DeployRolesArgs
from .deploy_runner import DeployRunner, DeployRunnerArgs
from .edge import Edge, EdgeArgs, IngressContract, IngressValuesShape
from .github_oidc import DeliveryRepositoryArgs, GitHubDelivery, GitHubDeliveryArgs
from .network import Network, NetworkArgs
from .platform import Platform

__all__ = [
    "Account",
    "AccountArgs",
    "DeliveryRepositoryArgs",
    "DeployEnvironmentArgs",
    "DeployRoles",
    "DeployRolesArgs",
    "DeployRunner",
    "DeployRunnerArgs",
    "Edge",
    "EdgeArgs",
    "GitHubDelivery",
    "GitHubDeliveryArgs",
    "IngressContract",
    "IngressValuesShape",
    "Network",
    "NetworkArgs",
    "Platform",
]
