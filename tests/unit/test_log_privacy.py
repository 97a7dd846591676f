"""No log line or metric holds an email, a phone number, a property value or a key.

Every function of template.yaml is driven with distinctive personal values (each one holds "canary",
or is an unusual number) on its success and rejection paths, with the service logger at DEBUG, more
verbose than any level the template's LogLevel allows (INFO, WARN, ERROR). Captured: the service's
JSON log lines and EMF metrics (stdout) and every other logger at INFO, the root level Lambda runs
with (botocore logs request bodies only at DEBUG).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local.template import resources_of_type
from recipients.auth.keys import hash_key
from recipients.changes.settings import change_event_settings
from recipients.kernel.observability import logger
from tests.conftest import (
    EVENTS_DIR,
    BulkQueues,
    EventLoader,
    FakeLambdaContext,
    UserTokens,
    armed_schedules,
    function_for_event,
    function_handler,
    new_rsa_key_pair,
)
from tests.unit.bulk_queue import deliver
from tests.unit.stream_records import StreamReader

EMAIL = "quillon.canary@example.org"
PHONE = "+15550107391"
NAME = "Quillon Canarywood"
AVATAR = "https://avatars.example.org/canary-quillon.png"
CUSTOM_VALUE = "canary-custom-value"
NESTED_VALUE = "canary-nested-value"
NUMBER = 918273645
OBJECT_VALUE = "canary-object-value"
DATA_VALUE = "canary-trigger-data"
REJECTED_EMAIL = "canary-rejected-email"
REJECTED_PHONE = "canary-rejected-phone"
REJECTED_TIMEZONE = "Canary/Nowhere"
SECRET_KEY = "sk_test_canary_secret"
UNKNOWN_KEY = "sk_live_canary_unknown"
PUBLIC_KEY = "pk_test_canary_public"

_SIGNING_KEY, _SIGNING_PUBLIC_KEY = new_rsa_key_pair()
OTHER_SIGNING_KEY, _ = new_rsa_key_pair()
USER_TOKENS = UserTokens(PUBLIC_KEY, _SIGNING_KEY, _SIGNING_PUBLIC_KEY)
JWT_PREFIX = "eyJ"
"""How every user token starts (base64 of `{"`): none may appear in a log line."""

PERSONAL_VALUES = [
    EMAIL,
    PHONE,
    NAME,
    AVATAR,
    CUSTOM_VALUE,
    NESTED_VALUE,
    str(NUMBER),
    OBJECT_VALUE,
    DATA_VALUE,
    REJECTED_EMAIL,
    REJECTED_PHONE,
    REJECTED_TIMEZONE,
    SECRET_KEY,
    UNKNOWN_KEY,
    PUBLIC_KEY,
    "canary-push-token",
    "canary-webhook",
    "canary-condition-argument",
]
PROFILE = {
    "name": NAME,
    "email": EMAIL,
    "phone_number": PHONE,
    "avatar": AVATAR,
    "plan": CUSTOM_VALUE,
    "prefs": {"theme": NESTED_VALUE, "score": NUMBER},
}
REJECTED_PROFILE = {"email": REJECTED_EMAIL, "phone_number": REJECTED_PHONE, "plan": CUSTOM_VALUE}
OBJECT = {"name": OBJECT_VALUE, "budget": NUMBER, "owner": {"email": EMAIL, "phone": PHONE}}

FUNCTIONS = resources_of_type("AWS::Serverless::Function")


@dataclass
class Calls:
    """Runs the template's functions with variants of the samples in events/, asserting their answers."""

    load_event: EventLoader
    context: FakeLambdaContext
    queues: BulkQueues

    def http(self, function: str, sample: str, status: int, **variant: Any) -> Any:
        response = function_handler(function)(self.load_event(sample, **variant), self.context)
        assert response["statusCode"] == status, response.get("body")
        return json.loads(response["body"]) if response.get("body") else None

    def sqs(self, function: str, *bodies: Any) -> dict[str, Any]:
        """An SQS event (the shape of events/bulk_worker.json) with one message per body."""
        sample = json.loads((EVENTS_DIR / "bulk_worker.json").read_text(encoding="utf-8"))
        template = sample["Records"][0]
        records = [
            {**template, "messageId": f"message-{index}", "body": body if isinstance(body, str) else json.dumps(body)}
            for index, body in enumerate(bodies)
        ]
        result: dict[str, Any] = function_handler(function)({"Records": records}, self.context)
        return result

    def authorize(self, authorization: str) -> str:
        """The authorizer's verdict on this Authorization header."""
        event = self.load_event("authorizer", headers={"authorization": authorization})
        result: dict[str, Any] = function_handler("AuthorizerFunction")(event, self.context)
        assert result["isAuthorized"] is True
        return str(result["context"]["verdict"])

    def identify(self, user_id: str) -> None:
        self.http("IdentifyFunction", "identify", 200, path={"user_id": user_id}, body=PROFILE)

    def drain(self) -> None:
        for _ in range(20):
            if not deliver(self.queues.url, function_handler("BulkWorkerFunction"), self.context):
                return


