"""Whether the CLI could decrypt a stack file's ``secure:`` values at all.

The ciphertext formats are the CLI's (pulumi/pulumi ``sdk/go/common/resource/config/crypt.go`` and the
secrets managers): the passphrase provider (``encryptionsalt``) and the cloud KMS providers
(``secretsprovider: awskms://...`` with ``encryptedkey``) write ``v1:<base64 nonce>:<base64 AES-GCM
ciphertext>``; Pulumi Cloud's default provider, used when the file names neither, writes plain base64
that only the service can decrypt. A value in neither form, or one whose bytes are readable text,
was never encrypted: the CLI would fail on it at the first command.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from .pulumi_project_config import StackConfigProblem, is_secure

_KMS_SCHEMES = ("awskms://", "azurekeyvault://", "gcpkms://", "hashivault://")
_NONCE_BYTES = 12  # AES-GCM's nonce, as the symmetric crypter writes it
_TAG_BYTES = 16  # every AES-GCM ciphertext carries at least its tag


def secure_values(key: str, value: Any) -> Iterator[tuple[str, str]]:
    """Every ``(path, ciphertext)`` in one config value, ``path`` spelt as ``--path`` takes it."""
    if is_secure(value):
        yield key, value["secure"]
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from secure_values(f"{key}.{name}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from secure_values(f"{key}[{index}]", item)


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _readable(data: bytes) -> bool:
    # Ciphertext is indistinguishable from random bytes; long runs of printable text are not random.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(data) >= _TAG_BYTES and text.isprintable()


def _salt_readable(salt: str) -> bool:
    parts = salt.split(":")
    return len(parts) == 3 and parts[0] == "v1" and all(_decode(part) for part in parts[1:])


def _symmetric_problem(ciphertext: str) -> str | None:
    parts = ciphertext.split(":")
    if len(parts) != 3 or parts[0] != "v1":
        return "is not a ciphertext of this stack's secrets provider (expected v1:<nonce>:<ciphertext>)"
    nonce, sealed = _decode(parts[1]), _decode(parts[2])
    if nonce is None or sealed is None or len(nonce) != _NONCE_BYTES or len(sealed) < _TAG_BYTES:
        return "is not a ciphertext of this stack's secrets provider (bad nonce or ciphertext)"
    if _readable(sealed):
        return "is base64 of readable text, not a ciphertext"
    return None


def _service_problem(ciphertext: str) -> str | None:
    if ciphertext.startswith("v1:"):
        return (
            "was written by a passphrase or KMS secrets provider, but the stack file has no "
            "`encryptionsalt` or `secretsprovider` to decrypt it with"
        )
    sealed = _decode(ciphertext)
    if sealed is None:
        return "is not a Pulumi Cloud ciphertext (not base64)"
    if _readable(sealed):
        return "is base64 of readable text, not a ciphertext"
    return None


def secrets_provider_problems(document: dict[str, Any], config: dict[str, Any]) -> list[StackConfigProblem]:
    """One problem per ``secure:`` value the stack's secrets provider could not decrypt."""
    ciphertexts = [pair for key, value in config.items() for pair in secure_values(key, value)]
    problems: list[StackConfigProblem] = []
    provider = str(document.get("secretsprovider") or "")
    salt = document.get("encryptionsalt")
    if provider.startswith(_KMS_SCHEMES) and not document.get("encryptedkey"):
        problems.append(
            StackConfigProblem(
                "encryptedkey", f"required with secretsprovider {provider.partition('://')[0]}://"
            )
        )
    if salt is not None and not _salt_readable(str(salt)):
        problems.append(StackConfigProblem("encryptionsalt", "must be v1:<base64 salt>:<base64 check value>"))
    symmetric = salt is not None or (provider not in ("", "default", "service"))
    check = _symmetric_problem if symmetric else _service_problem
    for path, ciphertext in ciphertexts:
        message = check(ciphertext)
        if message:
            problems.append(
                StackConfigProblem(
                    path,
                    f"secure value {message}; set it again with "
                    f"pulumi config set --secret --path '{path}' <value>",
                )
            )
    return problems
