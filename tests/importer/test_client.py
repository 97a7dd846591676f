"""The HTTP client against the stand-in API: retries, Retry-After, fail-fast statuses, clear messages."""

from __future__ import annotations

import socket
import threading
import time
from email.message import Message

import pytest

from importer.client import RecipientsClient, _retry_after, check_url
from importer.errors import Aborted, ApiError, ImportFailed
from tests.importer.fake_api import API_KEY, FakeRecipientsApi

BODY = b'{"users":[{"id":"u1"},{"id":"bad#1"}]}'


def client_for(api: FakeRecipientsApi, key: str = API_KEY, **options: object) -> RecipientsClient:
    return RecipientsClient(api.url, key, max_backoff=0.01, **options)  # type: ignore[arg-type]


def unavailable(retry_after: str = "0") -> tuple[int, dict[str, object], dict[str, str]]:
    body = {"code": "unavailable", "message": "try later", "status": 503, "type": "api_error"}
    return 503, body, {"Retry-After": retry_after}


def test_bulk_identify_returns_the_operation_with_rows_rejected_at_validation(fake_api: FakeRecipientsApi) -> None:
    operation = client_for(fake_api).bulk_identify(BODY, "key-1")

    assert operation["status"] == "queued"
    assert operation["error_items"][0]["index"] == 1
    assert operation["error_items"][0]["reason"] == "id: must not contain '#'"
    assert fake_api.posts[0].idempotency_key == "key-1"


def test_get_bulk_operation_polls_until_completed(fake_api: FakeRecipientsApi) -> None:
    client = client_for(fake_api)
    operation_id = client.bulk_identify(BODY, "key-1")["id"]

    operation = client.get_bulk_operation(operation_id)

    assert (operation["status"], operation["success_count"], operation["error_count"]) == ("completed", 1, 1)


def test_503_is_retried_with_the_same_body_and_idempotency_key(fake_api: FakeRecipientsApi) -> None:
    fake_api.post_failures.append(unavailable())
    retries: list[str] = []

    operation = client_for(fake_api, on_retry=retries.append).bulk_identify(BODY, "key-1")

    assert operation["status"] == "queued"
    assert [post.idempotency_key for post in fake_api.posts] == ["key-1", "key-1"]
    assert fake_api.posts[0].users == fake_api.posts[1].users
    assert retries == ["POST /v1/users/bulk/identify: HTTP 503 unavailable: try later; retrying in 0.0 s"]


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 504])
def test_retryable_statuses_are_retried(fake_api: FakeRecipientsApi, status: int) -> None:
    fake_api.post_failures.append((status, {"message": "later"}, {"Retry-After": "0"}))

    client_for(fake_api).bulk_identify(BODY, "key-1")

    assert [post.accepted for post in fake_api.posts] == [False, True]


def test_retry_after_is_honoured(fake_api: FakeRecipientsApi) -> None:
    fake_api.post_failures.append((429, {"message": "slow down"}, {"Retry-After": "0.3"}))
    retries: list[str] = []

    started = time.monotonic()
    client_for(fake_api, on_retry=retries.append).bulk_identify(BODY, "key-1")

    assert time.monotonic() - started >= 0.3
    assert retries[0].endswith("retrying in 0.3 s")


