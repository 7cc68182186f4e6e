"""`kubeboard:cluster.access.createRoles`: the admin, developer and viewer roles made by the stack
(F3, H6), trusting the account's identity provider, each mapped to its access entry. The rules and
defaults are the component's (components/human_roles.py); this section only reads the stack file."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ..human_roles import DEFAULTS, HumanRolesConfig, problems
from .base import Model, raise_first


class SamlProvider(Model):
    provider_arn: str
    """The account's IAM SAML provider; the IdP's assertion names which of the three roles a person gets."""


class OidcSubjects(Model):
    admin: list[str]
    developer: list[str]
    viewer: list[str]


class OidcProvider(Model):
    provider_arn: str
    audience: str
    """The client id the IdP puts in ``aud``."""
    subjects: OidcSubjects
    """``sub`` values (a trailing ``*`` allowed) admitted to each role: IAM reads no group claim."""


class PermissionSets(Model):
    admin: str
    developer: str
    viewer: str


class IdentityCenter(Model):
    permission_sets: PermissionSets
    """The IAM Identity Center permission set whose sessions may assume each role."""


class CreateRolesSettings(Model):
    """Exactly one of ``saml``, ``oidc`` and ``identityCenter``."""

    saml: SamlProvider | None = None
    oidc: OidcProvider | None = None
    identity_center: IdentityCenter | None = None
    max_session_hours: int = DEFAULTS["max_session_hours"]

    def to_config(self) -> HumanRolesConfig:
        """The ``HumanRoles`` args this section maps to (the platform adds the names)."""
        return {
            "saml": {"provider_arn": self.saml.provider_arn} if self.saml else None,
            "oidc": (
                {
                    "provider_arn": self.oidc.provider_arn,
                    "audience": self.oidc.audience,
                    "subjects": self.oidc.subjects.model_dump(),
                }
                if self.oidc
                else None
            ),
            "identity_center": (
                {"permission_sets": self.identity_center.permission_sets.model_dump()}
                if self.identity_center
                else None
            ),
            "max_session_hours": self.max_session_hours,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(problems(self.to_config()))
        return self
