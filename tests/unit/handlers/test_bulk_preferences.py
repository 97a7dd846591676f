"""POST /v1/users/bulk/preferences end to end in-process: the handler, the queue and bulk_worker; and
preference sets in bulk identify rows."""

from __future__ import annotations

from typing import Any

import pytest

from functions.bulk_identify.app import lambda_handler as bulk_identify_handler
from functions.bulk_preferences.app import lambda_handler
from recipients.identity.models import RecipientRef
from recipients.preferences import service
from recipients.preferences.models import PreferenceSetRequest
from tests.conftest import BulkQueues, EventLoader, FakeLambdaContext
from tests.unit.bulk_queue import drain, operation
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table", "recipients_table")

SET = {"channel_types": {"sms": False}, "workflows": {"digest": {"channel_types": {"email": False}}}}


def start(load_event: EventLoader, context: FakeLambdaContext, body: dict[str, Any]) -> dict[str, Any]:
    response = lambda_handler(load_event("bulk_preferences", body=body), context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def test_bulk_preferences_replace_the_set_of_every_valid_user_and_list_the_others(
    bulk_queues: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given users with a set already, and ids of which two break the rules
    ids = [f"user_{i}" for i in range(120)]
    service.set_preference_set(
        RecipientRef(id="user_0"), "default", PreferenceSetRequest.model_validate({"workflows": {"x": True}})
    )

    # When one set is sent for all of them, with a repeated id and two bad ones
    started = start(load_event, lambda_context, {"user_ids": [*ids, "user_1", "a#b", 7], "preferences": SET})
    drain(bulk_queues, lambda_context)

    # Then the operation counts every row once and names the bad ones
    assert (started["name"], started["estimated_total_rows"]) == ("users.bulk_set_preferences", 123)
    done = operation(started["id"])
    assert (done["status"], done["success_count"], done["error_count"]) == ("completed", 121, 2)
    assert [(item["index"], item["errors"][0]["field"]) for item in done["error_items"]] == [(121, "id"), (122, "id")]
    # and every user holds exactly the set sent (replaced, not merged)
    for user_id in ("user_0", "user_77", "user_119"):
        preference_set = service.get_preference_set(RecipientRef(id=user_id), "default")
        assert (preference_set["channel_types"], preference_set["workflows"]) == (
            SET["channel_types"],
            SET["workflows"],
        )


def test_bulk_preferences_write_the_set_named_by_its_id(
    bulk_queues: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    start(load_event, lambda_context, {"user_ids": ["user_1"], "preferences": {"id": "tenant_acme", **SET}})
    drain(bulk_queues, lambda_context)
    sets = service.list_preference_sets(RecipientRef(id="user_1"))
    assert [(entry["id"], entry["channel_types"]) for entry in sets] == [("tenant_acme", {"sms": False})]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_ids": ["u1"], "preferences": {"channel_types": {"fax": True}}}, "preferences.channel_types"),
        (
            {"user_ids": ["u1"], "preferences": {"__persistence_strategy__": "merge"}},
            "preferences.__persistence_strategy__",
        ),
        ({"user_ids": "u1", "preferences": {}}, "user_ids"),
    ],
)
def test_bulk_preferences_with_a_bad_set_queue_nothing(
    bulk_queues: BulkQueues,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Any,
    body: dict[str, Any],
    field: str,
) -> None:
    response = lambda_handler(load_event("bulk_preferences", body=body), lambda_context)
    assert field in error_fields(assert_knock_error(response, 422, "invalid_params"))
    nothing_written()


def test_bulk_identify_rows_of_one_user_deep_merge_their_sets_in_order(
    bulk_queues: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a stored set, and rows of one user that merge into it, replace it, then merge again
    user = RecipientRef(id="ada")
    service.set_preference_set(user, "default", PreferenceSetRequest.model_validate({"workflows": {"kept": True}}))
    rows = [
        {
            "id": "ada",
            "preferences": {"default": {"channel_types": {"sms": False}}, "tenant_a": {"workflows": {"a": True}}},
        },
        {"id": "ada", "preferences": {"tenant_a": {"__persistence_strategy__": "replace", "workflows": {"b": True}}}},
        {
            "id": "ada",
            "preferences": {"default": {"channel_types": {"push": False}}, "tenant_a": {"workflows": {"c": True}}},
        },
    ]

    # When they are sent in one bulk identify
    response = bulk_identify_handler(load_event("bulk_identify", body={"users": rows}), lambda_context)
    drain(bulk_queues, lambda_context)

    # Then applying them in order is what was stored
    assert operation(json_body(response)["id"])["success_count"] == 3
    default = service.get_preference_set(user, "default")
    assert (default["workflows"], default["channel_types"]) == ({"kept": True}, {"sms": False, "push": False})
    assert service.get_preference_set(user, "tenant_a")["workflows"] == {"b": True, "c": True}
