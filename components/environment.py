"""What kind of environment a stack is."""

from enum import StrEnum


class Environment(StrEnum):
    """What kind of stack this is; prod turns on protection and stricter defaults."""

    DEV = "dev"
    """A development environment."""
    PROD = "prod"
    """Production: stateful resources are protected, Argo CD runs highly available."""
