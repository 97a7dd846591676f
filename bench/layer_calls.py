"""Every name the bench takes from the layer (`recipients`), in this one file.

When a layer module moves, only the imports below change. Each is made inside the function that
needs it: `count_requests` imports after moto has started, and `bench.warm` runs in a fresh,
Lambda-like interpreter whose first-request time and RSS must count only what the handler loads.
The handlers themselves are found in template.yaml, not here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench import Context

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def dynamodb() -> DynamoDBClient:
    """The layer's own DynamoDB client (one per process)."""
    from recipients.kernel.aws import dynamodb as client

    return client()


def seed_users(count: int) -> None:
    """`count` users, so that list pages and shards hold something."""
    from recipients.users import identify
    from recipients.users.requests import IdentifyUserRequest

    for index in range(count):
        user_id, body = f"seed-{index}", IdentifyUserRequest.model_validate({"name": "seed"})
        identify.identify_user(user_id, identify.check_identify_user(user_id, body))


def store_operations(user_id: str) -> dict[str, Callable[[], object]]:
    """One call of each operation whose DynamoDB requests are counted, by name, in the order to run them.

    `user_id` is identified first and deleted last; each `*_new_user` write goes to a user that does
    not exist yet, which it creates.
    """
    from recipients.channels import service as channels
    from recipients.http import idempotency
    from recipients.identity.models import RecipientRef
    from recipients.preferences import service as preferences
    from recipients.preferences.models import PreferenceSetRequest
    from recipients.schedules import firing, listing
    from recipients.schedules import service as schedules
    from recipients.schedules.requests import CreateSchedulesRequest
    from recipients.subscriptions import service as subscriptions
    from recipients.subscriptions.models import AddSubscriptionsRequest
    from recipients.users import identify, service
    from recipients.users.requests import IdentifyUserRequest

    body = IdentifyUserRequest.model_validate({"email": "ada@example.com", "plan": "pro", "prefs": {"a": 1}})
    user = RecipientRef(id=user_id)
    channel_id, channel_data = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11", {"tokens": ["t1"]}
    replace = PreferenceSetRequest.model_validate({"channel_types": {"email": False}})
    merge = PreferenceSetRequest.model_validate({"channel_types": {"sms": True}, "__persistence_strategy__": "merge"})

    project = RecipientRef(id=f"{user_id}-project", collection="projects")
    subscribe = AddSubscriptionsRequest(recipients=[user_id], properties={"role": "owner"})

    daily = CreateSchedulesRequest.model_validate(
        {"workflow": "bench-digest", "recipients": [user_id], "repeats": [{"frequency": "daily", "hours": 9}]}
    )
    created: list[Any] = []

    def schedule_create() -> object:
        created.extend(schedules.create_schedules(daily))
        return created

    def schedule_fire() -> object:  # as EventBridge Scheduler invokes it, for the armed occurrence
        [schedule] = created
        return firing.fire(firing.Firing(schedule_id=schedule.id, occurrence=schedule.next_occurrence_at))

    def new_user(operation: str) -> RecipientRef:
        return RecipientRef(id=f"{user_id}-{operation}")

    def identify_with_key() -> object:  # as the SDK sends it: with an Idempotency-Key
        plan = identify.check_identify_user(user_id, body)
        return idempotency.run_once(
            "identify",
            "bench-key",
            {"user_id": user_id, "body": body},
            lambda: identify.identify_user(user_id, plan).to_json(),
            request_id="bench",
            context=Context(),  # type: ignore[arg-type]  # the one method Powertools calls
        )

    return {
        "identify": lambda: identify.identify_user(user_id, identify.check_identify_user(user_id, body)),
        "identify_key": identify_with_key,
        "identify_replay": identify_with_key,
        "get": lambda: service.get_user(user_id),
        "list_page": lambda: service.list_users(10, None, None),
        "channel_data_set": lambda: channels.set_channel_data(user, channel_id, channel_data),
        "channel_data_set_new_user": lambda: channels.set_channel_data(new_user("channel"), channel_id, channel_data),
        "channel_data_get": lambda: channels.get_channel_data(user, channel_id),
        "channel_data_unset": lambda: channels.unset_channel_data(user, channel_id),
        "preferences_replace": lambda: preferences.set_preference_set(user, "default", replace),
        "preferences_replace_new_user": lambda: preferences.set_preference_set(new_user("replace"), "default", replace),
        "preferences_get": lambda: preferences.get_preference_set(user, "default"),
        "preferences_merge": lambda: preferences.set_preference_set(user, "default", merge),
        "preferences_merge_new_user": lambda: preferences.set_preference_set(new_user("merge"), "default", merge),
        "preferences_unset": lambda: preferences.unset_preference_set(user, "default"),
        "subscriptions_add": lambda: subscriptions.add_subscriptions(project, subscribe),
        "subscribers_list_page": lambda: subscriptions.list_object_subscriptions(project, "object", [], 10, None, None),
        "user_subscriptions_list_page": lambda: subscriptions.list_user_subscriptions(user_id, [], 10, None, None),
        "schedule_create": schedule_create,
        "schedules_list_page": lambda: listing.list_schedules("bench-digest", [], None, 10, None, None),
        "user_schedules_list_page": lambda: listing.list_recipient_schedules(user, None, None, 10, None, None),
        "schedule_fire": schedule_fire,
        "delete": lambda: service.delete_user(user_id),
    }


def identify_writes(client: DynamoDBClient, table_name: str, rows: list[dict[str, Any]]) -> list[Callable[[], object]]:
    """One call per row of the layer's one-`UpdateItem` identify on `client`, validated and planned now."""
    from recipients.identity.identify import plan_identify
    from recipients.kernel.table import Table
    from recipients.users.requests import InlineIdentifyUserRequest
    from recipients.users.store import UserStore

    store = UserStore(Table(client, table_name))
    plans = [(row["id"], plan_identify(InlineIdentifyUserRequest.model_validate(row))) for row in rows]
    return [functools.partial(store.identify_user, user_id, plan) for user_id, plan in plans]


def bulk_limits() -> dict[str, int]:
    """The bulk pipeline's concurrency and chunk sizes, reported beside its throughput."""
    from recipients.bulk.apply import WORKER_THREADS
    from recipients.bulk.rows import MAX_CHUNK_BYTES, MAX_CHUNK_ROWS

    return {"worker_threads": WORKER_THREADS, "chunk_max_rows": MAX_CHUNK_ROWS, "chunk_max_bytes": MAX_CHUNK_BYTES}
