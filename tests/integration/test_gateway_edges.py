"""Requests at the edges of what API Gateway and Lambda accept, over real HTTP: the longest write,
header values that are not ASCII, methods no route names, and Lambda's invocation payload limit."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable

import httpx
import pytest

from tests.integration.support import assert_knock_error
from tests.local_api import ApiTarget

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


def _send(api: ApiTarget, method: str, target: str) -> httpx.Response:
    """`method` and `target` exactly as given, over http.client (httpx treats CONNECT as a tunnel)."""
    url = httpx.URL(api.url)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.host, url.port, timeout=30)
    try:
        connection.request(method, target, headers={"Authorization": f"Bearer {api.api_key}"})
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "PURGE", "LINK"])
def test_request_with_a_method_no_route_names_on_a_known_path_returns_405_json_with_allow(
    api: ApiTarget, new_user_id: NewUserId, method: str
) -> None:
    # When a user's path is requested with a method no route of the template names
    response = _send(api, method, f"/v1/users/{new_user_id('method')}")

    # Then the $default route answers a Knock-shaped 405 listing the methods the path serves
    assert_knock_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "DELETE, GET, PUT"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "X-CUSTOM"])
def test_request_with_a_method_no_route_names_on_an_unknown_path_returns_404_json(api: ApiTarget, method: str) -> None:
    # When a path no route serves is requested with a method no route names
    response = _send(api, method, "/v1/nowhere")

    # Then the $default route answers a Knock-shaped 404
    assert_knock_error(response, 404, "resource_missing")


@pytest.mark.parametrize(("method", "target"), [("CONNECT", "host.example:443"), ("OPTIONS", "*")])
def test_request_target_that_is_not_a_path_returns_json_400_locally(api: ApiTarget, method: str, target: str) -> None:
    if not api.is_local:
        pytest.skip("what a deployed stage answers to a target that is not a path is up to AWS")
    # When the request target is an authority or "*", which no route can match
    response = _send(api, method, target)

    # Then the local gateway answers itself, in JSON (never http.server's HTML)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content) == {"message": "Bad Request"}


LAMBDA_REQUEST_PAYLOAD_BYTES = 6_291_456
"""Lambda's limit on a synchronous invocation's event; API Gateway's own body limit is 10 MB."""


def _blob(total_bytes: int) -> bytes:
    """A JSON object body of exactly `total_bytes` bytes."""
    frame = b'{"blob": ""}'
    return frame[:-2] + b"x" * (total_bytes - len(frame)) + frame[-2:]


def test_identify_whose_event_is_over_lambdas_payload_limit_returns_413_and_writes_nothing(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # Given a body under API Gateway's 10 MB whose event alone would be over Lambda's 6 MB
    user_id = new_user_id("huge-event")
    body = _blob(LAMBDA_REQUEST_PAYLOAD_BYTES)

    # When it is sent
    response = http.put(f"/v1/users/{user_id}", content=body, headers={"Content-Type": "application/json"})

    # Then API Gateway refuses it without invoking the function: nothing is written
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}
    assert http.get(f"/v1/users/{user_id}").status_code == 404


def test_identify_whose_event_is_just_under_lambdas_payload_limit_reaches_the_function(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # Given a body 16 KB under Lambda's limit: room enough for the rest of the event
    body = _blob(LAMBDA_REQUEST_PAYLOAD_BYTES - 16 * 1024)

    # When it is sent
    response = http.put(
        f"/v1/users/{new_user_id('big-event')}", content=body, headers={"Content-Type": "application/json"}
    )

    # Then the function answers, refusing properties over 256 KiB
    assert_knock_error(response, 422, "properties_too_large")
