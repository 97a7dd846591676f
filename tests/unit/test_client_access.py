"""Public keys with user tokens, through the authorizer and then the function, as API Gateway runs them.

The authorizer tells a known public key from a secret key (its answer is cached by Authorization
alone); the function then checks the user token on every request and what it may do: only its own
user's routes, and an object's channel data with a grant on that object.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from functions.authorizer.app import lambda_handler as authorizer
from functions.channel_data.app import lambda_handler as channel_data
from functions.get.app import lambda_handler as get
from functions.identify.app import lambda_handler as identify
from functions.preferences.app import lambda_handler as preferences
from functions.trigger.app import lambda_handler as trigger
from recipients.users.store import get_user_store
from tests.conftest import EventLoader, FakeLambdaContext, UserTokens, new_rsa_key_pair
from tests.unit.knock import assert_knock_error, json_body

pytestmark = pytest.mark.usefixtures("recipients_table", "idempotency_table")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
CHANNEL = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
OTHER_PRIVATE_KEY, OTHER_PUBLIC_KEY = new_rsa_key_pair()


@pytest.fixture
def call(load_event: EventLoader, lambda_context: FakeLambdaContext) -> Callable[..., dict[str, Any]]:
    """Run a sample through the authorizer, then its function with the authorizer's answer, as API Gateway does."""

    def run(handler: Handler, sample: str, headers: dict[str, str | None], **variant: Any) -> dict[str, Any]:
        event = load_event(sample, headers=headers, **variant)
        answer = authorizer({**event, "type": "REQUEST"}, lambda_context)
        event["requestContext"]["authorizer"] = {"lambda": answer["context"]}
        return handler(event, lambda_context)

    return run


def identify_as(call: Callable[..., dict[str, Any]], user_tokens: UserTokens, user_id: str, token: str | None) -> Any:
    return call(identify, "identify", user_tokens.headers(token), path={"user_id": user_id}, body={"name": "Ada"})


def test_a_public_key_with_its_users_token_identifies_reads_and_sets_that_user(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens
) -> None:
    token = user_tokens.sign("user_1")
    headers = user_tokens.headers(token)
    assert identify_as(call, user_tokens, "user_1", token)["statusCode"] == 200
    assert json_body(call(get, "get", headers, path={"user_id": "user_1"}))["name"] == "Ada"
    path = {"user_id": "user_1", "set_id": "default"}
    assert call(preferences, "preferences_set", headers, path=path)["statusCode"] == 200
    assert call(preferences, "preferences_get", headers, path=path)["statusCode"] == 200
    assert call(preferences, "preferences_list", headers, path={"user_id": "user_1"})["statusCode"] == 200
    typed = call(preferences, "preferences_channel_type", headers, path={**path, "channel_type": "sms"})
    assert typed["statusCode"] == 200
    channel = {"user_id": "user_1", "channel_id": CHANNEL}
    assert call(channel_data, "channel_data_set", headers, path=channel)["statusCode"] == 200
    assert call(channel_data, "channel_data_get", headers, path=channel)["statusCode"] == 200
    assert call(channel_data, "channel_data_unset", headers, path=channel)["statusCode"] == 204


def test_two_users_sharing_one_public_key_each_reach_only_their_own_user(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens
) -> None:
    # The authorizer's answer is the same for both (one Authorization header): the tokens decide
    ada, bob = user_tokens.sign("ada"), user_tokens.sign("bob")
    assert identify_as(call, user_tokens, "ada", ada)["statusCode"] == 200
    refused = identify_as(call, user_tokens, "ada", bob)
    assert "another user" in assert_knock_error(refused, 403, "user_token_mismatch")["message"]
    assert identify_as(call, user_tokens, "bob", bob)["statusCode"] == 200
    assert identify_as(call, user_tokens, "bob", user_tokens.sign("ada", expires_in=-120))["statusCode"] == 401


