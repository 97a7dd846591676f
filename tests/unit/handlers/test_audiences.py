"""POST, GET and DELETE /v1/audiences/{key}/members: the audiences handler with events/audiences_*.json, against moto.

Every rejection must be a 4xx Knock-shaped error that names the field, and must write nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from functions.audiences.app import lambda_handler
from recipients.audiences.models import AudienceMemberPage
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("recipients_table")

Items = Callable[[], list[dict[str, Any]]]


def members_of(load_event: EventLoader, context: FakeLambdaContext, **variant: Any) -> dict[Any, Any]:
    response = lambda_handler(load_event("audiences_list", **variant), context)
    assert response["statusCode"] == 200, response["body"]
    AudienceMemberPage.model_validate_json(response["body"])
    return {(entry["user_id"], entry["tenant"]): entry for entry in json_body(response)["entries"]}


def test_the_samples_add_list_and_remove_members(load_event: EventLoader, lambda_context: FakeLambdaContext) -> None:
    # Given the add sample (create_audience=true, one inline user with a tenant, one bare id)
    added = lambda_handler(load_event("audiences_add"), lambda_context)
    assert (added["statusCode"], added["body"]) == (204, "")

    # When it is listed, Then both are members, the inline user with its properties
    members = members_of(load_event, lambda_context)
    assert set(members) == {("user_1", "acme"), ("user_2", None)}
    assert members[("user_1", "acme")]["user"]["email"] == "ada@example.com"
    assert members[("user_2", None)]["user"] is None

    # When the remove sample runs, Then only the member it names is gone
    removed = lambda_handler(load_event("audiences_remove"), lambda_context)
    assert (removed["statusCode"], removed["body"]) == (204, "")
    assert set(members_of(load_event, lambda_context)) == {("user_1", "acme")}


def test_a_percent_encoded_key_is_decoded_once(load_event: EventLoader, lambda_context: FakeLambdaContext) -> None:
    response = lambda_handler(load_event("audiences_add", path={"key": "beta testers%"}), lambda_context)
    assert response["statusCode"] == 204
    assert len(members_of(load_event, lambda_context, path={"key": "beta testers%"})) == 2
    assert_knock_error(lambda_handler(load_event("audiences_list"), lambda_context), 404, "resource_missing")


@pytest.mark.parametrize("sample", ["audiences_add", "audiences_list", "audiences_remove"])
def test_a_key_breaking_the_id_rules_is_422_naming_key(
    sample: str, load_event: EventLoader, lambda_context: FakeLambdaContext, stored_items: Items
) -> None:
    response = lambda_handler(load_event(sample, path={"key": "a#b"}), lambda_context)
    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == ["key"]
    assert stored_items() == []


def test_remove_with_a_null_body_is_422_and_not_json_is_400(
    load_event: EventLoader, lambda_context: FakeLambdaContext, stored_items: Items
) -> None:
    lambda_handler(load_event("audiences_add"), lambda_context)
    before = stored_items()
    missing = lambda_handler(load_event("audiences_remove", body=None), lambda_context)
    assert "body" in error_fields(assert_knock_error(missing, 422, "invalid_params"))
    assert_knock_error(lambda_handler(load_event("audiences_remove", body="{"), lambda_context), 400, "invalid_json")
    assert stored_items() == before


def test_add_without_the_query_to_an_unknown_audience_is_a_knock_404(
    load_event: EventLoader, lambda_context: FakeLambdaContext, stored_items: Items
) -> None:
    response = lambda_handler(load_event("audiences_add", query={}), lambda_context)
    body = assert_knock_error(response, 404, "resource_missing")
    assert body["message"] == "audience 'beta-testers' not found"
    assert stored_items() == []