def _authorizer(calls: Calls) -> None:
    assert calls.authorize(f"Bearer {SECRET_KEY}") == "allow"
    assert calls.authorize(f"bearer {SECRET_KEY}") == "allow"
    assert calls.authorize(f"Bearer {PUBLIC_KEY}") == "public"
    for denied in (f"Bearer {UNKNOWN_KEY}", f"Basic {SECRET_KEY}", SECRET_KEY, f"Bearer {SECRET_KEY}x", "Bearer  "):
        assert calls.authorize(denied) == "unauthenticated"


def _public(calls: Calls, sample: str, status: int, token: str | None, **variant: Any) -> None:
    """A request as a browser makes it: the public key (which the authorizer knows) and a user token."""
    headers = {"authorization": f"Bearer {PUBLIC_KEY}", "x-knock-user-token": token}
    event = calls.load_event(sample, headers=headers, **variant)
    event["requestContext"]["authorizer"] = {"lambda": {"verdict": "public"}}
    response = function_handler(function_for_event(sample))(event, calls.context)
    assert response["statusCode"] == status, response.get("body")


def _identify(calls: Calls) -> None:
    calls.identify("privacy-user")
    path = {"user_id": "privacy-user"}
    _public(calls, "identify", 200, USER_TOKENS.sign("privacy-user"), path=path, body=PROFILE)
    forged = USER_TOKENS.sign("privacy-user", private_pem=OTHER_SIGNING_KEY)
    _public(calls, "identify", 401, forged, path=path, body=PROFILE)
    _public(calls, "identify", 403, USER_TOKENS.sign("someone-else"), path=path, body=PROFILE)
    calls.http("IdentifyFunction", "identify", 422, path={"user_id": "privacy-user"}, body=REJECTED_PROFILE)
    repeated = calls.load_event("identify", path={"user_id": "privacy-user"}, body=PROFILE)
    for _ in range(2):  # the second is an Idempotency-Key replay
        assert function_handler("IdentifyFunction")(repeated, calls.context)["statusCode"] == 200


def _get(calls: Calls) -> None:
    calls.identify("privacy-user")
    assert calls.http("GetFunction", "get", 200, path={"user_id": "privacy-user"})["email"] == EMAIL
    assert calls.http("GetFunction", "list", 200)["entries"][0]["phone_number"] == PHONE


def _delete(calls: Calls) -> None:
    calls.identify("privacy-user")
    calls.http("DeleteFunction", "delete", 204, path={"user_id": "privacy-user"})


def _subscription_cleanup(calls: Calls) -> None:
    calls.identify("privacy-user")
    body = {"subscriptions": [{"id": "privacy-object", "recipients": ["privacy-user"], "properties": PROFILE}]}
    calls.http("ObjectsBulkFunction", "objects_bulk_subscriptions_add", 200, body=body)
    calls.drain()
    calls.http("DeleteFunction", "delete", 204, path={"user_id": "privacy-user"})
    message = {"recipient": {"id": "privacy-user"}, "deleted_at": "9999-12-31T00:00:00Z", "list": "subscribed"}
    assert calls.sqs("SubscriptionCleanupFunction", message, {"users": [PROFILE]})["batchItemFailures"] == [
        {"itemIdentifier": "message-1"}
    ]


def _merge(calls: Calls) -> None:
    calls.identify("privacy-guest")
    calls.http("IdentifyFunction", "identify", 200, path={"user_id": "privacy-user"}, body={"locale": "en-GB"})
    merged = calls.http(
        "MergeFunction", "merge", 200, path={"user_id": "privacy-user"}, body={"from_user_id": "privacy-guest"}
    )
    assert merged["email"] == EMAIL


