"""`@knocklabs/client` in headless Chromium against the local API: what a front end does with a public key.

One browser for the module (tests/browser/driver.py), four runs of page/app.mjs, each in its own
context: `authenticate({id, name, email}, token)` (which identifies the user inline), `user.get`,
`user.setPreferences` / `getPreferences` and `user.setChannelData` / `getChannelData`, with

- a token signed by `@knocklabs/node`'s `signUserToken`, from a page on an allowed origin
  (http://127.0.0.1:<port>);
- a token signed by `recipients sign-user-token`, the same;
- a valid token, from a page on an origin CORS does not allow (http://evil.test:<port>, which
  Chromium resolves to 127.0.0.1);
- another user's token, from an allowed origin.

What the browser saw is checked against what the API stored, read with the secret key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.browser.driver import BrowserApi, SigningKey, run_in_browser, sign_with_cli, sign_with_node_sdk

# One worker runs them all under pytest-xdist's --dist loadgroup (make test): one browser, one server.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PUSH_CHANNEL = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"  # a push channel's UUID (any UUID will do)
PUSH_TOKENS = ["fcm-registration-token-1", "apns-device-token-2"]
PREFERENCES: dict[str, Any] = {
    "channel_types": {"email": False, "sms": True},
    "workflows": {"welcome": {"channel_types": {"push": False}}, "weekly-digest": False},
}
ALLOWED_RUNS = ["node-sdk-token", "cli-token"]
CALLS = ["user", "setPreferences", "getPreferences", "setChannelData", "getChannelData"]


@dataclass(frozen=True)
class Run:
    user: dict[str, str]
    origin: str
    results: dict[str, Any]
    console: list[dict[str, str]]


@pytest.fixture(scope="module")
def browser(browser_api: BrowserApi, signing_key: SigningKey) -> dict[str, Run]:
    """Every run's user and what its page saw, by run name (one Chromium launch for the module)."""
    suffix = uuid.uuid4().hex[:12]
    users = {
        name: {"id": f"browser-{name}-{suffix}", "name": f"Browser {name}", "email": f"{name}-{suffix}@example.com"}
        for name in [*ALLOWED_RUNS, "blocked", "stranger"]
    }
    tokens = {
        "node-sdk-token": sign_with_node_sdk(users["node-sdk-token"]["id"], signing_key.private_pem),
        "cli-token": sign_with_cli(users["cli-token"]["id"], signing_key.private_path),
        "blocked": sign_with_cli(users["blocked"]["id"], signing_key.private_path),
    }
    tokens["stranger"] = tokens["cli-token"]  # the cli-token user's token, for another user's page
    hosts = {"blocked": "evil.test"}
    runs = [
        {
            "name": name,
            "host": hosts.get(name, "127.0.0.1"),
            "input": {
                "apiUrl": browser_api.target.url,
                "publicKey": browser_api.public_key,
                "user": user,
                "token": tokens[name],
                "preferences": PREFERENCES,
                "channelId": PUSH_CHANNEL,
                "channelData": {"tokens": PUSH_TOKENS},
            },
        }
        for name, user in users.items()
    ]
    answers = run_in_browser(runs)
    for name, answer in answers.items():
        assert not answer["pageErrors"], f"the page of the run {name} threw: {answer['pageErrors']}"
    return {name: Run(users[name], got["origin"], got["results"], got["console"]) for name, got in answers.items()}


@pytest.mark.parametrize("run", ALLOWED_RUNS)
def test_authenticate_identifies_the_user_inline(browser: dict[str, Run], secret_http: httpx.Client, run: str) -> None:
    user = browser[run].user
    identify = browser[run].results["identify"]
    assert identify["method"] == "PUT" and identify["path"] == f"/v1/users/{user['id']}"
    assert identify.get("status") == 200, identify

    stored = secret_http.get(f"/v1/users/{user['id']}")
    assert stored.status_code == 200, stored.text
    assert {field: stored.json()[field] for field in ("id", "name", "email")} == user


