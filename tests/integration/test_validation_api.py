"""Every bad input is a Knock-shaped 4xx naming the field, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.support import assert_knock_error

pytestmark = pytest.mark.integration

NewUserId = Callable[[str], str]
PROPERTIES_LIMIT = 256 * 1024
BLOB_OVERHEAD = len('{"blob":""}')


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "ada@@example.com"),
        ("phone_number", "12345"),
        ("phone_number", "+0123456"),
        ("avatar", "ftp://example.com/ada.png"),
        ("avatar", "not a url"),
        ("timezone", "Mars/Olympus_Mons"),
        ("locale", "not a locale"),
        ("created_at", "yesterday"),
        ("created_at", "2024-13-45T99:00:00Z"),
        ("name", 123),
        ("name", ["Ada"]),
        ("email", 42),
        ("created_at", 1716379200),
        ("timezone", {"zone": "UTC"}),
        ("channel_data", "tokens"),
        ("preferences", ["default"]),
    ],
)
def test_identify_invalid_property_returns_422_and_writes_nothing(
    http: httpx.Client, new_user_id: NewUserId, field: str, value: Any
) -> None:
    # Given a new user id
    user_id = new_user_id("invalid")

    # When a property breaks a data rule (or has the wrong type)
    response = http.put(f"/v1/users/{user_id}", json={field: value})

    # Then the answer names the field, and the user was not created
    assert_knock_error(response, 422, "invalid_params", {field})
    assert http.get(f"/v1/users/{user_id}").status_code == 404


def test_identify_invalid_property_on_existing_user_leaves_it_unchanged(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # Given an identified user
    user_id = new_user_id("unchanged")
    before = http.put(f"/v1/users/{user_id}", json={"name": "Ada", "plan": "pro"}).json()

    # When an identify mixes valid changes with one invalid field
    response = http.put(f"/v1/users/{user_id}", json={"name": "Changed", "plan": "free", "email": "nope"})

    # Then it is rejected as a whole
    assert_knock_error(response, 422, "invalid_params", {"email"})
    assert http.get(f"/v1/users/{user_id}").json() == before


@pytest.mark.parametrize(
    "raw_id",
    [
        pytest.param("%20%20", id="blank"),
        pytest.param("a" * 257, id="257-chars"),
        pytest.param("team%2Fada", id="slash"),
        pytest.param("team%23ada", id="hash"),
        pytest.param("ada%00", id="control-char"),
        pytest.param("ada%C3%28", id="bad-utf8"),
    ],
)
def test_identify_invalid_user_id_returns_422_and_is_not_addressable(http: httpx.Client, raw_id: str) -> None:
    # When a user is identified under an id that breaks the id rules (raw_id is the encoded path segment)
    response = http.put(f"/v1/users/{raw_id}", json={"name": "Ada"})

    # Then the answer names user_id, and the same id cannot be read either
    assert_knock_error(response, 422, "invalid_params", {"user_id"})
    assert_knock_error(http.get(f"/v1/users/{raw_id}"), 422, "invalid_params", {"user_id"})


def test_identify_256_char_user_id_returns_200(http: httpx.Client) -> None:
    # Given the longest id allowed
    user_id = "b" * 255 + "\u00e9"  # 256 characters, the last one two bytes in UTF-8

    # When it is identified (percent-encoded, as the SDK sends it)
    response = http.put(f"/v1/users/{'b' * 255}%C3%A9", json={"name": "Long"})

    # Then it is accepted and stored under exactly that id
    try:
        assert response.status_code == 200, response.text
        assert response.json()["id"] == user_id
    finally:
        http.delete(f"/v1/users/{'b' * 255}%C3%A9")


def test_identify_body_id_different_from_path_returns_422(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a new user id
    user_id = new_user_id("id-mismatch")

    # When the body carries another id
    response = http.put(f"/v1/users/{user_id}", json={"id": f"{user_id}-other", "name": "Ada"})

    # Then ids never change: the answer names id and nothing is written
    assert_knock_error(response, 422, "invalid_params", {"id"})
    assert http.get(f"/v1/users/{user_id}").status_code == 404


def test_identify_custom_properties_at_256_kib_returns_200(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given custom properties that serialize to exactly 256 KiB of JSON
    user_id = new_user_id("at-limit")
    blob = "x" * (PROPERTIES_LIMIT - BLOB_OVERHEAD)

    # When they are identified
    response = http.put(f"/v1/users/{user_id}", json={"blob": blob})

    # Then they are accepted whole
    assert response.status_code == 200, response.text[:500]
    assert http.get(f"/v1/users/{user_id}").json()["blob"] == blob


def test_identify_custom_properties_over_256_kib_returns_422_and_keeps_user(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # Given an identified user
    user_id = new_user_id("too-large")
    before = http.put(f"/v1/users/{user_id}", json={"plan": "pro"}).json()

    # When custom properties one byte over 256 KiB are sent
    overhead = len('{"plan":"free","blob":""}')
    response = http.put(f"/v1/users/{user_id}", json={"plan": "free", "blob": "x" * (PROPERTIES_LIMIT - overhead + 1)})

    # Then the answer is 422 properties_too_large and the user is unchanged
    assert_knock_error(response, 422, "properties_too_large", {"properties"})
    assert http.get(f"/v1/users/{user_id}").json() == before


@pytest.mark.parametrize(
    "content",
    [b'{"name": "Ada",', b'{"name": "\xff\xfe"}'],
    ids=["malformed-json", "not-utf8"],  # API Gateway hands bytes that are not UTF-8 over base64-encoded
)
def test_identify_unreadable_body_returns_400_and_writes_nothing(
    http: httpx.Client, new_user_id: NewUserId, content: bytes
) -> None:
    # Given a new user id
    user_id = new_user_id("unreadable")

    # When the body cannot be read as JSON text
    response = http.put(f"/v1/users/{user_id}", content=content, headers={"content-type": "application/json"})

    # Then the answer is a Knock-shaped 400 and nothing was written
    assert_knock_error(response, 400, "invalid_json")
    assert http.get(f"/v1/users/{user_id}").status_code == 404


@pytest.mark.parametrize("body", ["[1, 2]", '"Ada"', "42", "null", "true"])
def test_identify_non_object_body_returns_422_and_writes_nothing(
    http: httpx.Client, new_user_id: NewUserId, body: str
) -> None:
    # Given a new user id
    user_id = new_user_id("not-object")

    # When the body is valid JSON but not an object
    response = http.put(f"/v1/users/{user_id}", content=body.encode(), headers={"content-type": "application/json"})

    # Then the answer is a 422 about the body and nothing was written
    assert_knock_error(response, 422, "invalid_params", {"body"})
    assert http.get(f"/v1/users/{user_id}").status_code == 404


def test_identify_text_plain_body_returns_415_and_writes_nothing(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a new user id
    user_id = new_user_id("text-plain")

    # When a JSON-looking body is sent as text/plain
    response = http.put(f"/v1/users/{user_id}", content=b'{"name": "Ada"}', headers={"content-type": "text/plain"})

    # Then the answer is a Knock-shaped 415 and nothing was written
    assert_knock_error(response, 415, "unsupported_media_type")
    assert http.get(f"/v1/users/{user_id}").status_code == 404
