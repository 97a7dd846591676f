"""POST /v1/objects/{collection}/bulk/subscriptions/add and /delete end to end in-process: the objects_bulk
handler, the queue and bulk_worker against moto (tests/unit/bulk_queue.py), read back through the lists."""

from __future__ import annotations

from typing import Any

import pytest

from functions.identify.app import lambda_handler as identify_handler
from functions.objects_bulk.app import lambda_handler
from functions.subscriptions.app import lambda_handler as subscriptions_handler
from recipients.bulk.validation import MAX_GROUPED_RECIPIENTS
from tests.conftest import BulkQueues, EventLoader, FakeLambdaContext
from tests.unit.bulk_queue import drain, operation
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table")


class Api:
    def __init__(self, load_event: EventLoader, context: FakeLambdaContext, queues: BulkQueues) -> None:
        self.load_event, self.context, self.queues = load_event, context, queues

    def bulk(self, action: str, entries: list[Any], collection: str = "projects") -> dict[str, Any]:
        event = self.load_event(
            f"objects_bulk_subscriptions_{action}", path={"collection": collection}, body={"subscriptions": entries}
        )
        response = lambda_handler(event, self.context)
        assert response["statusCode"] == 200, response["body"]
        answer: dict[str, Any] = json_body(response)
        return answer

    def done(self, action: str, entries: list[Any], collection: str = "projects") -> dict[str, Any]:
        started = self.bulk(action, entries, collection)
        drain(self.queues, self.context)
        return operation(started["id"])

    def identify(self, user_id: str, **properties: Any) -> None:
        event = self.load_event("identify", path={"user_id": user_id}, body=properties)
        assert identify_handler(event, self.context)["statusCode"] == 200

    def subscribers(self, object_id: str, collection: str = "projects") -> dict[str, Any] | None:
        """The object's subscribers by id; None when the object does not exist."""
        path = {"collection": collection, "object_id": object_id}
        response = subscriptions_handler(self.load_event("subscriptions_list", path=path), self.context)
        if response["statusCode"] == 404:
            return None
        assert response["statusCode"] == 200, response["body"]
        return {entry["recipient"]["id"]: entry for entry in json_body(response)["entries"]}


@pytest.fixture
def api(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, bulk_queues: BulkQueues
) -> Api:
    return Api(load_event, lambda_context, bulk_queues)


def counts(done: dict[str, Any]) -> tuple[str, int, int, int]:
    return done["status"], done["processed_rows"], done["success_count"], done["error_count"]