@pytest.mark.parametrize("run", ALLOWED_RUNS)
def test_an_allowed_origin_passes_cors_on_every_call(browser: dict[str, Run], run: str) -> None:
    assert browser[run].origin.startswith("http://127.0.0.1:")
    refused = [attempt for attempt in browser[run].results["attempts"] if attempt.get("status") != 200]
    assert not refused, f"requests the browser did not get a 200 for: {refused}"
    assert len(browser[run].results["attempts"]) == 1 + len(CALLS)  # the inline identify, then one per call


@pytest.mark.parametrize("run", ALLOWED_RUNS)
def test_user_get_answers_the_identified_user(browser: dict[str, Run], run: str) -> None:
    got = browser[run].results["user"]
    assert "value" in got, got
    assert {field: got["value"][field] for field in ("id", "name", "email")} == browser[run].user


@pytest.mark.parametrize("run", ALLOWED_RUNS)
def test_preferences_round_trip(browser: dict[str, Run], secret_http: httpx.Client, run: str) -> None:
    user_id = browser[run].user["id"]
    for call in ("setPreferences", "getPreferences"):
        outcome = browser[run].results[call]
        assert "value" in outcome, f"{call}: {outcome}"
        preference_set = outcome["value"]
        assert preference_set["id"] == "default", call
        assert preference_set["channel_types"] == PREFERENCES["channel_types"], call
        assert preference_set["workflows"] == PREFERENCES["workflows"], call

    stored = secret_http.get(f"/v1/users/{user_id}/preferences/default")
    assert stored.status_code == 200, stored.text
    assert stored.json()["channel_types"] == PREFERENCES["channel_types"]
    assert stored.json()["workflows"] == PREFERENCES["workflows"]


@pytest.mark.parametrize("run", ALLOWED_RUNS)
def test_channel_data_round_trip(browser: dict[str, Run], secret_http: httpx.Client, run: str) -> None:
    user_id = browser[run].user["id"]
    for call in ("setChannelData", "getChannelData"):
        outcome = browser[run].results[call]
        assert "value" in outcome, f"{call}: {outcome}"
        assert outcome["value"]["channel_id"] == PUSH_CHANNEL, call
        assert outcome["value"]["data"]["tokens"] == PUSH_TOKENS, call

    stored = secret_http.get(f"/v1/users/{user_id}/channel_data/{PUSH_CHANNEL}")
    assert stored.status_code == 200, stored.text
    assert stored.json()["data"]["tokens"] == PUSH_TOKENS


def test_a_page_on_another_origin_is_blocked_by_cors(browser: dict[str, Run], secret_http: httpx.Client) -> None:
    blocked = browser["blocked"]
    assert blocked.origin.startswith("http://evil.test:")
    assert "Failed to fetch" in blocked.results["identify"].get("error", ""), blocked.results["identify"]
    for call in CALLS:
        assert "Failed to fetch" in blocked.results[call].get("error", ""), f"{call}: {blocked.results[call]}"
    answered = [attempt for attempt in blocked.results["attempts"] if "status" in attempt]
    assert not answered, f"the browser let these answers through to the page: {answered}"
    # Chromium says why: the preflight's answer has no Access-Control-Allow-Origin for this origin.
    cors_errors = [
        message["text"]
        for message in blocked.console
        if "blocked by CORS policy" in message["text"] and f"from origin '{blocked.origin}'" in message["text"]
    ]
    assert cors_errors, f"no CORS error in the console: {blocked.console}"

    # The preflights failed, so no write was ever sent: the user (which any of them would create) is absent.
    user_id = blocked.user["id"]
    assert secret_http.get(f"/v1/users/{user_id}").status_code == 404
    assert secret_http.get(f"/v1/users/{user_id}/channel_data/{PUSH_CHANNEL}").status_code == 404


def test_a_token_for_another_user_is_refused(browser: dict[str, Run], secret_http: httpx.Client) -> None:
    stranger = browser["stranger"]
    identify = stranger.results["identify"]
    # A refusal the page can read (the API's CORS headers are on its 403s too), in Knock's shape.
    assert identify.get("status") == 403, identify
    assert identify["body"]["code"] == "user_token_mismatch"
    for call in CALLS:
        assert "status code 403" in stranger.results[call].get("error", ""), f"{call}: {stranger.results[call]}"
    assert secret_http.get(f"/v1/users/{stranger.user['id']}").status_code == 404
