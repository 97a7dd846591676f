"""The official knockapi SDK's audience calls, pointed at the API: add (with inline users), list, remove."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import knockapi
import pytest
from knockapi import Knock

pytestmark = pytest.mark.contract

NewId = Callable[[str], str]


def new_audience() -> str:
    return f"sdk-audience-{uuid.uuid4().hex[:12]}"


def test_add_list_and_remove_members(knock: Knock, new_user_id: NewId) -> None:
    # Given an audience made by the first add, with an inline user (two tenants) and a user never identified
    key, ada, ghost = new_audience(), new_user_id("sdk-aud-ada"), new_user_id("sdk-aud-ghost")
    knock.audiences.add_members(
        key,
        members=[
            {"user": {"id": ada, "name": "Ada", "email": "ada@example.com"}, "tenant": "acme"},
            {"user": {"id": ada}, "tenant": "globex"},
            {"user": {"id": ghost}},
        ],
        create_audience=True,
    )

    # When its members are listed through the SDK
    listed = knock.audiences.list_members(key)

    # Then it parses every member: the inline user upserted, the missing one with user null
    members = {(entry.user_id, entry.tenant): entry for entry in listed.entries}
    assert set(members) == {(ada, "acme"), (ada, "globex"), (ghost, None)}
    first = members[(ada, "acme")]
    assert (first.api_typename, first.user.id, first.user.email) == ("AudienceMember", ada, "ada@example.com")
    assert first.added_at.tzinfo is not None
    assert members[(ghost, None)].user is None
    assert knock.users.get(ada).name == "Ada"
    assert listed.page_info.page_size == 50 and listed.page_info.after is None

    # When one tenant's membership is removed (and a non-member with it), Then only that one is gone
    knock.audiences.remove_members(key, members=[{"user": {"id": ada}, "tenant": "acme"}, {"user": {"id": "nobody"}}])
    remaining = {(entry.user_id, entry.tenant) for entry in knock.audiences.list_members(key).entries}
    assert remaining == {(ada, "globex"), (ghost, None)}
    knock.audiences.remove_members(key, members=[{"user": {"id": ada}, "tenant": "globex"}, {"user": {"id": ghost}}])
    assert knock.audiences.list_members(key).entries == []


def test_list_members_pages_with_the_cursor_the_sdk_is_given(knock: Knock, new_user_id: NewId) -> None:
    key = new_audience()
    user_ids = [new_user_id("sdk-aud-page") for _ in range(5)]
    knock.audiences.add_members(key, members=[{"user": {"id": user_id}} for user_id in user_ids], create_audience=True)

    seen: list[str] = []
    after: str | None = None
    while True:
        query = {"page_size": 2, **({"after": after} if after else {})}
        page = knock.audiences.list_members(key, extra_query=query)
        assert len(page.entries) <= 2
        seen += [entry.user_id for entry in page.entries]
        after = page.page_info.after
        if after is None:
            break

    assert sorted(seen) == sorted(user_ids)
    knock.audiences.remove_members(key, members=[{"user": {"id": user_id}} for user_id in user_ids])


def test_an_unknown_audience_and_a_bad_member_raise_the_sdk_errors(knock: Knock, new_user_id: NewId) -> None:
    key, user_id = new_audience(), new_user_id("sdk-aud-missing")
    with pytest.raises(knockapi.NotFoundError):
        knock.audiences.add_members(key, members=[{"user": {"id": user_id, "name": "Never"}}])
    with pytest.raises(knockapi.NotFoundError):
        knock.audiences.list_members(key)
    with pytest.raises(knockapi.NotFoundError):
        knock.audiences.remove_members(key, members=[{"user": {"id": user_id}}])
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(user_id)  # the 404 wrote nothing, not even the inline user

    with pytest.raises(knockapi.UnprocessableEntityError) as caught:
        knock.audiences.add_members(
            key, members=[{"user": {"id": user_id}}, {"user": {"id": user_id, "email": "nope"}}], create_audience=True
        )
    assert isinstance(caught.value.body, dict)
    assert [error["field"] for error in caught.value.body["errors"]] == ["members.1.user.email"]
    with pytest.raises(knockapi.NotFoundError):
        knock.audiences.list_members(key)  # nor did the 422 make the audience
