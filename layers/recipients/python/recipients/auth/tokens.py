"""Knock user tokens: RS256 JWTs that a backend signs with its private key, verified with the public keys
the operator stores in SSM (one or two PEM keys, so a new key can be added before the old one goes).

Only RS256 is accepted: `none`, HMAC (an attacker's favourite: HS256 "signed" with the public key)
and every other algorithm are refused before any key is tried. A token must name its user (`sub`)
and expire (`exp`); `iat` and `nbf`, when present, may not lie in the future beyond CLOCK_SKEW_SECONDS.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from recipients.kernel.rules import check_id

ALGORITHMS = ["RS256"]
CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_BYTES = 8 * 1024
"""Far more than any token with a few grants; a larger one is refused unread."""
MIN_KEY_BITS = 2048
_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class InvalidUserToken(Exception):
    """Why a token was refused, in words safe to answer and log (never the token itself)."""


class SigningKeysInvalid(Exception):
    """The stored public keys cannot be read as RSA public keys."""


class UserToken(NamedTuple):
    sub: str
    grants: dict[str, dict[str, Any]]
    explicit_grants: bool


def parse_public_keys(text: str) -> list[RSAPublicKey]:
    """Every `-----BEGIN PUBLIC KEY-----` block of `text`, each an RSA key of at least 2048 bits."""
    keys = []
    for block in _PEM_BLOCK.findall(text):
        try:
            key = load_pem_public_key(block.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as error:
            raise SigningKeysInvalid(f"a stored public key is not a PEM key: {error}") from None
        if not isinstance(key, RSAPublicKey) or key.key_size < MIN_KEY_BITS:
            raise SigningKeysInvalid(f"the stored public keys must be RSA keys of at least {MIN_KEY_BITS} bits")
        keys.append(key)
    if not keys:
        raise SigningKeysInvalid("no -----BEGIN PUBLIC KEY----- block in the stored signing keys")
    return keys


def verify_user_token(token: str, keys: list[RSAPublicKey]) -> UserToken:
    """The token's user and grants, once its signature (by one of `keys`) and claims hold."""
    if len(token.encode("utf-8", "surrogateescape")) > MAX_TOKEN_BYTES:
        raise InvalidUserToken(f"the user token is longer than {MAX_TOKEN_BYTES:,} bytes")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidUserToken("the user token is not a JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise InvalidUserToken(f"the user token must be signed with RS256, not {str(header.get('alg'))[:20]!r}")
    claims = _verified_claims(token, keys)
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise InvalidUserToken("the user token's sub (the user id) must be a string")
    try:
        check_id(subject)
    except ValueError as error:
        raise InvalidUserToken(f"the user token's sub is not a user id: it {error}") from None
    grants = claims.get("grants") or {}
    explicit = claims.get("explicit_grants", False)
    if not isinstance(grants, dict) or not all(isinstance(value, dict) for value in grants.values()):
        raise InvalidUserToken("the user token's grants must map entity URIs to their grants")
    if not isinstance(explicit, bool):
        raise InvalidUserToken("the user token's explicit_grants must be true or false")
    return UserToken(subject, grants, explicit)


def _verified_claims(token: str, keys: list[RSAPublicKey]) -> dict[str, Any]:
    options: jwt.types.Options = {"require": ["sub", "exp"], "verify_aud": False}
    for key in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=ALGORITHMS, options=options, leeway=CLOCK_SKEW_SECONDS
            )
            return claims
        except jwt.InvalidSignatureError:
            continue  # signed with another key: try the next one (rotation)
        except jwt.ExpiredSignatureError:
            raise InvalidUserToken("the user token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidUserToken("the user token's iat or nbf is in the future") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidUserToken(f"the user token has no {error.claim} claim") from None
        except jwt.InvalidTokenError as error:
            raise InvalidUserToken(f"the user token is malformed: {str(error)[:100]}") from None
    raise InvalidUserToken("the user token's signature does not match any signing key of this API")