def test_sample_add_names_the_operation_and_rejects_the_bad_entry_alone(
    api: Api, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # events/objects_bulk_subscriptions_add.json: two good entries, one naming a bad recipient id
    body = json_body(lambda_handler(load_event("objects_bulk_subscriptions_add"), lambda_context))

    assert (body["name"], body["status"], body["estimated_total_rows"]) == (
        "objects.bulk_add_subscriptions",
        "queued",
        3,
    )
    [error] = body["error_items"]
    assert (error["id"], error["collection"], error["index"]) == ("proj_3", "projects", 2)
    assert [item["field"] for item in error["errors"]] == ["recipients.0"]


def test_add_identifies_inline_recipients_then_subscribes_and_counts_each_entry_once(api: Api) -> None:
    api.identify("ada", name="Ada")

    done = api.done(
        "add",
        [
            {"id": "apollo", "recipients": ["ada", {"id": "bob", "name": "Bob"}], "properties": {"role": "admin"}},
            {"id": "gemini", "recipients": [{"id": "team_1", "collection": "teams", "name": "Team"}]},
        ],
    )

    assert counts(done) == ("completed", 2, 2, 0)
    apollo = api.subscribers("apollo") or {}
    assert sorted(apollo) == ["ada", "bob"]
    assert apollo["bob"]["recipient"]["name"] == "Bob"
    assert apollo["ada"]["properties"] == {"role": "admin"}
    assert (api.subscribers("gemini") or {})["team_1"]["properties"] is None


def test_an_entry_naming_a_user_that_does_not_exist_fails_alone_in_the_worker(api: Api) -> None:
    api.identify("ada")

    done = api.done("add", [{"id": "apollo", "recipients": ["ada"]}, {"id": "gemini", "recipients": ["ada", "ghost"]}])

    assert counts(done) == ("completed", 2, 1, 1)
    [error] = done["error_items"]
    assert (error["id"], error["index"], error["errors"][0]["field"]) == ("gemini", 1, "recipients.1")
    assert "not found" in error["reason"]
    assert list(api.subscribers("apollo") or {}) == ["ada"]
    assert api.subscribers("gemini") is None  # nothing of the entry was written, not even its object


def test_entries_of_one_object_are_applied_in_order_and_adding_again_updates(api: Api) -> None:
    api.identify("ada")
    api.done("add", [{"id": "apollo", "recipients": ["ada"], "properties": {"v": 0}}])
    first = (api.subscribers("apollo") or {})["ada"]

    done = api.done(
        "add",
        [
            {"id": "apollo", "recipients": ["ada"], "properties": {"v": 1}},
            {"id": "apollo", "recipients": ["ada"], "properties": {"v": 2}},
        ],
    )

    assert counts(done) == ("completed", 2, 2, 0)
    again = (api.subscribers("apollo") or {})["ada"]
    assert again["properties"] == {"v": 2}
    assert again["inserted_at"] == first["inserted_at"]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("apollo", "row"),
        ({"recipients": ["ada"]}, "id"),
        ({"id": "bad#id", "recipients": ["ada"]}, "id"),
        ({"id": "apollo", "recipients": []}, "recipients"),
        ({"id": "apollo", "recipients": ["ada"] * 101}, "recipients"),
        ({"id": "apollo", "recipients": [7]}, "recipients.0"),
        ({"id": "apollo", "recipients": [{"id": "bob", "email": "nope"}]}, "recipients.0.email"),
        ({"id": "apollo", "recipients": [{"id": "apollo", "collection": "projects"}]}, "recipients.0"),
        ({"id": "apollo", "recipients": [{"id": "bob", "$trigger_data": {}}]}, "recipients.0.$trigger_data"),
        ({"id": "apollo", "recipients": ["ada"], "properties": []}, "properties"),
        ({"id": "apollo", "recipients": ["ada"], "extra": 1}, "extra"),
    ],
)
def test_a_bad_add_entry_is_listed_with_its_field_and_the_others_are_written(api: Api, entry: Any, field: str) -> None:
    api.identify("ada")

    done = api.done("add", [entry, {"id": "gemini", "recipients": ["ada"]}])

    assert counts(done) == ("completed", 2, 1, 1)
    [error] = done["error_items"]
    assert error["index"] == 0 and field in [item["field"] for item in error["errors"]]
    assert list(api.subscribers("gemini") or {}) == ["ada"]


def test_the_entries_of_one_object_may_name_at_most_1000_recipients_together(api: Api) -> None:
    entries = [
        {"id": "apollo", "recipients": [{"id": f"u{group}_{index}"} for index in range(100)]}
        for group in range(MAX_GROUPED_RECIPIENTS // 100 + 1)
    ]

    started = api.bulk("add", entries)

    assert [(item["index"], item["errors"][0]["field"]) for item in started["error_items"]] == [(10, "recipients")]


def test_delete_removes_the_subscriptions_named_and_skips_the_missing_ones(api: Api) -> None:
    api.identify("ada")
    api.identify("bob")
    api.done("add", [{"id": "apollo", "recipients": ["ada", "bob"]}, {"id": "gemini", "recipients": ["ada"]}])

    done = api.done(
        "delete",
        [
            {"id": "apollo", "recipients": ["ada", "carol"]},
            {"id": "nowhere", "recipients": ["ada"]},
            {"id": "gemini", "recipients": [{"id": "ada", "name": "inline is not a reference"}]},
        ],
    )

    assert (done["name"], *counts(done)) == ("objects.bulk_delete_subscriptions", "completed", 3, 2, 1)
    assert done["error_items"][0]["index"] == 2
    assert list(api.subscribers("apollo")) == ["bob"]
    assert list(api.subscribers("gemini") or {}) == ["ada"]


@pytest.mark.parametrize("action", ["add", "delete"])
def test_a_body_without_its_list_is_a_422_naming_it(
    action: str, recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    event = load_event(f"objects_bulk_subscriptions_{action}", body={"entries": []})

    body = assert_knock_error(lambda_handler(event, lambda_context), 422, "invalid_params")

    assert "subscriptions" in error_fields(body)