def _bulk_rows() -> list[dict[str, Any]]:
    return [
        {"id": "privacy-bulk-1", **PROFILE},
        {"id": "privacy-bulk-2", "name": NAME, "prefs": {"nested": NESTED_VALUE}},
        {"id": "privacy-bulk-3", **REJECTED_PROFILE},
    ]


def _bulk_identify(calls: Calls) -> None:
    operation = calls.http("BulkIdentifyFunction", "bulk_identify", 200, body={"users": _bulk_rows()})
    assert operation["error_count"] == 1


def _bulk_worker(calls: Calls) -> None:
    operation = calls.http("BulkIdentifyFunction", "bulk_identify", 200, body={"users": _bulk_rows()})
    calls.drain()
    path = {"operation_id": operation["id"]}
    assert calls.http("BulkOperationsFunction", "bulk_operations", 200, path=path)["success_count"] == 2
    # a message that is not a chunk fails alone, whatever it holds
    failures = calls.sqs("BulkWorkerFunction", {"users": [PROFILE]})["batchItemFailures"]
    assert failures == [{"itemIdentifier": "message-0"}]


def _bulk_dead_letter(calls: Calls) -> None:
    operation = calls.http("BulkIdentifyFunction", "bulk_identify", 200, body={"users": _bulk_rows()})
    rows = [
        {"indices": [0], "id": "privacy-bulk-1", "attributes": {f"prop:{k}": json.dumps(v) for k, v in PROFILE.items()}}
    ]
    chunk = {"operation_id": operation["id"], "chunk_index": 0, "action": "identify", "rows": rows}
    assert calls.sqs("BulkDeadLetterFunction", chunk, json.dumps(PROFILE)) == {"batchItemFailures": []}


def _bulk_operations(calls: Calls) -> None:
    operation = calls.http("BulkIdentifyFunction", "bulk_identify", 200, body={"users": _bulk_rows()})
    found = calls.http("BulkOperationsFunction", "bulk_operations", 200, path={"operation_id": operation["id"]})
    assert found["error_count"] == 1


def _bulk_delete(calls: Calls) -> None:
    calls.identify("privacy-user")
    calls.http("BulkDeleteFunction", "bulk_delete", 200, body={"user_ids": ["privacy-user", "bad#id"]})
    calls.drain()


def _trigger(calls: Calls) -> None:
    calls.identify("privacy-known")
    recipients = [
        "privacy-known",
        {"id": "privacy-inline", **PROFILE},
        {"id": "privacy-object", "collection": "projects", **OBJECT},
    ]
    body = {
        "recipients": recipients,
        "actor": {"id": "privacy-actor", "email": EMAIL, "name": NAME},
        "data": {"comment": DATA_VALUE, "author": {"phone": PHONE}},
        "tenant": "privacy-tenant",
    }
    calls.http("TriggerFunction", "trigger", 200, body=body)
    large = {**body, "data": {"comment": DATA_VALUE * 20_000}}  # too large for an event: kept in the bucket
    calls.http("TriggerFunction", "trigger", 200, body=large)
    rejected = {**body, "recipients": [{"id": "privacy-rejected", **REJECTED_PROFILE}]}
    calls.http("TriggerFunction", "trigger", 422, body=rejected)


def _cancel(calls: Calls) -> None:
    recipients = [{"id": "privacy-inline", **PROFILE}]
    trigger = {"recipients": recipients, "data": {"comment": DATA_VALUE}, "cancellation_key": "privacy-cancel"}
    calls.http("TriggerFunction", "trigger", 200, body=trigger)
    calls.http("CancelFunction", "cancel", 204, body={"cancellation_key": "privacy-cancel"})


def _objects(calls: Calls) -> None:
    path = {"collection": "projects", "object_id": "privacy-object"}
    calls.http("ObjectsFunction", "objects_set", 200, path=path, body=OBJECT)
    calls.http("ObjectsFunction", "objects_set", 422, path=path, body={**OBJECT, "timezone": REJECTED_TIMEZONE})
    assert calls.http("ObjectsFunction", "objects_get", 200, path=path)["properties"]["name"] == OBJECT_VALUE
    calls.http("ObjectsFunction", "objects_list", 200, path={"collection": "projects"})
    calls.http("ObjectsFunction", "objects_delete", 204, path=path)


