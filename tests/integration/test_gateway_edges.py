"""Requests at the edges of what API Gateway and Lambda accept, over real HTTP: the longest write,
header values that are not ASCII, methods no route names, and Lambda's invocation payload limit."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

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