def test_retry_after_header_forms() -> None:
    def headers(**values: str) -> Message:
        message = Message()
        for name, value in values.items():
            message[name.replace("_", "-")] = value
        return message

    assert _retry_after(headers(retry_after="2")) == 2.0
    assert _retry_after(headers(retry_after_ms="1500")) == 1.5
    assert _retry_after(headers(retry_after="100000")) == 120.0
    assert _retry_after(headers(retry_after="Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0
    assert _retry_after(headers(retry_after="soon")) is None
    assert _retry_after(headers()) is None


def test_giving_up_after_the_retries_names_the_last_problem(fake_api: FakeRecipientsApi) -> None:
    fake_api.post_failures.extend([unavailable()] * 3)

    with pytest.raises(ImportFailed) as raised:
        client_for(fake_api, retries=2).bulk_identify(BODY, "key-1")

    assert str(raised.value) == (
        f"POST {fake_api.url}/v1/users/bulk/identify: giving up after 3 attempts; last: HTTP 503 unavailable: try later"
    )


def test_401_fails_at_once_with_a_hint_and_without_the_key(fake_api: FakeRecipientsApi) -> None:
    with pytest.raises(ApiError) as raised:
        client_for(fake_api, key="sk_wrong_secret").bulk_identify(BODY, "key-1")

    assert raised.value.status == 401
    assert str(raised.value) == (
        "HTTP 401: Unauthorized. The server refused the API key: check --key or RECIPIENTS_API_KEY"
    )
    assert "sk_wrong_secret" not in str(raised.value)
    assert len(fake_api.posts) == 0  # refused at the door


def test_422_for_the_whole_batch_is_not_retried(fake_api: FakeRecipientsApi) -> None:
    too_many = b'{"users":[' + b",".join([b'{"id":"u"}'] * 1001) + b"]}"

    with pytest.raises(ApiError) as raised:
        client_for(fake_api).bulk_identify(too_many, "key-1")

    assert str(raised.value) == "HTTP 422 invalid_params: users: must hold 1 to 1,000 users"
    assert len(fake_api.posts) == 1


def test_404_on_the_bulk_route_points_at_the_url(fake_api: FakeRecipientsApi) -> None:
    client = RecipientsClient(fake_api.url + "/v1", API_KEY)

    with pytest.raises(ApiError) as raised:
        client.bulk_identify(BODY, "key-1")

    assert raised.value.status == 404
    assert str(raised.value).endswith(
        f"at POST {fake_api.url}/v1/v1/users/bulk/identify. Check --url: it is the service's base URL, without /v1"
    )


def test_unknown_operation_is_a_404(fake_api: FakeRecipientsApi) -> None:
    with pytest.raises(ApiError) as raised:
        client_for(fake_api).get_bulk_operation("00000000-0000-0000-0000-000000000000")

    assert (raised.value.status, raised.value.detail) == (404, "bulk operation not found")


def test_unreachable_server_fails_fast_before_first_contact() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed

    client = RecipientsClient(f"http://127.0.0.1:{port}", API_KEY, max_backoff=0.01, retries=8)
    with pytest.raises(ImportFailed, match=rf"^cannot reach http://127\.0\.0\.1:{port}: Connection refused$"):
        client.bulk_identify(BODY, "key-1")


def test_stop_during_backoff_aborts_the_request(fake_api: FakeRecipientsApi) -> None:
    fake_api.post_failures.append(unavailable(retry_after="30"))
    stop = threading.Event()
    client = client_for(fake_api, stop=stop, on_retry=lambda _: stop.set())

    started = time.monotonic()
    with pytest.raises(Aborted):
        client.bulk_identify(BODY, "key-1")

    assert time.monotonic() - started < 5
    assert len(fake_api.posts) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost:3000", "--url 'localhost:3000' is not an http:// or https:// URL"),
        ("ftp://example.com", "--url 'ftp://example.com' is not an http:// or https:// URL"),
        ("https://", "--url 'https://' is not an http:// or https:// URL"),
        ("https://api.example.com?x=1", "--url 'https://api.example.com?x=1' must not have a query or fragment"),
    ],
)
def test_bad_url_is_refused_before_any_request(url: str, message: str) -> None:
    with pytest.raises(ImportFailed) as raised:
        check_url(url)

    assert str(raised.value) == message


def test_base_url_keeps_a_stage_prefix_and_drops_the_trailing_slash() -> None:
    assert check_url("https://x.execute-api.eu-west-1.amazonaws.com/prod/") == (
        "https://x.execute-api.eu-west-1.amazonaws.com/prod"
    )