def _objects_bulk(calls: Calls) -> None:
    rows = [{"id": "privacy-object", **OBJECT}, {"id": "privacy-rejected", "timezone": REJECTED_TIMEZONE}]
    body = {"objects": rows}
    assert calls.http("ObjectsBulkFunction", "objects_bulk_set", 200, body=body)["error_count"] == 1
    calls.drain()
    entries = [{"id": "privacy-object", "recipients": [{"id": "privacy-user", **PROFILE}], "properties": PROFILE}]
    entries.append({"id": "privacy-rejected", "recipients": [{"id": "privacy-x", "timezone": REJECTED_TIMEZONE}]})
    body = {"subscriptions": entries}
    assert calls.http("ObjectsBulkFunction", "objects_bulk_subscriptions_add", 200, body=body)["error_count"] == 1
    calls.drain()
    body = {"subscriptions": [{"id": "privacy-object", "recipients": ["privacy-user"]}]}
    calls.http("ObjectsBulkFunction", "objects_bulk_subscriptions_delete", 200, body=body)
    calls.drain()
    body = {"object_ids": ["privacy-object"]}
    calls.http("ObjectsBulkFunction", "objects_bulk_delete", 200, body=body)


CHANNEL = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
PUSH_TOKEN = "canary-push-token"
WEBHOOK = "https://hooks.example.org/canary-webhook"
CONDITION_ARGUMENT = "canary-condition-argument"


def _channel_data(calls: Calls) -> None:
    path = {"user_id": "privacy-user", "channel_id": CHANNEL}
    body = {"data": {"devices": [{"token": PUSH_TOKEN, "locale": "en", "timezone": "Europe/London"}]}}
    calls.http("ChannelDataFunction", "channel_data_set", 200, path=path, body=body)
    calls.http("ChannelDataFunction", "channel_data_set", 422, path=path, body={"data": {"tokens": [NUMBER]}})
    assert calls.http("ChannelDataFunction", "channel_data_get", 200, path=path)["data"]["tokens"] == [PUSH_TOKEN]
    calls.http("ChannelDataFunction", "channel_data_unset", 204, path=path)
    webhook = {"data": {"connections": [{"incoming_webhook": {"url": WEBHOOK}}]}}
    object_path = {"collection": "projects", "object_id": "privacy-object", "channel_id": CHANNEL}
    calls.http("ChannelDataFunction", "channel_data_objects_set", 200, path=object_path, body=webhook)


def _preferences(calls: Calls) -> None:
    path = {"user_id": "privacy-user", "set_id": "default"}
    condition = {"variable": "recipient.plan", "operator": "equal_to", "argument": CONDITION_ARGUMENT}
    body = {"channel_types": {"sms": {"conditions": [condition]}}}
    calls.http("PreferencesFunction", "preferences_set", 200, path=path, body=body)
    calls.http(
        "PreferencesFunction", "preferences_merge", 200, path=path, body={**body, "__persistence_strategy__": "merge"}
    )
    rejected = {"channel_types": {"sms": {"conditions": [{**condition, "operator": REJECTED_EMAIL}]}}}
    calls.http("PreferencesFunction", "preferences_set", 422, path=path, body=rejected)
    assert (
        calls.http("PreferencesFunction", "preferences_get", 200, path=path)["channel_types"]["sms"]
        == body["channel_types"]["sms"]
    )
    calls.http("PreferencesFunction", "preferences_list", 200, path={"user_id": "privacy-user"})
    calls.http("PreferencesFunction", "preferences_unset", 204, path=path)


def _bulk_preferences(calls: Calls) -> None:
    condition = {"variable": "recipient.plan", "operator": "equal_to", "argument": CONDITION_ARGUMENT}
    body = {"user_ids": ["privacy-user", "a/b"], "preferences": {"channel_types": {"sms": {"conditions": [condition]}}}}
    assert calls.http("BulkPreferencesFunction", "bulk_preferences", 200, body=body)["error_count"] == 1


def _tenants(calls: Calls) -> None:
    path = {"tenant_id": "privacy-tenant"}
    body = {"name": NAME, "contact": EMAIL, "settings": {"branding": {"logo_url": AVATAR}}}
    assert calls.http("TenantsFunction", "tenants_set", 200, path=path, body=body)["contact"] == EMAIL
    calls.http(
        "TenantsFunction", "tenants_set", 422, path=path, body={"settings": {"branding": {"logo_url": REJECTED_EMAIL}}}
    )
    assert calls.http("TenantsFunction", "tenants_get", 200, path=path)["name"] == NAME
    calls.http("TenantsFunction", "tenants_list", 200, query={"name": NAME})
    calls.http("TenantsFunction", "tenants_delete", 204, path=path)


