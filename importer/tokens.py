"""Knock user tokens, signed as `@knocklabs/node`'s `signUserToken` signs them, for backends without it.

A user token is an RS256 JWT with the header `{"alg": "RS256", "typ": "JWT"}` and the claims `sub`
(the user id), `grants` (only when grants are given), `iat` (now, in seconds) and `exp` (`iat` plus the
lifetime, an hour by default). `grants` maps entity URIs to the grants the user holds on them, each
grant name to an empty list: `{"https://api.knock.app/v1/objects/projects/p1": {"channel_data/read": []}}`.
Entity URIs always name api.knock.app, as the Node SDK builds them, whatever server the token is for.

The signing key is an RSA private key of at least 2048 bits, in PEM or as the base64 of the PEM (as
Knock's dashboard shows it). Error messages never contain the key.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.dsa import DSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

SIGNING_KEY_VARIABLE = "KNOCK_SIGNING_KEY"
KNOCK_API = "https://api.knock.app"
DEFAULT_EXPIRES_IN = 60 * 60
MAX_EXPIRES_IN = 365 * 24 * 60 * 60
MIN_KEY_BITS = 2048
"""What `jose` (under the Node SDK) and the API's verifier require of an RS256 key."""
GRANT_NAMES = (
    "slack/channels_read",
    "ms_teams/channels_read",
    "channel_data/read",
    "channel_data/write",
    "user/feed_read",
)
"""The Node SDK's `Grants` enum."""
ENTITY_FORMS = "user:ID, object:COLLECTION/ID, tenant:ID or a full https:// URI"
_PEM_START = b"-----BEGIN"
_BASE64_PEM_START = b"LS0tLS1CRUdJTi"  # base64 of "-----BEGIN"

Grants = dict[str, dict[str, list[Any]]]
"""`{"<entity URI>": {"<grant name>": []}}`, the `grants` claim."""


class TokenError(ValueError):
    """A missing or unusable key, or a bad grant or lifetime. The message is one line, without the key."""


def load_signing_key(path: str | None, environ: Mapping[str, str]) -> bytes:
    """The PEM of the signing key: from the file `path`, else from $KNOCK_SIGNING_KEY (PEM or base64 of PEM)."""
    if path is not None:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise TokenError(f"cannot read the signing key {path}: {error.strerror or error}") from None
        return _pem(data, f"the signing key file {path}")
    text = environ.get(SIGNING_KEY_VARIABLE, "")
    if not text.strip():
        raise TokenError(f"no signing key: pass --key PATH or set {SIGNING_KEY_VARIABLE}")
    return _pem(text.encode("utf-8", "replace"), SIGNING_KEY_VARIABLE)


def _pem(data: bytes, source: str) -> bytes:
    data = data.strip()
    if data.startswith(_PEM_START):
        return data
    if data.startswith(_BASE64_PEM_START):
        try:
            decoded = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raise TokenError(f"{source} starts like a base64-encoded PEM key but is not valid base64") from None
        if decoded.strip().startswith(_PEM_START):
            return decoded.strip()
    raise TokenError(f"{source} holds neither a PEM key (-----BEGIN ...) nor the base64 of one")


def private_key(private_key_pem: bytes) -> RSAPrivateKey:
    """The RSA private key in `private_key_pem`; `TokenError` for any other key, or none."""
    try:
        key = load_pem_private_key(private_key_pem, password=None)
    except TypeError:
        raise TokenError("the signing key is encrypted: give the key without a passphrase") from None
    except ValueError:
        raise TokenError("the signing key is not a PEM private key") from None
    except Exception:  # cryptography's UnsupportedAlgorithm and the like
        raise TokenError("the signing key is not a private key this tool can read") from None
    if not isinstance(key, RSAPrivateKey):
        raise TokenError(f"the signing key is not an RSA private key (RS256 needs one), it is {_kind(key)}")
    if key.key_size < MIN_KEY_BITS:
        raise TokenError(f"the signing key has {key.key_size} bits; RS256 needs at least {MIN_KEY_BITS}")
    return key


