"""DELETE /v1/users/{user_id}: the delete handler with events/delete.json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from functions.delete.app import lambda_handler
from functions.get.app import lambda_handler as get_handler
from functions.identify.app import lambda_handler as identify_handler
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table")  # identify, bulk identify and trigger keep keys


@pytest.fixture
def identified(load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str) -> None:
    assert identify_handler(load_event("identify"), lambda_context)["statusCode"] == 200


def test_delete_existing_user_returns_204_with_empty_body(
    load_event: EventLoader, lambda_context: FakeLambdaContext, identified: None
) -> None:
    response = lambda_handler(load_event("delete"), lambda_context)
    assert response["statusCode"] == 204
    assert response["body"] in ("", None)


def test_delete_existing_user_removes_the_item_in_one_request(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    identified: None,
    stored_items: Callable[[], list[dict[str, Any]]],
    dynamodb_requests: list[str],
) -> None:
    lambda_handler(load_event("delete"), lambda_context)
    assert dynamodb_requests == ["DeleteItem"]
    assert stored_items() == []


def test_delete_twice_returns_404_the_second_time(
    load_event: EventLoader, lambda_context: FakeLambdaContext, identified: None
) -> None:
    assert lambda_handler(load_event("delete"), lambda_context)["statusCode"] == 204
    body = assert_knock_error(lambda_handler(load_event("delete"), lambda_context), 404, "resource_missing")
    assert "'user_123'" in body["message"]


def test_get_after_delete_returns_404(
    load_event: EventLoader, lambda_context: FakeLambdaContext, identified: None
) -> None:
    lambda_handler(load_event("delete"), lambda_context)
    assert_knock_error(get_handler(load_event("get"), lambda_context), 404, "resource_missing")


def test_identify_after_delete_starts_blank(
    load_event: EventLoader, lambda_context: FakeLambdaContext, identified: None
) -> None:
    lambda_handler(load_event("delete"), lambda_context)
    response = identify_handler(load_event("identify", body={"locale": "fr"}), lambda_context)
    body = json_body(response)
    del body["updated_at"]
    assert body == {
        "__typename": "User",
        "id": "user_123",
        "name": None,
        "email": None,
        "avatar": None,
        "phone_number": None,
        "timezone": None,
        "locale": "fr",
        "created_at": None,
    }


def test_delete_unknown_user_returns_404(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = lambda_handler(load_event("delete", path={"user_id": "nobody"}), lambda_context)
    assert_knock_error(response, 404, "resource_missing")


@pytest.mark.parametrize("user_id", ["a#b", "a/b", "\t"])
def test_delete_invalid_id_returns_422_and_deletes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    identified: None,
    dynamodb_requests: list[str],
    user_id: str,
) -> None:
    response = lambda_handler(load_event("delete", path={"user_id": user_id}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["user_id"]
    assert dynamodb_requests == []


def test_delete_without_content_type_or_body_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, identified: None
) -> None:
    event = load_event("delete", headers={"content-type": None, "accept": "*/*"})
    assert lambda_handler(event, lambda_context)["statusCode"] == 204