def _tenants_bulk(calls: Calls) -> None:
    body = {"tenants": ["privacy-tenant", {"id": "privacy-other", "name": NAME, "contact": EMAIL}, {"id": "a#b"}]}
    assert calls.http("TenantsBulkFunction", "tenants_bulk_set", 200, body=body)["error_count"] == 1
    calls.drain()
    calls.http("TenantsBulkFunction", "tenants_bulk_delete", 200, query={"tenant_ids[]": ["privacy-tenant"]})


def _subscriptions(calls: Calls) -> None:
    path = {"collection": "projects", "object_id": "privacy-project"}
    body = {"recipients": [{"id": "privacy-user", "email": EMAIL, "name": NAME}], "properties": {"contact": EMAIL}}
    assert calls.http("SubscriptionsFunction", "subscriptions_add", 200, path=path, body=body)[0]["properties"]
    calls.http(
        "SubscriptionsFunction",
        "subscriptions_add",
        422,
        path=path,
        body={"recipients": [{"id": "u", "email": REJECTED_EMAIL}]},
    )
    calls.http("SubscriptionsFunction", "subscriptions_list", 200, path=path, query={})
    calls.http("SubscriptionsFunction", "subscriptions_list_user", 200, path={"user_id": "privacy-user"}, query={})
    calls.http("SubscriptionsFunction", "subscriptions_delete", 200, path=path, body={"recipients": ["privacy-user"]})


def _audiences(calls: Calls) -> None:
    path = {"key": "privacy-audience"}
    members = [{"user": {"id": "privacy-user", **PROFILE}, "tenant": "privacy-tenant"}, {"user": {"id": "privacy-x"}}]
    calls.http("AudiencesFunction", "audiences_add", 204, path=path, body={"members": members})
    rejected = [{"user": {"id": "privacy-user", **REJECTED_PROFILE}}]
    calls.http("AudiencesFunction", "audiences_add", 422, path=path, body={"members": rejected})
    calls.http(
        "AudiencesFunction", "audiences_add", 404, path={"key": "privacy-none"}, query={}, body={"members": members}
    )
    listed = calls.http("AudiencesFunction", "audiences_list", 200, path=path)
    emails = {entry["user_id"]: entry["user"] and entry["user"]["email"] for entry in listed["entries"]}
    assert emails == {"privacy-user": EMAIL, "privacy-x": None}
    calls.http("AudiencesFunction", "audiences_remove", 204, path=path, body={"members": members})


def _fanout(calls: Calls) -> None:
    path = {"collection": "projects", "object_id": "privacy-fanout"}
    body = {"recipients": [{"id": "privacy-subscriber", **PROFILE}], "properties": {"contact": EMAIL, "phone": PHONE}}
    calls.http("SubscriptionsFunction", "subscriptions_add", 200, path=path, body=body)
    trigger = {"recipients": [{"id": "privacy-fanout", "collection": "projects"}], "data": {"comment": DATA_VALUE}}
    calls.http("TriggerFunction", "trigger", 200, body=trigger)
    while deliver(os.environ["FANOUT_QUEUE_URL"], function_handler("FanoutFunction"), calls.context):
        pass


def _change_events(calls: Calls) -> None:
    stream = StreamReader(os.environ["RECIPIENTS_TABLE_NAME"])
    calls.identify("privacy-user")
    path = {"collection": "projects", "object_id": "privacy-changes"}
    body = {"recipients": ["privacy-user"], "properties": {"contact": EMAIL, "phone": PHONE}}
    calls.http("SubscriptionsFunction", "subscriptions_add", 200, path=path, body=body)
    records = stream.read()
    unreadable = {**records[0], "dynamodb": {"SequenceNumber": "1", "NewImage": records[0]["dynamodb"]["NewImage"]}}
    os.environ["CHANGE_EVENT_VALUES"] = "true"  # values go to the bus, never to the logs
    try:
        change_event_settings.cache_clear()
        result = function_handler("ChangeEventsFunction")({"Records": [*records, unreadable]}, calls.context)
    finally:
        del os.environ["CHANGE_EVENT_VALUES"]
        change_event_settings.cache_clear()
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}


