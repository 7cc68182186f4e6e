"""Kubeboard Infra: a complete, secure EKS platform on AWS as reusable Pulumi components.

Import the components into your own stack and pass them typed arguments::

    from kubeboard_infra import Network
"""

from .network import Network, NetworkArgs
from .platform import Platform

__all__ = ["Network", "NetworkArgs", "Platform"]
