"""`kubeboard:cluster.access.createRoles`: the admin, developer and viewer roles made by the stack
(F3, H6), trusting the account's identity provider, each mapped to its access entry."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from .base import Model

SamlProviderArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:saml-provider/[\w+=,.@-]{1,128}$")
]
OidcProviderArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/[A-Za-z0-9.-]+(/[A-Za-z0-9._~%-]+)*$")
]
PermissionSetName = Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,32}$")]
Subject = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\s*]+\*?$")]


class SamlProvider(Model):
    provider_arn: SamlProviderArn
    """The account's IAM SAML provider; the IdP's assertion names which of the three roles a person gets."""


class OidcSubjects(Model):
    admin: Annotated[list[Subject], Field(min_length=1)]
    developer: Annotated[list[Subject], Field(min_length=1)]
    viewer: Annotated[list[Subject], Field(min_length=1)]


class OidcProvider(Model):
    provider_arn: OidcProviderArn
    audience: Annotated[str, Field(min_length=1, max_length=255)]
    """The client id the IdP puts in ``aud``."""
    subjects: OidcSubjects
    """``sub`` values (a trailing ``*`` allowed) admitted to each role: IAM reads no group claim."""


class PermissionSets(Model):
    admin: PermissionSetName
    developer: PermissionSetName
    viewer: PermissionSetName


class IdentityCenter(Model):
    permission_sets: PermissionSets
    """The IAM Identity Center permission set whose sessions may assume each role."""


class CreateRolesSettings(Model):
    """Exactly one of ``saml``, ``oidc`` and ``identityCenter``."""

    saml: SamlProvider | None = None
    oidc: OidcProvider | None = None
    identity_center: IdentityCenter | None = None
    max_session_hours: Annotated[int, Field(ge=1, le=12)] = 1

    @model_validator(mode="after")
    def _one_provider(self) -> Self:
        given = [name for name in ("saml", "oidc", "identityCenter") if self.provider(name) is not None]
        if len(given) != 1:
            raise ValueError(
                "saml: give exactly one of saml, oidc and identityCenter "
                f"(the identity provider the roles trust); got {', '.join(given) or 'none'}"
            )
        return self

    def provider(self, name: str) -> object | None:
        return {"saml": self.saml, "oidc": self.oidc, "identityCenter": self.identity_center}[name]