@pytest.mark.parametrize(
    ("sample", "handler", "variant"),
    [
        ("trigger", trigger, {}),
        ("list", get, {}),
        ("preferences_unset", preferences, {"path": {"user_id": "user_1", "set_id": "default"}}),
    ],
    ids=["trigger", "list-users", "unset-preferences"],
)
def test_routes_no_browser_calls_are_refused_whatever_the_token(
    call: Callable[..., dict[str, Any]],
    user_tokens: UserTokens,
    stored_items: Callable[[], list[dict[str, Any]]],
    sample: str,
    handler: Handler,
    variant: dict[str, Any],
) -> None:
    response = call(handler, sample, user_tokens.headers(user_tokens.sign("user_1")), **variant)
    assert "public key" in assert_knock_error(response, 403, "incorrect_token_type")["message"]
    assert stored_items() == []


def _none_token(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


FORGERIES: dict[str, Callable[[UserTokens], str]] = {
    "alg-none": lambda tokens: _none_token({"sub": "user_1", "exp": 4_102_444_800}),
    "hs256-keyed-with-the-public-key": lambda tokens: _hmac_with_public_key(tokens),
    "signed-with-another-key": lambda tokens: tokens.sign("user_1", private_pem=OTHER_PRIVATE_KEY),
    "expired": lambda tokens: tokens.sign("user_1", expires_in=-120),
    "iat-far-in-the-future": lambda tokens: tokens.sign("user_1", iat=4_000_000_000, expires_in=10**9 + 4_000_000_000),
    "nbf-in-the-future": lambda tokens: tokens.sign("user_1", nbf=4_000_000_000),
    "no-sub": lambda tokens: tokens.sign(None),
    "sub-not-a-string": lambda tokens: tokens.sign(42),
    "sub-with-a-hash": lambda tokens: tokens.sign("user_1#x"),
    "no-exp": lambda tokens: jwt.encode({"sub": "user_1"}, tokens.private_pem, "RS256"),
    "tampered-payload": lambda tokens: _tampered(tokens.sign("user_1")),
    "16-kb": lambda tokens: tokens.sign("user_1", padding="x" * 16_000),
    "garbage": lambda tokens: "not-a-jwt",
    "three-dots-of-nothing": lambda tokens: "..",
    "grants-not-an-object": lambda tokens: tokens.sign("user_1", grants=["channel_data/read"]),
}


def _hmac_with_public_key(tokens: UserTokens) -> str:
    """HS256 keyed with the public key's PEM: what a verifier that trusts the header's `alg` would accept."""
    import hashlib
    import hmac

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'user_1', 'exp': 4_102_444_800})}"
    signature = hmac.new(tokens.public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_a_forged_or_broken_user_token_is_401_and_writes_nothing(
    call: Callable[..., dict[str, Any]],
    user_tokens: UserTokens,
    stored_items: Callable[[], list[dict[str, Any]]],
    forgery: str,
) -> None:
    token = FORGERIES[forgery](user_tokens)
    body = assert_knock_error(identify_as(call, user_tokens, "user_1", token), 401, "invalid_user_token")
    assert "user token" in body["message"] and token not in body["message"]
    assert stored_items() == []


def test_a_valid_token_is_not_remembered_for_the_next_request(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens
) -> None:
    # Given a request that a valid token allowed
    assert identify_as(call, user_tokens, "user_1", user_tokens.sign("user_1"))["statusCode"] == 200
    # Then the next request with the same public key and a bad token, or none, is still refused
    assert identify_as(call, user_tokens, "user_1", "garbage")["statusCode"] == 401
    assert_knock_error(identify_as(call, user_tokens, "user_1", None), 401, "missing_user_token")


def test_a_secret_key_with_a_user_token_is_refused(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens, api_key_parameter: str
) -> None:
    headers = {"authorization": f"Bearer {api_key_parameter}", "x-knock-user-token": user_tokens.sign("user_1")}
    response = call(identify, "identify", headers, path={"user_id": "user_1"}, body={"name": "Ada"})
    assert_knock_error(response, 403, "incorrect_token_type")
    assert get_user_store().get_user("user_1") is None


def test_either_of_two_stored_public_keys_verifies_tokens_during_a_rotation(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens, ssm_parameter: Callable[[str, str], None]
) -> None:
    ssm_parameter("SIGNING_PUBLIC_KEYS_PARAMETER", user_tokens.public_pem + "\n" + OTHER_PUBLIC_KEY)
    for private in (user_tokens.private_pem, OTHER_PRIVATE_KEY):
        token = user_tokens.sign("user_1", private_pem=private)
        assert identify_as(call, user_tokens, "user_1", token)["statusCode"] == 200


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        ("not a key", 401, "missing_jwt_signing_key"),
        (OTHER_PUBLIC_KEY.replace("MII", "XXX", 1), 401, "missing_jwt_signing_key"),
        (None, 503, "service_unavailable"),
    ],
    ids=["no-pem-block", "broken-pem", "parameter-missing"],
)
def test_signing_keys_that_cannot_be_read_refuse_public_keys_and_say_why(
    call: Callable[..., dict[str, Any]],
    user_tokens: UserTokens,
    ssm_parameter: Callable[[str, str | None], None],
    log_output: Callable[[], str],
    value: str | None,
    status: int,
    code: str,
) -> None:
    ssm_parameter("SIGNING_PUBLIC_KEYS_PARAMETER", value)
    response = identify_as(call, user_tokens, "user_1", user_tokens.sign("user_1"))
    assert_knock_error(response, status, code)
    assert "user tokens' public keys" in log_output()


