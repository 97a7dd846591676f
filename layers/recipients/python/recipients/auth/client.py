"""What a public key (pk_...) with a user token may do: what Knock's browser client calls for its own user.

The authorizer only tells a known public key from a secret key: its answer is cached by the
Authorization header alone, which two users' browsers share. So the user token is checked here, in
the function, on every request, and no answer about one token is ever reused for another.

A public key may call its user's own routes (`{user_id}` equal to the token's `sub`): get and
identify the user, list, get and set its preference sets, and get, set and unset its channel data;
and an object's channel data only with a `channel_data/read` (GET) or `channel_data/write` grant on
that object in the token. With `explicit_grants: true`, the user's own routes need their grants too
(`user/read`, `user/write`, `preferences/read`, ...). Anything else is `incorrect_token_type`.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from recipients.auth.settings import client_settings
from recipients.auth.tokens import InvalidUserToken, SigningKeysInvalid, UserToken, parse_public_keys, verify_user_token
from recipients.kernel.errors import ErrorKind, RecipientsError

USER_TOKEN_HEADER = "x-knock-user-token"


class Scope(NamedTuple):
    """Whose route it is (the user in the path, or an object), and the grant it needs."""

    entity: str  # "user" or "object"
    grant: str


_USER_ROUTES = {
    "GET /v1/users/{user_id}": "user/read",
    "PUT /v1/users/{user_id}": "user/write",
    "GET /v1/users/{user_id}/preferences": "preferences/read",
    "GET /v1/users/{user_id}/preferences/{set_id}": "preferences/read",
    "PUT /v1/users/{user_id}/preferences/{set_id}": "preferences/write",
    **{
        f"PUT /v1/users/{{user_id}}/preferences/{{set_id}}/{part}": "preferences/write"
        for part in (
            "channel_types",
            "channel_types/{channel_type}",
            "workflows",
            "workflows/{key}",
            "categories",
            "categories/{key}",
        )
    },
    "GET /v1/users/{user_id}/channel_data/{channel_id}": "channel_data/read",
    "PUT /v1/users/{user_id}/channel_data/{channel_id}": "channel_data/write",
    "DELETE /v1/users/{user_id}/channel_data/{channel_id}": "channel_data/write",
}
_OBJECT_ROUTES = {
    f"{method} /v1/objects/{{collection}}/{{object_id}}/channel_data/{{channel_id}}": grant
    for method, grant in (("GET", "channel_data/read"), ("PUT", "channel_data/write"), ("DELETE", "channel_data/write"))
}
PUBLIC_ROUTES: dict[str, Scope] = {
    **{route: Scope("user", grant) for route, grant in _USER_ROUTES.items()},
    **{route: Scope("object", grant) for route, grant in _OBJECT_ROUTES.items()},
}
"""Every route a public key may call, by API Gateway route key."""

GRANT_ALIASES = {"feed/read": "user/feed_read", "user_feed/read": "user/feed_read"}


def public_key_refusal(event: dict[str, Any]) -> RecipientsError | None:
    """Why a request made with a public key must be refused; None when its user token allows it."""
    scope = PUBLIC_ROUTES.get(str(event.get("routeKey", "")))
    if scope is None:
        return _refused(
            ErrorKind.FORBIDDEN,
            "incorrect_token_type",
            "you cannot call this endpoint with a public key: it may call only its user's own routes "
            "(the user, its preferences and channel data); use a secret key from your backend",
        )
    settings = client_settings()
    token = _header(event, USER_TOKEN_HEADER)
    if not token:
        if settings.public_key_without_user_token:
            return None  # enhanced security off: the public key alone acts as any user
        return _refused(
            ErrorKind.UNAUTHENTICATED,
            "missing_user_token",
            "this API requires an X-Knock-User-Token header with a public key: a user token your backend signs",
        )
    try:
        keys = _signing_keys(settings.signing_public_keys_parameter)
    except RecipientsError as error:
        return error
    try:
        user_token = verify_user_token(token, keys)
    except InvalidUserToken as error:
        return _refused(ErrorKind.UNAUTHENTICATED, "invalid_user_token", str(error))
    return _out_of_scope(scope, event.get("pathParameters") or {}, user_token)


def _out_of_scope(scope: Scope, path: dict[str, str], token: UserToken) -> RecipientsError | None:
    if scope.entity == "user":
        if path.get("user_id") != token.sub:
            return _refused(
                ErrorKind.FORBIDDEN,
                "user_token_mismatch",
                "this user token is for another user: with a public key, only the token's user (sub) can be used",
            )
        if token.explicit_grants and not _granted(token, f"/v1/users/{token.sub}", scope.grant):
            return _missing_grant(scope.grant, f"users/{token.sub}")
        return None
    entity = f"{path.get('collection', '')}/{path.get('object_id', '')}"
    if not _granted(token, f"/v1/objects/{entity}", scope.grant):
        return _missing_grant(scope.grant, f"objects/{entity}")
    return None


def _granted(token: UserToken, entity_path: str, grant: str) -> bool:
    """Whether the token grants `grant` on the entity at `entity_path`. Entity URIs are matched on their
    path (Knock's SDKs always write https://api.knock.app); a grant's value is not read (`[]` or `[{}]`)."""
    for uri, grants in token.grants.items():
        path = unquote(urlsplit(str(uri)).path).rstrip("/")
        if path == entity_path and any(GRANT_ALIASES.get(name, name) == grant for name in grants):
            return True
    return False


def _missing_grant(grant: str, entity: str) -> RecipientsError:
    return _refused(ErrorKind.FORBIDDEN, "missing_grant", f"the user token has no {grant} grant on {entity}")


def _signing_keys(parameter: str) -> list[RSAPublicKey]:
    """The public keys tokens are verified with, read through Powertools' cache (imported with the first
    public-key request: secret-key requests never need it)."""
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    if not parameter:
        raise _no_signing_key("this API has no signing key to verify user tokens with")
    try:
        text = parameters.get_parameter(parameter, max_age=max(client_settings().signing_keys_cache_seconds, 10))
        return parse_public_keys(str(text))
    except GetParameterError as error:  # missing, access denied, throttled: nothing the caller can fix
        _log_keys_unreadable(parameter, str(error))
        raise RecipientsError.unavailable("user tokens cannot be checked right now; retry with backoff") from None
    except SigningKeysInvalid as error:
        _log_keys_unreadable(parameter, str(error))
        raise _no_signing_key("this API's signing keys cannot be read") from None


def _no_signing_key(message: str) -> RecipientsError:
    return _refused(ErrorKind.UNAUTHENTICATED, "missing_jwt_signing_key", f"{message}: its operator must store one")


def _log_keys_unreadable(parameter: str, reason: str) -> None:
    from recipients.kernel.observability import logger

    logger.error(
        f"cannot read the user tokens' public keys from SSM parameter {parameter}: every request with a public "
        "key is refused until it holds one or two PEM public keys (README, Client-side access)",
        extra={"parameter": parameter, "error": reason},
    )


def _header(event: dict[str, Any], name: str) -> str:
    headers = event.get("headers") or {}
    return str(headers.get(name) or "").strip()


def _refused(kind: ErrorKind, code: str, message: str) -> RecipientsError:
    return RecipientsError(kind, code, message)
