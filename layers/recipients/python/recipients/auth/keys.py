"""Bearer keys, secret (sk_) and public (pk_), checked against SHA-256 hashes kept in SSM Parameter Store.

The parameter holds one hex digest per line (or comma-separated), so keys can be rotated by
adding the new hash before removing the old one. Keys themselves are never stored or logged.

The authorizer never denies a request itself. For an HTTP API authorizer with simple responses,
AWS documents only two answers: `isAuthorized: false` (API Gateway answers 403) and, when the
identity source (the Authorization header) is missing, a 401 that API Gateway gives without calling
the authorizer. So the authorizer always answers `isAuthorized: true` with a verdict in its context,
and every API function refuses the request (401, 403 or 503, Knock-shaped) unless the verdict is
`allow`: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from recipients.auth.settings import auth_settings
from recipients.auth.verdicts import Verdict

MIN_CACHE_SECONDS = 10
"""The key hashes are cached at least this long, whatever ApiKeyCacheSeconds says: with the API
Gateway cache off (0), each request would otherwise cost an SSM call, and GetParameter's default
quota is 40 transactions per second for the whole account and region."""


class KeyHashesUnavailable(Exception):
    """The SSM parameter of key hashes cannot be read (missing, access denied, throttled...)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_key_hashes(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.replace(",", "\n").splitlines() if part.strip())


def known_key_hashes() -> frozenset[str]:
    """Read through Powertools' cache; imported here, as a request without a secret key never needs SSM."""
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    settings = auth_settings()
    max_age = max(settings.api_key_cache_seconds, MIN_CACHE_SECONDS)
    try:
        value = parameters.get_parameter(settings.api_key_hashes_parameter, decrypt=True, max_age=max_age)
    except GetParameterError as error:  # Powertools wraps every failure of the call in it
        raise KeyHashesUnavailable(str(error)) from error
    return parse_key_hashes(str(value))


def check_authorization(header: str | None) -> tuple[Verdict, str | None]:
    """The verdict for an Authorization header, and the matching key's hash prefix (safe to log)."""
    scheme, _, key = (header or "").strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return Verdict.UNAUTHENTICATED, None
    if not key.startswith(("sk_", "pk_")):
        return Verdict.UNAUTHENTICATED, None
    try:
        hashes = known_key_hashes()
    except KeyHashesUnavailable as error:
        _log_unavailable(error)
        return Verdict.UNAVAILABLE, None
    digest = hash_key(key)
    if not any(hmac.compare_digest(digest, known) for known in hashes):
        return Verdict.UNAUTHENTICATED, None
    # A public key's user token is checked by the function, on every request (see auth/client.py)
    return (Verdict.PUBLIC if key.startswith("pk_") else Verdict.ALLOW), digest[:12]


def _log_unavailable(error: KeyHashesUnavailable) -> None:
    # Imported here: the Logger and Metrics read their POWERTOOLS_* settings when made, and
    # `local.emulator` imports this module (hash_key) before any function's environment is set.
    from recipients.kernel.observability import logger

    settings = auth_settings()
    logger.error(
        f"cannot read the API key hashes from SSM parameter {settings.api_key_hashes_parameter} in region "
        f"{settings.aws_region or 'unknown'}, so every request is answered 503: create the parameter in this "
        "region (README, Deploy), or let the authorizer read it (ssm:GetParameter; kms:Decrypt if it is encrypted "
        "with a key of your own)",
        extra={"parameter": settings.api_key_hashes_parameter, "region": settings.aws_region, "error": str(error)},
    )


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API REQUEST authorizer with simple responses (payload format 2.0): always authorized,
    with the verdict the function acts on (see the module's docstring)."""
    headers = event.get("headers") or {}
    verdict, key_id = check_authorization(headers.get("authorization"))
    context = {"verdict": verdict.value} if key_id is None else {"verdict": verdict.value, "key_id": key_id}
    return {"isAuthorized": True, "context": context}