DAILY = [{"frequency": "daily", "hours": 9}]


def _schedule_body(*recipients: Any, **extra: Any) -> dict[str, Any]:
    return {"workflow": "privacy-flow", "recipients": list(recipients), "repeats": DAILY, **extra}


def _schedules(calls: Calls) -> None:
    inline = {"id": "privacy-user", "timezone": "Europe/London", **PROFILE}
    body = _schedule_body(inline, data={"comment": DATA_VALUE}, tenant={"id": "privacy-tenant", "name": NAME})
    created = calls.http("SchedulesFunction", "schedules_create", 200, body=body)
    calls.http("SchedulesFunction", "schedules_create", 422, body=_schedule_body({"id": "u", **REJECTED_PROFILE}))
    calls.http(
        "SchedulesFunction", "schedules_create", 422, body=_schedule_body({"id": "u", "timezone": REJECTED_TIMEZONE})
    )
    calls.http("SchedulesFunction", "schedules_list", 200, query={"workflow": "privacy-flow"})
    calls.http("SchedulesFunction", "schedules_list_user", 200, path={"user_id": "privacy-user"}, query={})
    calls.http("SchedulesFunction", "schedules_list_object", 200, path={"collection": "projects", "object_id": "p"})
    ids = [schedule["id"] for schedule in created]
    calls.http("SchedulesFunction", "schedules_update", 200, body={"schedule_ids": ids, "data": {"note": EMAIL}})
    calls.http("SchedulesFunction", "schedules_delete", 200, body={"schedule_ids": ids})


def _schedules_bulk(calls: Calls) -> None:
    entries = [
        {"workflow": "privacy-flow", "recipient": {"id": "privacy-bulk", **PROFILE}, "repeats": DAILY},
        {"workflow": "privacy-flow", "recipient": {"id": "privacy-bad", **REJECTED_PROFILE}, "repeats": DAILY},
        {"workflow": "privacy-flow", "recipient": "privacy-bulk", "data": {"comment": DATA_VALUE}},  # no timing
    ]
    operation = calls.http("SchedulesBulkFunction", "schedules_bulk_create", 200, body={"schedules": entries})
    assert operation["error_count"] == 2
    calls.drain()


def _schedule_firing(calls: Calls) -> None:
    body = _schedule_body({"id": "privacy-user", **PROFILE}, data={"comment": DATA_VALUE})
    calls.http("SchedulesFunction", "schedules_create", 200, body=body)
    (armed,) = armed_schedules(os.environ["SCHEDULE_GROUP_NAME"]).values()
    firing = json.loads(armed["Target"]["Input"])
    assert function_handler("ScheduleFiringFunction")(firing, calls.context)["workflow_run_id"]
    assert function_handler("ScheduleFiringFunction")(firing, calls.context) == {"workflow_run_id": None}


def _schedule_recipient_changes(calls: Calls) -> None:
    inline = {"id": "privacy-user", "timezone": "Europe/London", **PROFILE}
    calls.http("SchedulesFunction", "schedules_create", 200, body=_schedule_body(inline))
    calls.http("IdentifyFunction", "identify", 200, path={"user_id": "privacy-user"}, body={"timezone": "Asia/Tokyo"})
    handler = function_handler("ScheduleRecipientChangesFunction")
    for name in ("schedule_recipient_changes", "schedule_recipient_changes_deleted"):
        event = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        event["detail"]["recipient"] = "privacy-user"
        assert handler(event, calls.context) == {"schedules": 1}


def _fallback(calls: Calls) -> None:
    calls.http("FallbackFunction", "fallback", 404, path="/v2/users/privacy-user", body=PROFILE)


def _docs(calls: Calls) -> None:
    calls.http("DocsFunction", "docs", 200, headers={"authorization": f"Bearer {SECRET_KEY}"})


def _console(calls: Calls) -> None:
    page = calls.load_event("console", headers={"authorization": f"Bearer {SECRET_KEY}", "cookie": f"k={SECRET_KEY}"})
    assert function_handler("ConsoleFunction")(page, calls.context)["statusCode"] == 200  # an HTML body
    headers = {"cookie": f"k={SECRET_KEY}", "accept-encoding": None}
    calls.http("ConsoleFunction", "console_asset", 404, path={"asset": EMAIL}, headers=headers)


