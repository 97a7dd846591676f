"""Knock's routes this service does not serve: the SDK gets a 404 `not_implemented` at once, no retries."""

from __future__ import annotations

import httpx
import knockapi
import pytest
from knockapi import Knock

from tests.local_api import ApiTarget

pytestmark = pytest.mark.contract


def test_an_unserved_knock_call_is_a_not_found_error_coded_not_implemented_without_retries(api: ApiTarget) -> None:
    # Given the SDK with its default retries (2), counting the requests it sends
    requests: list[httpx.Request] = []
    client = httpx.Client(event_hooks={"request": [requests.append]})
    # When it lists messages, which this service does not serve
    with (
        Knock(api_key=api.api_key, base_url=api.url, http_client=client) as knock,
        pytest.raises(knockapi.NotFoundError) as raised,
    ):
        knock.messages.list()

    # Then one request, a 404 that names the route and says why
    assert len(requests) == 1
    body = raised.value.body
    assert isinstance(body, dict)
    assert body["code"] == "not_implemented"
    assert body["message"].startswith("GET /v1/messages is part of Knock's API that this service does not implement")


def test_an_unknown_user_stays_a_plain_not_found(knock: Knock, api: ApiTarget) -> None:
    with pytest.raises(knockapi.NotFoundError) as raised:
        knock.users.get("sdk-not-implemented-nobody")

    assert isinstance(raised.value.body, dict)
    assert raised.value.body["code"] != "not_implemented"