def _kind(key: object) -> str:
    kinds = {EllipticCurvePrivateKey: "an EC key", Ed25519PrivateKey: "an Ed25519 key", DSAPrivateKey: "a DSA key"}
    return next((kind for cls, kind in kinds.items() if isinstance(key, cls)), "another kind of key")


def entity_uri(entity: str) -> str:
    """The URI the Node SDK builds for `user:ID`, `object:COLLECTION/ID` or `tenant:ID`; a URI as it is.

    Like the Node SDK, ids go into the URI as they are, not percent-encoded.
    """
    if entity.startswith("https://") and len(entity) > len("https://"):
        return entity
    kind, colon, rest = entity.partition(":")
    if colon and rest:
        if kind == "user":
            return f"{KNOCK_API}/v1/users/{rest}"
        if kind == "tenant":
            return f"{KNOCK_API}/v1/objects/$tenants/{rest}"
        collection, slash, object_id = rest.partition("/")
        if kind == "object" and slash and collection and object_id:
            return f"{KNOCK_API}/v1/objects/{collection}/{object_id}"
        if kind == "object":
            raise TokenError(f"entity {entity!r}: an object is object:COLLECTION/ID")
    raise TokenError(f"unknown entity {entity!r}: use {ENTITY_FORMS}")


def user_token_grant(entity: str, grant_names: Sequence[str]) -> Grants:
    """`{entity_uri(entity): {name: [] for each grant}}`, like the Node SDK's `buildUserTokenGrant`."""
    unknown = [name for name in grant_names if name not in GRANT_NAMES]
    if unknown:
        raise TokenError(f"unknown grant {unknown[0]!r}: the grants are {', '.join(GRANT_NAMES)}")
    if not grant_names:
        raise TokenError(f"no grant for {entity!r}: name at least one of {', '.join(GRANT_NAMES)}")
    return {entity_uri(entity): {name: [] for name in grant_names}}


def parse_grant(text: str) -> Grants:
    """`ENTITY=GRANT[,GRANT...]`, e.g. `object:projects/p1=channel_data/read,channel_data/write`."""
    entity, equals, names = text.rpartition("=")
    if not equals or not entity:
        raise TokenError(f"grant {text!r} is not ENTITY=GRANT[,GRANT...] (ENTITY is {ENTITY_FORMS})")
    return user_token_grant(entity, [name.strip() for name in names.split(",") if name.strip()])


def merge_grants(grants: Iterable[Grants]) -> Grants:
    """One `grants` claim from several, the grants of one entity merged, like `maybePrepareUserTokenGrants`."""
    merged: Grants = {}
    for grant in grants:
        for uri, names in grant.items():
            merged[uri] = {**merged.get(uri, {}), **names}
    return merged


def check_expires_in(expires_in: int) -> int:
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise TokenError(f"the lifetime must be between 1 and {MAX_EXPIRES_IN:,} seconds, not {expires_in!r}")
    return expires_in


def sign_user_token(
    private_key_pem: bytes,
    user_id: str,
    grants: Grants | None = None,
    expires_in: int = DEFAULT_EXPIRES_IN,
    now: int | None = None,
) -> str:
    """The user token of `user_id`: claims `sub`, `grants` (unless None), `iat` (`now`) and `exp`, RS256.

    The claims come in the Node SDK's order, so for the same key, claims and second, both make the same token.
    """
    if not isinstance(user_id, str) or not user_id:
        raise TokenError("the user id must not be empty")
    check_expires_in(expires_in)
    key = private_key(private_key_pem)
    issued_at = int(time.time()) if now is None else now
    claims: dict[str, Any] = {"sub": user_id}
    if grants is not None:
        claims["grants"] = grants
    claims.update(iat=issued_at, exp=issued_at + expires_in)
    return jwt.encode(claims, key, algorithm="RS256", headers={"typ": "JWT"})
