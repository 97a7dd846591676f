"""Bearer secret keys, checked against SHA-256 hashes kept in SSM Parameter Store.

The parameter holds one hex digest per line (or comma-separated), so keys can be rotated by
adding the new hash before removing the old one. Keys themselves are never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum
from typing import Any

from recipients.settings import auth_settings


class Verdict(Enum):
    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"  # missing, malformed or unknown key -> 401
    PUBLIC_KEY = "public_key"  # a pk_ key on a server route -> 403


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_key_hashes(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.replace(",", "\n").splitlines() if part.strip())


def known_key_hashes() -> frozenset[str]:
    """Read through Powertools' cache; imported here, as a request without a secret key never needs SSM."""
    from aws_lambda_powertools.utilities import parameters

    settings = auth_settings()
    value = parameters.get_parameter(
        settings.api_key_hashes_parameter, decrypt=True, max_age=settings.api_key_cache_seconds
    )
    return parse_key_hashes(str(value))


def check_authorization(header: str | None) -> tuple[Verdict, str | None]:
    """The verdict for an Authorization header, and the matching key's hash prefix (safe to log)."""
    scheme, _, key = (header or "").strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return Verdict.UNAUTHENTICATED, None
    if key.startswith("pk_"):
        return Verdict.PUBLIC_KEY, None
    if not key.startswith("sk_"):
        return Verdict.UNAUTHENTICATED, None
    digest = hash_key(key)
    matched = any(hmac.compare_digest(digest, known) for known in known_key_hashes())
    return (Verdict.ALLOW, digest[:12]) if matched else (Verdict.UNAUTHENTICATED, None)


class Unauthorized(Exception):
    """Raised by the authorizer for a 401: API Gateway answers 401 when the message is exactly this."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API REQUEST authorizer with simple responses (payload format 2.0)."""
    headers = event.get("headers") or {}
    verdict, key_id = check_authorization(headers.get("authorization"))
    if verdict is Verdict.UNAUTHENTICATED:
        raise Unauthorized()
    if verdict is Verdict.PUBLIC_KEY:
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": {"key_id": key_id}}
