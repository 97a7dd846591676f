"""What the authorizer decided about a request, and how an API function answers a verdict other than allow.

The authorizer never denies a request itself (see auth/keys.py): it always authorizes it, with its
verdict in the context, and every API function refuses the request (401, 403 or 503, in Knock's
shape) unless the verdict is `allow`. Kept apart from keys.py so that API functions load no SSM code.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from recipients.kernel.errors import ErrorKind, RecipientsError


class Verdict(Enum):
    ALLOW = "allow"  # a secret key this API knows
    PUBLIC = "public"  # a public key this API knows: the function checks its user token (auth/client.py)
    UNAUTHENTICATED = "unauthenticated"  # not a Bearer key, not sk_/pk_, or an unknown key -> 401
    FORBIDDEN = "forbidden"  # kept for answers cached before public keys were known -> 403
    UNAVAILABLE = "unavailable"  # the key hashes cannot be read from SSM -> 503


_REFUSALS = {
    Verdict.UNAUTHENTICATED: RecipientsError(
        ErrorKind.UNAUTHENTICATED,
        "authentication_required",
        "send Authorization: Bearer sk_... with a secret key this API knows (or a public key pk_... it knows)",
    ),
    Verdict.FORBIDDEN: RecipientsError(
        ErrorKind.FORBIDDEN,
        "incorrect_token_type",
        "you cannot call this endpoint with this token: this API needs a secret key (sk_...), not a public key",
    ),
    Verdict.UNAVAILABLE: RecipientsError.unavailable("the API key cannot be checked right now; retry with backoff"),
}


def request_verdict(event: dict[str, Any]) -> Verdict:
    """The authorizer's verdict on an HTTP API event; a missing or malformed one is UNAUTHENTICATED."""
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    answer = authorizer.get("lambda") if isinstance(authorizer, dict) else None
    verdict = answer.get("verdict") if isinstance(answer, dict) else None
    return next((known for known in Verdict if known.value == verdict), Verdict.UNAUTHENTICATED)


_SECRET_KEY_WITH_USER_TOKEN = RecipientsError(
    ErrorKind.FORBIDDEN,
    "incorrect_token_type",
    "a user token (X-Knock-User-Token) goes with a public key (pk_...), not with a secret key: send one or the other",
)


def refusal(event: dict[str, Any]) -> RecipientsError | None:
    """Why an API function must refuse this request (None: the authorizer allowed it)."""
    verdict = request_verdict(event)
    if verdict is Verdict.PUBLIC:
        from recipients.auth.client import public_key_refusal  # JWT verification: public-key requests only

        return public_key_refusal(event)
    if verdict is Verdict.ALLOW:
        headers = event.get("headers") or {}
        return _SECRET_KEY_WITH_USER_TOKEN if headers.get("x-knock-user-token") else None
    return _REFUSALS[verdict]