CASES: dict[str, tuple[Callable[[Calls], None], str | None]] = {
    # function: (what drives it, a line only that function writes: proof the capture saw it)
    "AuthorizerFunction": (_authorizer, None),  # it writes nothing at these levels
    "IdentifyFunction": (_identify, "idempotent replay"),
    "GetFunction": (_get, "UserPagesListed"),
    "DeleteFunction": (_delete, "user deleted"),
    "MergeFunction": (_merge, "users merged"),
    "BulkIdentifyFunction": (_bulk_identify, "bulk operation started"),
    "BulkWorkerFunction": (_bulk_worker, "BatchItemFailures"),
    "BulkDeadLetterFunction": (_bulk_dead_letter, "message is not a bulk chunk"),
    "BulkOperationsFunction": (_bulk_operations, "BulkOperationsFetched"),
    "BulkDeleteFunction": (_bulk_delete, "users.bulk_delete"),
    "TriggerFunction": (_trigger, "workflow triggered"),
    "CancelFunction": (_cancel, "workflow cancelled"),
    "ObjectsFunction": (_objects, "object deleted"),
    "ObjectsBulkFunction": (_objects_bulk, "objects.bulk_delete"),
    "ChannelDataFunction": (_channel_data, "channel data unset"),
    "PreferencesFunction": (_preferences, "preference set merged"),
    "BulkPreferencesFunction": (_bulk_preferences, "users.bulk_set_preferences"),
    "TenantsFunction": (_tenants, "tenant deleted"),
    "TenantsBulkFunction": (_tenants_bulk, "tenants.bulk_delete"),
    "SubscriptionsFunction": (_subscriptions, "subscriptions deleted"),
    "SubscriptionCleanupFunction": (_subscription_cleanup, "subscriptions cleaned up"),
    "AudiencesFunction": (_audiences, "audience members removed"),
    "FanoutFunction": (_fanout, "fan-out done"),
    "ChangeEventsFunction": (_change_events, "a stream record could not be read"),
    "SchedulesFunction": (_schedules, "schedules deleted"),
    "SchedulesBulkFunction": (_schedules_bulk, "schedules.bulk_create"),
    "ScheduleFiringFunction": (_schedule_firing, "schedule fired"),
    "ScheduleRecipientChangesFunction": (_schedule_recipient_changes, "schedules followed their recipient"),
    "FallbackFunction": (_fallback, "UnroutedRequests"),
    "DocsFunction": (_docs, None),  # it writes nothing at these levels
    "ConsoleFunction": (_console, "ConsoleServed"),
}


@pytest.fixture
def service_logger_at_debug() -> Iterator[None]:
    previous = logger.log_level
    logger.setLevel(logging.DEBUG)
    yield
    logger.setLevel(previous)


def test_cases_drive_every_function_of_the_template() -> None:
    assert set(CASES) == set(FUNCTIONS)


@pytest.mark.usefixtures("recipients_table", "idempotency_table", "workflow_bus", "workflow_data_bucket")
@pytest.mark.usefixtures("schedule_group")
@pytest.mark.usefixtures("service_logger_at_debug")
@pytest.mark.parametrize("function", sorted(CASES))
def test_function_logs_no_personal_value_or_key(
    function: str,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    bulk_queues: BulkQueues,
    caplog: pytest.LogCaptureFixture,
    log_output: Callable[[], str],
) -> None:
    # Given the secret and public keys' hashes and the user tokens' public key in SSM, and every logger
    # writing at the levels above
    ssm = boto3.client("ssm")
    hashes = f"{hash_key(SECRET_KEY)}\n{hash_key(PUBLIC_KEY)}"
    ssm.put_parameter(Name=os.environ["API_KEY_HASHES_PARAMETER"], Type="SecureString", Value=hashes)
    ssm.put_parameter(Name=os.environ["SIGNING_PUBLIC_KEYS_PARAMETER"], Type="String", Value=_SIGNING_PUBLIC_KEY)
    caplog.set_level(logging.INFO)
    drive, marker = CASES[function]

    # When the function is driven with personal values and keys
    drive(Calls(load_event, lambda_context, bulk_queues))

    # Then its output (which the capture saw) holds none of them, not even in part
    output = log_output() + caplog.text
    if marker is not None:
        assert marker in output
    assert [value for value in PERSONAL_VALUES if value in output] == []
    assert "canary" not in output.lower()
    assert JWT_PREFIX not in output
