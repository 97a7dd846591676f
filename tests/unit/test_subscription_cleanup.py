"""Deleting a user, an object or a tenant, alone, merged away or in bulk, removes its subscriptions both
ways through SubscriptionCleanupQueue and subscription_cleanup, driven in-process against moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions.bulk_delete.app import lambda_handler as bulk_delete_handler
from functions.delete.app import lambda_handler as delete_handler
from functions.merge.app import lambda_handler as merge_handler
from functions.objects.app import lambda_handler as objects_handler
from functions.objects_bulk.app import lambda_handler as objects_bulk_handler
from functions.subscription_cleanup.app import lambda_handler as cleanup_handler
from functions.tenants.app import lambda_handler as tenants_handler
from recipients.identity.models import RecipientRef
from recipients.kernel.aws import sqs
from recipients.subscriptions import sweep
from recipients.subscriptions.models import AddSubscriptionsRequest
from recipients.subscriptions.service import add_subscriptions
from tests.conftest import BulkQueues, CleanupQueues, EventLoader, FakeLambdaContext
from tests.unit.bulk_queue import deliver, drain, sqs_event

pytestmark = pytest.mark.usefixtures("idempotency_table")

Scan = Callable[[], list[dict[str, Any]]]
APOLLO = RecipientRef(id="apollo", collection="projects")
GEMINI = RecipientRef(id="gemini", collection="projects")
TEAM = RecipientRef(id="core", collection="teams")


def subscribe(obj: RecipientRef, *recipients: Any) -> None:
    add_subscriptions(obj, AddSubscriptionsRequest(recipients=list(recipients)))


def subscriptions(stored_items: Scan) -> set[tuple[str, str]]:
    """Every stored subscription item as (kind, key): `sub#` under the object, `subof#` under the recipient."""
    return {
        (item["pk"]["S"].split("#", 1)[0], item["pk"]["S"].split("#", 1)[1])
        for item in stored_items()
        if item["pk"]["S"].startswith(("sub#", "subof#"))
    }


def both(obj: str, recipient: str) -> set[tuple[str, str]]:
    return {("sub", f"{obj}/{recipient}"), ("subof", f"{recipient}/{obj}")}


def clean_up(queues: CleanupQueues, context: FakeLambdaContext) -> int:
    """Deliver the clean-up queue until it is empty; how many messages it took."""
    total = 0
    while received := deliver(queues.url, cleanup_handler, context):
        total += received
    return total


@pytest.fixture
def world(recipients_table: str) -> None:
    """ada and bob subscribed to apollo, ada to gemini, the team to apollo, and apollo to the team."""
    subscribe(APOLLO, {"id": "ada"}, {"id": "bob"}, {**TEAM.to_wire(), "name": "Core"})
    subscribe(GEMINI, "ada")
    subscribe(TEAM, APOLLO.to_wire())


def test_deleting_a_user_removes_both_items_of_each_of_its_subscriptions_once_the_queue_runs(
    world: None,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    before = subscriptions(stored_items)

    assert delete_handler(load_event("delete", path={"user_id": "ada"}), lambda_context)["statusCode"] == 204
    assert subscriptions(stored_items) == before  # asynchronous: nothing removed yet
    assert clean_up(cleanup_queues, lambda_context) == 1

    gone = both("obj#projects#apollo", "user#ada") | both("obj#projects#gemini", "user#ada")
    assert subscriptions(stored_items) == before - gone


def test_deleting_an_object_removes_its_subscribers_and_what_it_is_subscribed_to(
    world: None,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    event = load_event("objects_delete", path={"collection": "projects", "object_id": "apollo"})

    assert objects_handler(event, lambda_context)["statusCode"] == 204
    clean_up(cleanup_queues, lambda_context)

    assert subscriptions(stored_items) == both("obj#projects#gemini", "user#ada")


def test_deleting_a_tenant_cleans_up_the_object_of_tenants(
    recipients_table: str,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    subscribe(RecipientRef(id="acme", collection="$tenants"), {"id": "ada"})

    assert (
        tenants_handler(load_event("tenants_delete", path={"tenant_id": "acme"}), lambda_context)["statusCode"] == 204
    )
    clean_up(cleanup_queues, lambda_context)

    assert subscriptions(stored_items) == set()


def test_a_merged_away_user_loses_its_subscriptions(
    world: None,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    event = load_event("merge", path={"user_id": "ada"}, body={"from_user_id": "bob"})

    assert merge_handler(event, lambda_context)["statusCode"] == 200
    clean_up(cleanup_queues, lambda_context)

    assert not {key for _, key in subscriptions(stored_items) if "user#bob" in key}
    assert both("obj#projects#apollo", "user#ada") <= subscriptions(stored_items)


def test_bulk_deletes_of_users_and_objects_queue_one_clean_up_per_recipient(
    world: None,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    bulk_queues: BulkQueues,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    users = load_event("bulk_delete", body={"user_ids": ["ada", "bob", "nobody"]})
    assert bulk_delete_handler(users, lambda_context)["statusCode"] == 200
    objects = load_event("objects_bulk_delete", path={"collection": "teams"}, body={"object_ids": ["core"]})
    assert objects_bulk_handler(objects, lambda_context)["statusCode"] == 200
    drain(bulk_queues, lambda_context)

    assert clean_up(cleanup_queues, lambda_context) == 4

    assert subscriptions(stored_items) == set()


def test_a_redelivered_message_removes_nothing_more_and_succeeds(
    world: None,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    delete_handler(load_event("delete", path={"user_id": "ada"}), lambda_context)
    [message] = boto3.client("sqs").receive_message(QueueUrl=cleanup_queues.url)["Messages"]
    event = sqs_event(cleanup_queues.url, [message])

    first, second = cleanup_handler(event, lambda_context), cleanup_handler(event, lambda_context)

    assert first == second == {"batchItemFailures": []}
    assert not {key for _, key in subscriptions(stored_items) if "user#ada" in key}
    assert both("obj#projects#apollo", "user#bob") <= subscriptions(stored_items)


def test_a_long_list_is_cleaned_up_a_few_pages_per_message_with_continuations(
    recipients_table: str,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sweep, "PAGE_SIZE", 2)
    monkeypatch.setattr(sweep, "PAGES_PER_MESSAGE", 2)
    subscribe(APOLLO, *[{"id": f"u{index}"} for index in range(9)], {**TEAM.to_wire(), "name": "Core"})
    subscribe(TEAM, APOLLO.to_wire())
    delete = load_event("objects_delete", path={"collection": "projects", "object_id": "apollo"})
    assert objects_handler(delete, lambda_context)["statusCode"] == 204

    # 1 subscribed-to + 10 subscribers, 2 per page and 2 pages per message: 4 messages, 3 of them continuations
    assert clean_up(cleanup_queues, lambda_context) == 4
    assert subscriptions(stored_items) == set()


def test_subscriptions_made_after_the_delete_survive_a_late_clean_up(
    world: None,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    # Given ada deleted, and before the clean-up runs, identified again and subscribed to apollo and the team
    assert delete_handler(load_event("delete", path={"user_id": "ada"}), lambda_context)["statusCode"] == 204
    subscribe(APOLLO, {"id": "ada", "name": "Ada again"})
    subscribe(TEAM, "ada")

    clean_up(cleanup_queues, lambda_context)

    # Then only the subscription from before the delete that was not made again is gone
    kept = subscriptions(stored_items)
    assert both("obj#projects#apollo", "user#ada") | both("obj#teams#core", "user#ada") <= kept
    assert not both("obj#projects#gemini", "user#ada") & kept


def test_a_delete_whose_clean_up_cannot_be_queued_is_a_503_and_repeating_it_queues_it(
    world: None,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    cleanup_queues: CleanupQueues,
    stored_items: Scan,
) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessageBatch")

    event = load_event("delete", path={"user_id": "ada"})
    sqs().meta.events.register("before-call.sqs.SendMessageBatch", refuse)
    try:
        refused = delete_handler(event, lambda_context)
    finally:
        sqs().meta.events.unregister("before-call.sqs.SendMessageBatch", refuse)
    assert (refused["statusCode"], json.loads(refused["body"])["code"]) == (503, "service_unavailable")
    assert clean_up(cleanup_queues, lambda_context) == 0

    assert delete_handler(event, lambda_context)["statusCode"] == 404  # deleted already, and asked again
    assert clean_up(cleanup_queues, lambda_context) == 1
    assert not {key for _, key in subscriptions(stored_items) if "user#ada" in key}