def test_an_object_s_channel_data_needs_a_grant_on_that_object(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens, stored_items: Callable[[], list[dict[str, Any]]]
) -> None:
    project = "https://api.knock.app/v1/objects/projects/p1"
    token = user_tokens.sign("user_1", grants={project: {"channel_data/read": [], "channel_data/write": []}})
    headers = user_tokens.headers(token)
    path = {"collection": "projects", "object_id": "p1", "channel_id": CHANNEL}
    assert call(channel_data, "channel_data_objects_set", headers, path=path)["statusCode"] == 200
    assert call(channel_data, "channel_data_objects_get", headers, path=path)["statusCode"] == 200
    # the grant names one object: another one, or a read-only grant used to write, is refused
    other = call(channel_data, "channel_data_objects_set", headers, path={**path, "object_id": "p2"})
    assert "objects/projects/p2" in assert_knock_error(other, 403, "missing_grant")["message"]
    read_only = user_tokens.headers(user_tokens.sign("user_1", grants={project: {"channel_data/read": [{}]}}))
    assert_knock_error(call(channel_data, "channel_data_objects_set", read_only, path=path), 403, "missing_grant")
    no_grant = user_tokens.headers(user_tokens.sign("user_1"))
    assert_knock_error(call(channel_data, "channel_data_objects_get", no_grant, path=path), 403, "missing_grant")
    assert len(stored_items()) == 1


def test_explicit_grants_limit_the_user_s_own_routes_to_those_listed(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens
) -> None:
    user = "https://api.knock.app/v1/users/user_1"
    token = user_tokens.sign("user_1", explicit_grants=True, grants={user: {"user/read": []}})
    assert_knock_error(identify_as(call, user_tokens, "user_1", token), 403, "missing_grant")
    writer = user_tokens.sign("user_1", explicit_grants=True, grants={user: {"user/write": []}})
    assert identify_as(call, user_tokens, "user_1", writer)["statusCode"] == 200


def test_a_token_of_a_deleted_user_identifies_it_again(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens
) -> None:
    # Deleting a user does not revoke the tokens signed for it: they expire (README)
    token = user_tokens.sign("user_1")
    assert identify_as(call, user_tokens, "user_1", token)["statusCode"] == 200
    assert get_user_store().delete_user("user_1")
    assert identify_as(call, user_tokens, "user_1", token)["statusCode"] == 200
    assert get_user_store().get_user("user_1") is not None


def test_without_enhanced_security_a_public_key_alone_acts_as_any_user(
    call: Callable[..., dict[str, Any]], user_tokens: UserTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_KEY_WITHOUT_USER_TOKEN", "true")
    assert identify_as(call, user_tokens, "anyone", None)["statusCode"] == 200
    response = call(trigger, "trigger", user_tokens.headers(None))
    assert_knock_error(response, 403, "incorrect_token_type")  # still only the browser's routes
