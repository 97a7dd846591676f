"""Requests at the edges of what API Gateway and Lambda accept, over real HTTP: the longest write,
header values that are not ASCII, methods no route names, and Lambda's invocation payload limit."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.integration.support import assert_knock_error

pytestmark = pytest.mark.integration

NewUserId = Callable[[str], str]
MAX_KEYS_PER_WRITE = 250


def test_identify_with_250_custom_properties_returns_200_and_get_returns_them_all(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # Given the most properties one identify may set: one UpdateItem of 254 SET actions
    user_id = new_user_id("many-keys")
    properties = {f"custom_{i}": i for i in range(MAX_KEYS_PER_WRITE)}

    # When they are identified and the user read back
    written = http.put(f"/v1/users/{user_id}", json=properties)
    read = http.get(f"/v1/users/{user_id}")

    # Then both succeed and every property is there
    assert written.status_code == 200, written.text
    assert read.status_code == 200, read.text
    assert {key: read.json()[key] for key in properties} == properties


def test_identify_with_255_character_non_ascii_idempotency_key_returns_200(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # Given an Idempotency-Key of 255 characters that are two bytes each in UTF-8
    user_id = new_user_id("utf8-key")
    key = "\u00e9" * 255

    # When an identify carries it
    response = http.put(f"/v1/users/{user_id}", json={"name": "Ada"}, headers={"Idempotency-Key": key.encode()})

    # Then the key is 255 characters long, not 510 bytes, so it is accepted
    assert response.status_code == 200, response.text


def test_identify_with_256_character_non_ascii_idempotency_key_returns_422_naming_the_header(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # When an identify carries an Idempotency-Key one character too long
    key = "\u00e9" * 256
    response = http.put(
        f"/v1/users/{new_user_id('utf8-key')}", json={"name": "Ada"}, headers={"Idempotency-Key": key.encode()}
    )

    # Then it is refused, naming the header
    assert_knock_error(response, 422, "invalid_params", {"idempotency-key"})
