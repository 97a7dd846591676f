"""The official knockapi SDK, pointed at the API with base_url, works unchanged."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

import knockapi
import pytest
from knockapi import Knock

from tests.contract.support import wait_for_operation
from tests.local_api import ApiTarget

pytestmark = pytest.mark.contract

NewUserId = Callable[[str], str]


def test_update_with_custom_properties_returns_merged_user(knock: Knock, new_user_id: NewUserId) -> None:
    # Given a user identified with a reserved field and custom properties
    user_id = new_user_id("sdk-update")
    knock.users.update(user_id, name="Ada", extra_body={"plan": "pro", "prefs": {"theme": "dark"}})

    # When it is updated again through the SDK
    user = knock.users.update(user_id, email="ada@example.com", extra_body={"seats": 3})

    # Then the SDK returns the merged user, custom keys reachable as attributes and in model_extra
    assert user.id == user_id
    assert user.name == "Ada"
    assert user.email == "ada@example.com"
    assert user.api_typename == "User"
    assert user.model_extra is not None
    assert user.model_extra["plan"] == "pro"
    assert user.prefs == {"theme": "dark"}
    assert user.seats == 3
    assert user.updated_at.tzinfo is not None


def test_update_created_at_datetime_round_trips(knock: Knock, new_user_id: NewUserId) -> None:
    # Given a created_at datetime, which the SDK sends through isoformat()
    user_id = new_user_id("sdk-created-at")
    created_at = datetime(2024, 5, 22, 12, 0, tzinfo=UTC)

    # When a user is identified with it
    user = knock.users.update(user_id, created_at=created_at)

    # Then the same instant comes back
    assert user.created_at == created_at


def test_get_identified_user_returns_user_model(knock: Knock, new_user_id: NewUserId) -> None:
    # Given an identified user
    user_id = new_user_id("sdk-get")
    knock.users.update(user_id, name="Grace", phone_number="+14155550123", extra_body={"team": "compilers"})

    # When it is read through the SDK
    user = knock.users.get(user_id)

    # Then every field parses into the SDK's User
    assert (user.id, user.name, user.phone_number) == (user_id, "Grace", "+14155550123")
    assert user.model_extra is not None
    assert user.model_extra["team"] == "compilers"


def test_update_id_with_reserved_characters_round_trips(knock: Knock) -> None:
    # Given an id with characters the SDK percent-encodes (and some it leaves literal)
    user_id = f"sdk \u00fcser:{datetime.now(UTC).timestamp()}@+!%"

    # When it is identified and read back through the SDK
    try:
        knock.users.update(user_id, name="Encoded")
        user = knock.users.get(user_id)
    finally:
        knock.users.delete(user_id)

    # Then the id is stored exactly as given
    assert user.id == user_id


def test_list_with_small_pages_iterates_every_created_user(knock: Knock, new_user_id: NewUserId) -> None:
    # Given five identified users
    created = {new_user_id("sdk-list") for _ in range(5)}
    for user_id in created:
        knock.users.update(user_id, extra_body={"plan": "list"})

    # When the SDK auto-paginates through pages of two (it follows page_info.after)
    listed = [user.id for user in knock.users.list(page_size=2)]

    # Then every created user is there, and none twice
    assert created <= set(listed)
    assert len(listed) == len(set(listed))


def test_list_first_page_returns_page_info(knock: Knock, new_user_id: NewUserId) -> None:
    # Given at least two users
    for user_id in (new_user_id("sdk-page") for _ in range(2)):
        knock.users.update(user_id)

    # When one page of one is read
    page = knock.users.list(page_size=1)

    # Then it holds one entry and a cursor to the next page (page_size is echoed, outside the SDK's model)
    assert len(page.entries) == 1
    assert page.page_info is not None
    assert page.page_info.after
    assert page.page_info.model_extra is not None
    assert page.page_info.model_extra["page_size"] == 1
    assert page.has_next_page()


def test_delete_user_then_get_raises_not_found(knock: Knock, new_user_id: NewUserId) -> None:
    # Given an identified user
    user_id = new_user_id("sdk-delete")
    knock.users.update(user_id, name="Temp")

    # When it is deleted through the SDK (a 204, which the SDK returns as None)
    knock.users.delete(user_id)

    # Then reading it raises NotFoundError with a Knock body
    with pytest.raises(knockapi.NotFoundError) as raised:
        knock.users.get(user_id)
    assert raised.value.status_code == 404
    assert isinstance(raised.value.body, dict)
    assert raised.value.body["code"] == "resource_missing"


def test_update_invalid_email_raises_unprocessable_entity(knock: Knock, new_user_id: NewUserId) -> None:
    # Given a new user id
    user_id = new_user_id("sdk-invalid")

    # When an invalid email is sent
    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.users.update(user_id, email="not-an-email")

    # Then the error body names the field, and nothing was written
    assert isinstance(raised.value.body, dict)
    assert [error["field"] for error in raised.value.body["errors"]] == ["email"]
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(user_id)


def test_client_with_unknown_key_raises_authentication_error(api: ApiTarget) -> None:
    # Given a client with a secret key the API does not know
    client = Knock(api_key="sk_unknown_contract_key", base_url=api.url, max_retries=0)

    # When it makes a call
    with pytest.raises(knockapi.AuthenticationError) as raised:
        client.users.list(page_size=1)

    # Then it gets a 401 with a Knock error body
    assert raised.value.status_code == 401
    assert isinstance(raised.value.body, dict)
    assert (raised.value.body["code"], raised.value.body["type"]) == ("authentication_required", "authentication_error")


def test_client_with_public_key_raises_permission_denied(api: ApiTarget) -> None:
    # Given a client with the API's public key (meant for browsers, with a user token)
    public_key = os.environ.get("RECIPIENTS_PUBLIC_API_KEY") or "pk_test_local"
    client = Knock(api_key=public_key, base_url=api.url, max_retries=0)

    # When it calls a server route
    with pytest.raises(knockapi.PermissionDeniedError) as raised:
        client.users.list()

    # Then it gets a 403 with Knock's code for a token that may not call the endpoint
    assert raised.value.status_code == 403
    assert isinstance(raised.value.body, dict)
    assert (raised.value.body["code"], raised.value.body["type"]) == ("incorrect_token_type", "authentication_error")


def test_bulk_identify_then_poll_until_completed(knock: Knock, new_user_id: NewUserId) -> None:
    # Given 25 users, one with an id the rules refuse
    ids = [new_user_id(f"sdk-bulk-{i}") for i in range(24)]
    users = [{"id": user_id, "name": f"User {i}", "rank": i} for i, user_id in enumerate(ids)] + [{"id": "bad#id"}]

    # When they are identified in bulk through the SDK and the operation is polled
    queued = knock.users.bulk.identify(users=users)  # type: ignore[arg-type]  # custom keys ride along
    finished = wait_for_operation(knock, queued.id)

    # Then the SDK parses every answer, counts are exact, and the bad row says why
    assert (queued.api_typename, queued.status, queued.estimated_total_rows) == ("BulkOperation", "queued", 25)
    assert (finished.status, finished.processed_rows, finished.success_count, finished.error_count) == (
        "completed",
        25,
        24,
        1,
    )
    assert finished.error_items is not None and finished.error_items[0].id == "bad#id"
    assert "#" in (finished.error_items[0].model_extra or {})["reason"]
    assert knock.users.get(ids[7]).rank == 7  # type: ignore[attr-defined]


def test_bulk_delete_then_poll_until_completed(knock: Knock, new_user_id: NewUserId) -> None:
    ids = [new_user_id(f"sdk-bulk-delete-{i}") for i in range(3)]
    for user_id in ids:
        knock.users.update(user_id, name="Doomed")

    finished = wait_for_operation(knock, knock.users.bulk.delete(user_ids=ids).id)

    assert (finished.status, finished.success_count) == ("completed", 3)
    for user_id in ids:
        with pytest.raises(knockapi.NotFoundError):
            knock.users.get(user_id)


def test_merge_folds_a_guest_into_a_user(knock: Knock, new_user_id: NewUserId) -> None:
    user_id, guest_id = new_user_id("sdk-merge-user"), new_user_id("sdk-merge-guest")
    knock.users.update(user_id, name="Ada")
    knock.users.update(guest_id, name="Guest", email="guest@example.com", extra_body={"cart": [1]})

    merged = knock.users.merge(user_id, from_user_id=guest_id)

    assert (merged.id, merged.name, merged.email, merged.cart) == (user_id, "Ada", "guest@example.com", [1])
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(guest_id)


def test_trigger_with_mixed_recipients_identifies_the_inline_ones_first(knock: Knock, new_user_id: NewUserId) -> None:
    # Given an identified user, and ids for an inline user and an inline object
    known, inline = new_user_id("sdk-trigger-known"), new_user_id("sdk-trigger-inline")
    project = new_user_id("sdk-trigger-project")
    knock.users.update(known, name="Known")

    # When a workflow is triggered for the user by id, an inline user and an inline object
    response = knock.workflows.trigger(
        "new-comment",
        recipients=[
            known,
            {"id": inline, "email": "inline@example.com"},
            {"id": project, "collection": "projects", "name": "Apollo"},
        ],
        actor=known,
        data={"comment_id": "c_9"},
        cancellation_key=f"{inline}-ck",
    )

    # Then it answers with a run id, and the inline user exists with what was sent
    assert response.workflow_run_id
    assert knock.users.get(inline).email == "inline@example.com"
    knock.workflows.cancel("new-comment", cancellation_key=f"{inline}-ck")


def test_trigger_with_a_bad_inline_recipient_raises_unprocessable_entity(knock: Knock, new_user_id: NewUserId) -> None:
    inline = new_user_id("sdk-trigger-bad")

    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.workflows.trigger("new-comment", recipients=[{"id": inline, "name": "x"}, {"id": "y", "email": "no"}])

    assert raised.value.body["errors"][0]["field"] == "recipients.1.email"  # type: ignore[index]
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(inline)


def test_trigger_repeated_with_an_idempotency_key_returns_the_same_run(knock: Knock, new_user_id: NewUserId) -> None:
    inline, key = new_user_id("sdk-idem-inline"), new_user_id("sdk-idem-key")
    recipients: list[str | dict[str, object]] = [{"id": inline, "name": "x"}]

    first = knock.workflows.trigger("new-comment", recipients=recipients, idempotency_key=key)
    replayed = knock.workflows.with_raw_response.trigger("new-comment", recipients=recipients, idempotency_key=key)

    assert replayed.parse().workflow_run_id == first.workflow_run_id
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.headers["original-x-request-id"] != replayed.headers["x-request-id"]
    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.workflows.trigger("new-comment", recipients=[inline], idempotency_key=key)
    assert raised.value.body["code"] == "idempotency_key_reused"  # type: ignore[index]


def test_sdk_calls_each_get_their_own_idempotency_key(knock: Knock, new_user_id: NewUserId) -> None:
    # The SDK sends a fresh Idempotency-Key on every call: repeated identifies all take effect
    user_id = new_user_id("sdk-idem-auto")
    knock.users.update(user_id, name="First")
    knock.users.update(user_id, name="Second")

    assert knock.users.get(user_id).name == "Second"
