"""Browser access over HTTP: a public key with user tokens, through the local API's authorizer cache and CORS.

Locally the tokens are signed with the development key pair `make run` makes (`.local-keys/`); against
a deployed stage (API_URL) with KNOCK_SIGNING_KEY and its public key RECIPIENTS_PUBLIC_API_KEY.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from importer.tokens import load_signing_key, sign_user_token
from local.signing import DEV_PRIVATE_KEY
from tests.integration.support import assert_knock_error
from tests.local_api import ApiTarget

pytestmark = pytest.mark.integration

NewUserId = Callable[[str], str]
PUBLIC_KEY = os.environ.get("RECIPIENTS_PUBLIC_API_KEY") or "pk_test_local"


@pytest.fixture(scope="session")
def signing_key(api: ApiTarget) -> bytes:
    if api.is_local:
        return Path(DEV_PRIVATE_KEY).read_bytes()
    return load_signing_key(None, os.environ)


def browser_headers(signing_key: bytes, user_id: str, **extra: str) -> dict[str, str]:
    token = sign_user_token(signing_key, user_id, None, 600)
    return {"Authorization": f"Bearer {PUBLIC_KEY}", "X-Knock-User-Token": token, **extra}


def test_users_sharing_the_public_key_never_get_each_other_s_answer(
    anonymous_http: httpx.Client, http: httpx.Client, new_user_id: NewUserId, signing_key: bytes
) -> None:
    # Given two users' tokens for one public key, sent one after the other (the authorizer's answer
    # is cached by the Authorization header, which they share)
    ada, bob = new_user_id("browser-ada"), new_user_id("browser-bob")
    as_ada, as_bob = browser_headers(signing_key, ada), browser_headers(signing_key, bob)

    # When each identifies itself, then tries the other
    assert anonymous_http.put(f"/v1/users/{ada}", headers=as_ada, json={"name": "Ada"}).status_code == 200
    crossed = anonymous_http.put(f"/v1/users/{ada}", headers=as_bob, json={"name": "Mallory"})
    assert anonymous_http.put(f"/v1/users/{bob}", headers=as_bob, json={"name": "Bob"}).status_code == 200
    without_token = anonymous_http.get(f"/v1/users/{bob}", headers={"Authorization": f"Bearer {PUBLIC_KEY}"})

    # Then each token reached only its own user, and the cached verdict let nothing else through
    assert_knock_error(crossed, 403, "user_token_mismatch")
    assert_knock_error(without_token, 401, "missing_user_token")
    assert http.get(f"/v1/users/{ada}").json()["name"] == "Ada"
    assert http.get(f"/v1/users/{bob}").json()["name"] == "Bob"
    # and the secret key still works (it sends no user token, which the authorizer does not need)
    assert http.get("/v1/users", params={"page_size": 1}).status_code == 200


def test_a_public_key_reaches_preferences_and_channel_data_of_its_user_only(
    anonymous_http: httpx.Client, new_user_id: NewUserId, signing_key: bytes
) -> None:
    user = new_user_id("browser-prefs")
    headers = browser_headers(signing_key, user)
    channel = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
    put = anonymous_http.put(f"/v1/users/{user}/preferences/default", headers=headers, json={"workflows": {"w": False}})
    assert put.json()["workflows"] == {"w": False}
    data = anonymous_http.put(
        f"/v1/users/{user}/channel_data/{channel}", headers=headers, json={"data": {"tokens": ["t1"]}}
    )
    assert data.json()["data"]["tokens"] == ["t1"]
    assert_knock_error(anonymous_http.get("/v1/users", headers=headers), 403, "incorrect_token_type")
    trigger = anonymous_http.post("/v1/workflows/welcome/trigger", headers=headers, json={"recipients": [user]})
    assert_knock_error(trigger, 403, "incorrect_token_type")


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:8080"])
def test_a_preflight_from_an_allowed_origin_is_answered_with_the_client_s_headers(
    api: ApiTarget, anonymous_http: httpx.Client, origin: str
) -> None:
    if not api.is_local:
        pytest.fail("this checks make run's own origins; a stage allows its CorsAllowedOrigins")
    response = anonymous_http.options(
        "/v1/users/ada",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type,x-knock-user-token,x-knock-client",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert "x-knock-user-token" in response.headers["access-control-allow-headers"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
        {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "PATCH"},
        {
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-admin-override",
        },
    ],
    ids=["other-origin", "other-method", "other-header"],
)
def test_a_preflight_asking_for_what_is_not_allowed_gets_no_cors_headers(
    anonymous_http: httpx.Client, headers: dict[str, str]
) -> None:
    response = anonymous_http.options("/v1/users/ada", headers=headers)
    assert response.status_code == 204
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_answers_carry_the_allowed_origin_only(
    anonymous_http: httpx.Client, http: httpx.Client, new_user_id: NewUserId, signing_key: bytes
) -> None:
    user = new_user_id("browser-origin")
    allowed = browser_headers(signing_key, user, Origin="http://localhost:5173")
    answer = anonymous_http.put(f"/v1/users/{user}", headers=allowed, json={"name": "Ada"})
    assert answer.headers["access-control-allow-origin"] == "http://localhost:5173"
    other = anonymous_http.get(f"/v1/users/{user}", headers={**allowed, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
