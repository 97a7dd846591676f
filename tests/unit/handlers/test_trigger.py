"""POST /v1/workflows/{key}/trigger and /cancel: the handlers against moto, events read from the bus."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from functions.cancel.app import lambda_handler as cancel_handler
from functions.trigger.app import lambda_handler as trigger_handler
from recipients.channels import service as channel_service
from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.aws import dynamodb, events
from recipients.objects import service as object_service
from recipients.objects.requests import SetObjectRequest
from recipients.objects.store import get_object_store
from recipients.preferences import service as preference_service
from recipients.preferences.models import PreferenceSetRequest
from recipients.users import service
from recipients.users.identify import check_identify_user, identify_user
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import get_user_store
from recipients.workflows import bus
from recipients.workflows.store import get_run_store
from recipients.workflows.trigger import triggered_events
from tests.conftest import EventLoader, FakeLambdaContext, WorkflowBus
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table")  # identify, bulk identify and trigger keep keys

StoredItems = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def trigger(
    recipients_table: str, workflow_bus: WorkflowBus, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> Callable[..., dict[str, Any]]:
    def call(body: Any, workflow_key: str = "new-comment") -> dict[str, Any]:
        event = load_event("trigger", path={"workflow_key": workflow_key}, body=body)
        return trigger_handler(event, lambda_context)

    return call


@pytest.fixture
def cancel(
    recipients_table: str, workflow_bus: WorkflowBus, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> Callable[..., dict[str, Any]]:
    def call(body: Any, workflow_key: str = "new-comment") -> dict[str, Any]:
        return cancel_handler(load_event("cancel", path={"workflow_key": workflow_key}, body=body), lambda_context)

    return call


def identify(user_id: str, body: dict[str, Any]) -> None:
    identify_user(user_id, check_identify_user(user_id, IdentifyUserRequest.model_validate(body)))


def test_trigger_identifies_inline_recipients_skips_unknown_ids_and_puts_one_event(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus
) -> None:
    # Given one existing user and one existing object
    identify("user_1", {"name": "One"})
    object_service.set_object("teams", "t1", SetObjectRequest.model_validate({"name": "Team"}))

    # When a trigger names them, an inline user, an inline object, an unknown user and its actor
    response = trigger(
        {
            "recipients": [
                "user_1",
                {"id": "user_2", "email": "b@example.com", "plan": "pro", "$trigger_data": {"seat": 3}},
                {"id": "proj_1", "collection": "projects", "name": "Apollo"},
                {"id": "t1", "collection": "teams"},
                "ghost",
            ],
            "actor": "user_1",
            "data": {"comment_id": "c_9"},
            "tenant": "acme",
            "cancellation_key": "comment-c_9",
        }
    )

    # Then it answers with a v4 run id
    assert response["statusCode"] == 200
    run_id = json_body(response)["workflow_run_id"]
    assert uuid.UUID(run_id).version == 4
    # and the inline recipients are stored with the merge rules
    user_2 = get_user_store().get_user("user_2")
    assert user_2 is not None and (user_2.email, user_2.model_extra) == ("b@example.com", {"plan": "pro"})
    assert get_object_store().get_object("projects", "proj_1").properties == {"name": "Apollo"}  # type: ignore[union-attr]
    # and one event carries the resolved references, the actor, tenant, data and the per-recipient data
    (event,) = workflow_bus.received()
    assert (event["source"], event["detail-type"]) == ("recipients", "workflow.triggered")
    detail = event["detail"]
    assert detail["workflow_key"] == "new-comment" and detail["workflow_run_id"] == run_id
    assert detail["recipients"] == [
        {"id": "user_1"},
        {"id": "user_2", "trigger_data": {"seat": 3}},
        {"id": "proj_1", "collection": "projects"},
        {"id": "t1", "collection": "teams"},
    ]
    assert (detail["actor"], detail["tenant"], detail["data"]) == ({"id": "user_1"}, "acme", {"comment_id": "c_9"})
    # (with objects among them, the run fans out to their subscribers: more parts may follow)
    assert (detail["skipped_count"], detail["part"], detail["parts"]) == (1, 1, None)
    # and the run is recorded with the skipped recipient and why
    run = get_run_store().get_run(run_id)
    assert run is not None
    assert (run.workflow_key, run.status, run.recipient_count, run.cancellation_key) == (
        "new-comment",
        "triggered",
        4,
        "comment-c_9",
    )
    assert [(s.id, s.index, s.reason) for s in run.skipped] == [
        ("ghost", 4, "user not found: never identified, or deleted")
    ]


def test_inline_recipients_are_written_before_the_run_is_recorded_and_its_event_put(
    trigger: Callable[..., dict[str, Any]],
) -> None:
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        sent.append((target.decode() if isinstance(target, bytes) else target).rpartition(".")[2])

    events().meta.events.register_first("before-send.eventbridge", record, unique_id="order")
    dynamodb().meta.events.register_first("before-send.dynamodb", record, unique_id="order")
    try:
        response = trigger({"recipients": [{"id": f"u{i}", "name": "x"} for i in range(20)] + ["unknown"]})
    finally:
        events().meta.events.unregister("before-send.eventbridge", unique_id="order")
        dynamodb().meta.events.unregister("before-send.dynamodb", unique_id="order")

    assert response["statusCode"] == 200
    # The Idempotency-Key record is taken first (PutItem) and completed last (UpdateItem)
    assert sent == ["PutItem"] + ["UpdateItem"] * 20 + ["BatchGetItem", "PutItem", "PutEvents", "UpdateItem"]


def test_deleted_user_is_skipped_as_a_recipient(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus
) -> None:
    identify("gone", {"name": "Gone"})
    service.delete_user("gone")

    response = trigger({"recipients": ["gone", {"id": "here"}]})

    assert response["statusCode"] == 200
    (event,) = workflow_bus.received()
    assert event["detail"]["recipients"] == [{"id": "here"}]
    assert event["detail"]["skipped_count"] == 1


def test_unknown_or_deleted_actor_is_rejected_and_nothing_is_written(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus, stored_items: StoredItems
) -> None:
    identify("gone", {"name": "Gone"})
    service.delete_user("gone")

    response = trigger({"recipients": [{"id": "inline", "name": "x"}], "actor": "gone"})

    body = assert_knock_error(response, 422, "actor_missing")
    assert error_fields(body) == ["actor"]
    assert stored_items() == []
    assert workflow_bus.received() == []


def test_an_inline_actor_is_identified(trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus) -> None:
    response = trigger({"recipients": ["nobody"], "actor": {"id": "boss", "name": "Boss"}})

    assert response["statusCode"] == 200
    assert get_user_store().get_user("boss").name == "Boss"  # type: ignore[union-attr]
    (event,) = workflow_bus.received()
    assert (event["detail"]["actor"], event["detail"]["recipients"]) == ({"id": "boss"}, [])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": []}, "recipients"),
        ({"recipients": ["u"] * 1001}, "recipients"),
        ({}, "recipients"),
        ({"recipients": "u1"}, "recipients"),
        ({"recipients": ["ok", {"id": "x", "email": "nope"}]}, "recipients.1.email"),
        ({"recipients": [{"id": "x", "collection": "p", "timezone": "Mars/Base"}]}, "recipients.0.timezone"),
        ({"recipients": ["a/b"]}, "recipients.0"),
        ({"recipients": [{"name": "no id"}]}, "recipients.0.id"),
        ({"recipients": [{"id": "x", "collection": "$system"}]}, "recipients.0.collection"),
        ({"recipients": [{"id": "x", "collection": 5}]}, "recipients.0"),
        ({"recipients": [42]}, "recipients.0"),
        ({"recipients": [{"id": "x", "$trigger_data": [1]}]}, "recipients.0.$trigger_data"),
        ({"recipients": ["u"], "actor": {"id": "x", "phone_number": "123"}}, "actor.phone_number"),
        ({"recipients": ["u"], "data": [1, 2]}, "data"),
        ({"recipients": ["u"], "tenant": {"name": "Acme"}}, "tenant"),
        ({"recipients": ["u"], "tenant": {"id": " "}}, "tenant"),
        ({"recipients": ["u"], "cancellation_key": "a#b"}, "cancellation_key"),
        ({"recipients": ["u"], "settings": {"sandbox_mode": "yes"}}, "settings.sandbox_mode"),
        ({"recipients": ["u"], "workflow": "x"}, "workflow"),
    ],
)
def test_bad_trigger_is_a_422_naming_the_field_and_writes_nothing(
    trigger: Callable[..., dict[str, Any]],
    workflow_bus: WorkflowBus,
    stored_items: StoredItems,
    body: dict[str, Any],
    field: str,
) -> None:
    response = trigger(body)

    error = assert_knock_error(response, 422, "invalid_params")
    assert field in error_fields(error), error
    assert stored_items() == []
    assert workflow_bus.received() == []


def test_one_bad_recipient_stops_the_valid_inline_ones_before_it_from_being_written(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus, stored_items: StoredItems
) -> None:
    recipients = [{"id": f"ok_{i}", "name": "x"} for i in range(5)] + [{"id": "bad", "avatar": "ftp://x"}]

    error = assert_knock_error(trigger({"recipients": recipients}), 422, "invalid_params")

    assert error_fields(error) == ["recipients.5.avatar"]
    assert stored_items() == []
    assert workflow_bus.received() == []


def test_recipient_listed_again_with_other_trigger_data_is_a_422_and_writes_nothing(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus, stored_items: StoredItems
) -> None:
    # Given user_1 listed twice, the second time with different $trigger_data
    recipients = [
        {"id": "user_1", "name": "x", "$trigger_data": {"seat": 1}},
        "u2",
        {"id": "user_1", "$trigger_data": {"seat": 2}},
    ]

    error = assert_knock_error(trigger({"recipients": recipients}), 422, "invalid_params")

    # Then the later listing is named, and nothing was identified or put on the bus
    assert error_fields(error) == ["recipients.2.$trigger_data"]
    assert "recipients.0" in error["errors"][0]["message"]
    assert stored_items() == []
    assert workflow_bus.received() == []


def test_recipient_listed_again_with_the_same_trigger_data_is_one_recipient_identified_in_order(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus
) -> None:
    recipients = [
        {"id": "user_1", "name": "first", "$trigger_data": {"seat": 1}},
        {"id": "user_1", "plan": "pro", "$trigger_data": {"seat": 1}},
        {"id": "proj", "collection": "projects"},
        {"id": "proj", "collection": "projects", "name": "Apollo"},
    ]

    assert trigger({"recipients": recipients})["statusCode"] == 200

    (event,) = workflow_bus.received()
    assert event["detail"]["recipients"] == [
        {"id": "user_1", "trigger_data": {"seat": 1}},
        {"id": "proj", "collection": "projects"},
    ]
    user = service.get_user("user_1")
    assert (user.name, user.model_extra) == ("first", {"plan": "pro"})


@pytest.mark.parametrize("workflow_key", ["New-Comment", "a b", "x" * 256, "lead%0A"])
def test_bad_workflow_key_is_a_422(trigger: Callable[..., dict[str, Any]], workflow_key: str) -> None:
    body = assert_knock_error(trigger({"recipients": ["u"]}, workflow_key=workflow_key), 422, "invalid_params")
    assert error_fields(body) == ["workflow_key"]


def test_data_too_large_for_an_event_is_stored_in_s3_and_the_event_references_it(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus, workflow_data_bucket: str
) -> None:
    data_text = (
        '{"blob": "' + "x" * 300_000 + '", "exact": 0.1000000000000000055511151231257827, "e": [1e400, 0e5, -0]}'
    )

    response = trigger('{"recipients": [{"id": "u", "name": "x"}], "data": ' + data_text + "}")

    assert response["statusCode"] == 200
    run_id = json_body(response)["workflow_run_id"]
    (event,) = workflow_bus.received()
    detail = event["detail"]
    assert detail["data"] is None
    assert detail["data_ref"] == {
        "bucket": workflow_data_bucket,
        "key": f"runs/{run_id}/data.json",
        "bytes": len(data_text.replace(", ", ",").replace(": ", ":").encode()),
    }
    stored = boto3.client("s3").get_object(Bucket=workflow_data_bucket, Key=detail["data_ref"]["key"])
    assert stored["Body"].read().decode() == data_text.replace(", ", ",").replace(": ", ":")  # every number's text
    assert stored["ContentType"] == "application/json"


def test_small_data_travels_in_the_event_without_a_reference(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus, workflow_data_bucket: str
) -> None:
    trigger({"recipients": ["u"], "data": {"blob": "x" * 200_000}})

    (event,) = workflow_bus.received()
    assert (len(event["detail"]["data"]["blob"]), event["detail"]["data_ref"]) == (200_000, None)
    assert boto3.client("s3").list_objects_v2(Bucket=workflow_data_bucket)["KeyCount"] == 0


def test_data_of_just_under_5_mib_is_stored_and_referenced(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus, workflow_data_bucket: str
) -> None:
    data = {"blob": "x" * (5 * 1024 * 1024 - 20)}

    assert trigger({"recipients": [{"id": "u", "name": "x"}], "data": data})["statusCode"] == 200

    (event,) = workflow_bus.received()
    assert event["detail"]["data_ref"]["bytes"] <= 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": ["u"], "data": {"blob": "x" * (5 * 1024 * 1024)}}, "data"),
        ({"recipients": ["u"], "tenant": {"id": "t", "logo": "x" * 300_000}}, "tenant"),
    ],
    ids=["data-over-5-mib", "tenant-too-large-for-an-event"],
)
def test_run_fields_too_large_are_rejected_before_anything_is_written(
    trigger: Callable[..., dict[str, Any]],
    workflow_bus: WorkflowBus,
    workflow_data_bucket: str,
    nothing_written: Callable[[], None],
    body: dict[str, Any],
    field: str,
) -> None:
    response = trigger(body)

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == [field]
    nothing_written()
    assert workflow_bus.received() == []
    assert boto3.client("s3").list_objects_v2(Bucket=workflow_data_bucket)["KeyCount"] == 0


def test_a_thousand_inline_recipients_are_all_identified_and_listed_in_the_event(
    trigger: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus
) -> None:
    response = trigger({"recipients": [{"id": f"user_{i:04d}", "n": i} for i in range(1000)]})

    assert response["statusCode"] == 200
    assert len(get_user_store().list_users(50).entries) == 50
    assert get_user_store().get_user("user_0999").model_extra == {"n": 999}  # type: ignore[union-attr]
    events_seen = workflow_bus.received()
    recipients = [r["id"] for event in events_seen for r in event["detail"]["recipients"]]
    assert recipients == [f"user_{i:04d}" for i in range(1000)]


def test_events_too_large_for_one_entry_are_split_into_parts_that_each_fit() -> None:
    base = {"workflow_key": "k", "workflow_run_id": "r", "data": {"d": "x" * 100_000}, "skipped_count": 0}
    recipients = [{"id": f"user_{i}", "trigger_data": {"note": "y" * 500}} for i in range(1000)]

    details = triggered_events(base, recipients)

    assert len(details) > 2
    parsed = [jsontext.loads(detail) for detail in details]
    assert all(bus.event_size("workflow.triggered", detail) <= bus.MAX_EVENT_BYTES for detail in details)
    assert [r for part in parsed for r in part["recipients"]] == recipients
    assert [(part["part"], part["parts"]) for part in parsed] == [(n, len(details)) for n in range(1, len(details) + 1)]
    assert all(part["data"] == base["data"] for part in parsed)


def test_cancel_marks_every_run_with_the_key_cancelled_and_puts_one_event(
    trigger: Callable[..., dict[str, Any]], cancel: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus
) -> None:
    first = json_body(trigger({"recipients": [{"id": "a"}], "cancellation_key": "ck"}))["workflow_run_id"]
    second = json_body(trigger({"recipients": [{"id": "b"}], "cancellation_key": "ck"}))["workflow_run_id"]
    other = json_body(trigger({"recipients": [{"id": "c"}], "cancellation_key": "other"}))["workflow_run_id"]
    workflow_bus.received()

    response = cancel({"cancellation_key": "ck"})

    assert response["statusCode"] == 204
    assert {get_run_store().get_run(run).status for run in (first, second)} == {"cancelled"}  # type: ignore[union-attr]
    assert get_run_store().get_run(other).status == "triggered"  # type: ignore[union-attr]
    (event,) = workflow_bus.received()
    assert event["detail-type"] == "workflow.cancelled"
    assert sorted(event["detail"]["workflow_run_ids"]) == sorted([first, second])
    assert event["detail"]["recipients"] is None


def test_cancel_for_some_recipients_records_them_on_the_run(
    trigger: Callable[..., dict[str, Any]], cancel: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus
) -> None:
    run_id = json_body(trigger({"recipients": [{"id": "a"}, {"id": "b"}], "cancellation_key": "ck"}))["workflow_run_id"]

    response = cancel({"cancellation_key": "ck", "recipients": ["a", {"id": "p", "collection": "projects"}]})

    assert response["statusCode"] == 204
    run = get_run_store().get_run(run_id)
    assert run is not None and run.status == "triggered"
    assert {(ref.id, ref.collection) for ref in run.cancelled_recipients} == {("a", None), ("p", "projects")}
    assert workflow_bus.received()[-1]["detail"]["recipients"] == [{"id": "a"}, {"id": "p", "collection": "projects"}]


def test_cancel_of_an_unknown_key_is_a_204_without_event(
    cancel: Callable[..., dict[str, Any]], workflow_bus: WorkflowBus
) -> None:
    assert cancel({"cancellation_key": "never-used"})["statusCode"] == 204
    assert workflow_bus.received() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "cancellation_key"),
        ({"cancellation_key": ""}, "cancellation_key"),
        ({"cancellation_key": "ck", "recipients": [{"id": "a", "name": "inline"}]}, "recipients.0"),
        ({"cancellation_key": "ck", "recipients": "a"}, "recipients"),
    ],
)
def test_bad_cancel_is_a_422(cancel: Callable[..., dict[str, Any]], body: dict[str, Any], field: str) -> None:
    error = assert_knock_error(cancel(body), 422, "invalid_params")
    assert field in error_fields(error)


def test_inline_recipients_channel_data_and_preferences_are_written_by_their_rules(
    trigger: Callable[..., dict[str, Any]],
) -> None:
    # Given a user with a preference set, and a trigger naming it and an object inline, with channel data and sets
    channel = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
    user = RecipientRef(id="user_1")
    preference_service.set_preference_set(
        user, "default", PreferenceSetRequest.model_validate({"workflows": {"kept": True}})
    )
    recipients = [
        {
            "id": "user_1",
            "channel_data": {channel: {"tokens": ["t1"]}},
            "preferences": {"default": {"workflows": {"x": False}}},
        },
        {"id": "t1", "collection": "teams", "channel_data": {channel: {"connections": [{"channel_id": "C1"}]}}},
    ]

    # When it is triggered
    assert trigger({"recipients": recipients})["statusCode"] == 200

    # Then each channel is stored in the form its route answers, and the set was deep-merged
    assert channel_service.get_channel_data(user, channel).data["devices"] == [
        {"token": "t1", "locale": None, "timezone": None}
    ]
    team = channel_service.get_channel_data(RecipientRef(id="t1", collection="teams"), channel)
    assert team.data == {"connections": [{"channel_id": "C1"}]}
    assert preference_service.get_preference_set(user, "default")["workflows"] == {"kept": True, "x": False}


def test_an_inline_recipient_with_bad_channel_data_is_a_422_naming_it(trigger: Callable[..., dict[str, Any]]) -> None:
    channel = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
    response = trigger({"recipients": ["u0", {"id": "u1", "channel_data": {channel: {"tokens": [1]}}}]})
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == [f"recipients.1.channel_data.{channel}.tokens.0"]
