"""The official knockapi SDK's subscription calls, pointed at the API: add (plain ids, inline users and
inline objects), list both ways with the filters as the SDK encodes them, delete, and a user's list."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

import knockapi
import pytest
from knockapi import Knock
from knockapi.types import Object, User
from knockapi.types.recipients import Subscription

pytestmark = pytest.mark.contract

NewId = Callable[[str], str]


def recipient_ids(entries: list[Subscription]) -> list[str]:
    return [entry.recipient.id for entry in entries]


def error_fields(error: knockapi.APIStatusError) -> list[str]:
    assert isinstance(error.body, dict), error.body
    return [entry["field"] for entry in error.body["errors"]]


def test_add_subscribes_plain_ids_inline_users_and_inline_objects(
    knock: Knock, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given an identified user, a user and an object sent inline, and an object that does not exist yet
    projects, teams = new_collection("sdk-sub-projects"), new_collection("sdk-sub-teams")
    ada, bob = new_user_id("sdk-sub-ada"), new_user_id("sdk-sub-bob")
    knock.users.update(ada, name="Ada")

    # When they are subscribed to it through the SDK
    added = knock.objects.add_subscriptions(
        projects,
        "apollo",
        recipients=[
            ada,
            {"id": bob, "email": "bob@example.com"},
            {"id": "eng", "collection": teams, "name": "Engineering"},
        ],
        properties={"role": "admin"},
    )

    # Then the SDK parses a subscription per recipient, each recipient as a User or an Object in full
    assert recipient_ids(added) == [ada, bob, "eng"]
    assert [type(entry.recipient) for entry in added] == [User, User, Object]
    for entry in added:
        assert (entry.api_typename, entry.object.collection, entry.object.id) == ("Subscription", projects, "apollo")
        assert entry.properties == {"role": "admin"}
        assert entry.inserted_at.tzinfo is not None
    assert isinstance(added[0].recipient, User) and added[0].recipient.name == "Ada"
    assert isinstance(added[2].recipient, Object) and added[2].recipient.collection == teams
    # and the inline recipients were identified, the object made empty
    assert knock.users.get(bob).email == "bob@example.com"
    assert knock.objects.get(teams, "eng").properties == {"name": "Engineering"}
    assert knock.objects.get(projects, "apollo").properties == {}

    # When one is subscribed again with other properties
    again = knock.objects.add_subscriptions(projects, "apollo", recipients=[ada], properties={"role": "viewer"})

    # Then its properties are replaced and it keeps when it was first made
    assert (again[0].properties, again[0].inserted_at) == ({"role": "viewer"}, added[0].inserted_at)
    assert again[0].updated_at >= added[0].updated_at


def test_list_in_object_mode_filters_by_recipients_as_the_sdk_encodes_them(
    knock: Knock, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given an object with two user subscribers and an object subscriber
    projects, teams = new_collection("sdk-sub-filter"), new_collection("sdk-sub-filter-teams")
    ada, bob = new_user_id("sdk-sub-ada"), new_user_id("sdk-sub-bob")
    knock.objects.add_subscriptions(
        projects, "apollo", recipients=[{"id": ada}, {"id": bob}, {"id": "eng", "collection": teams, "name": "Eng"}]
    )

    # When they are listed without a filter, and with a user id and an object reference as filters
    everyone = list(knock.objects.list_subscriptions(projects, "apollo", mode="object"))
    raw = knock.objects.with_raw_response.list_subscriptions(
        projects, "apollo", mode="object", recipients=[ada, {"id": "eng", "collection": teams}, "nobody"]
    )
    filtered = raw.parse()
    one_a_page = knock.objects.list_subscriptions(
        projects, "apollo", mode="object", recipients=[ada, {"id": "eng", "collection": teams}], page_size=1
    )

    # Then the object subscriber comes first; the filter reached the API in bracket form and kept only those,
    # in the list's order, one page after another as the SDK follows the cursors
    assert recipient_ids(everyone)[0] == "eng" and sorted(recipient_ids(everyone)[1:]) == sorted([ada, bob])
    query = unquote(raw.http_request.url.query.decode())
    assert f"recipients[]={ada}" in query and f"recipients[][collection]={teams}" in query
    assert recipient_ids(filtered.entries) == ["eng", ada]
    assert recipient_ids(list(one_a_page)) == ["eng", ada]


def test_list_in_recipient_mode_answers_what_the_object_subscribes_to_filtered_by_objects(
    knock: Knock, new_collection: NewId
) -> None:
    # Given a team subscribed to three projects, one after the other
    projects, teams = new_collection("sdk-sub-mode"), new_collection("sdk-sub-mode-teams")
    knock.objects.set(teams, "eng", name="Engineering")
    for project in ("p1", "p2", "p3"):
        knock.objects.add_subscriptions(projects, project, recipients=[{"id": "eng", "collection": teams}])

    # When the team's subscriptions are listed (mode=recipient), and only two of them through `objects`
    listed = list(knock.objects.list_subscriptions(teams, "eng", mode="recipient"))
    raw = knock.objects.with_raw_response.list_subscriptions(
        teams,
        "eng",
        mode="recipient",
        objects=[{"collection": projects, "id": "p1"}, {"id": "p3", "collection": projects}],
    )

    # Then the objects come newest first, each with the team as recipient; the filter keeps the two named
    assert [entry.object.id for entry in listed] == ["p3", "p2", "p1"]
    assert all(isinstance(entry.recipient, Object) and entry.recipient.id == "eng" for entry in listed)
    assert "objects[][id]=p3" in unquote(raw.http_request.url.query.decode())
    assert sorted(entry.object.id for entry in raw.parse().entries) == ["p1", "p3"]


def test_list_include_preferences_side_loads_each_subscribers_sets(
    knock: Knock, new_user_id: NewId, new_collection: NewId
) -> None:
    projects = new_collection("sdk-sub-prefs")
    with_set, without = new_user_id("sdk-sub-prefs"), new_user_id("sdk-sub-noprefs")
    knock.users.set_preferences(with_set, "default", channel_types={"email": False})
    knock.objects.add_subscriptions(projects, "apollo", recipients=[with_set, {"id": without}])

    included = {
        entry.recipient.id: entry
        for entry in knock.objects.list_subscriptions(projects, "apollo", include=["preferences"])
    }
    plain = list(knock.objects.list_subscriptions(projects, "apollo"))

    preferences = (included[with_set].recipient.model_extra or {})["preferences"]
    assert list(preferences) == ["default"]
    assert preferences["default"]["channel_types"] == {"email": False}
    assert (included[without].recipient.model_extra or {})["preferences"] == {}
    assert all("preferences" not in (entry.recipient.model_extra or {}) for entry in plain)


def test_auto_pagination_follows_the_cursor_over_every_page(
    knock: Knock, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given an object with seven subscribers and a user subscribed to five objects
    projects = new_collection("sdk-sub-pages")
    users = [new_user_id("sdk-sub-page") for _ in range(7)]
    knock.objects.add_subscriptions(projects, "apollo", recipients=[{"id": user_id} for user_id in users])
    for index in range(5):
        knock.objects.add_subscriptions(projects, f"p{index}", recipients=[users[0]])

    # When the SDK iterates both lists two at a time
    pages = list(knock.objects.list_subscriptions(projects, "apollo", page_size=2).iter_pages())
    subscribed = list(knock.users.list_subscriptions(users[0], page_size=2))

    # Then it reads several pages of at most two and sees every subscription once
    assert len(pages) == 4 and all(len(page.entries) <= 2 for page in pages)
    assert sorted(entry.recipient.id for page in pages for entry in page.entries) == sorted(users)
    assert [entry.object.id for entry in subscribed] == ["p4", "p3", "p2", "p1", "p0", "apollo"]


def test_delete_answers_the_deleted_and_skips_the_rest(knock: Knock, new_user_id: NewId, new_collection: NewId) -> None:
    # Given a user and an object subscribed
    projects, teams = new_collection("sdk-sub-delete"), new_collection("sdk-sub-delete-teams")
    ada, bob = new_user_id("sdk-sub-ada"), new_user_id("sdk-sub-bob")
    knock.objects.add_subscriptions(
        projects, "apollo", recipients=[{"id": ada}, {"id": bob}, {"id": "eng", "collection": teams, "name": "Eng"}]
    )

    # When they are unsubscribed with a recipient that never subscribed
    deleted = knock.objects.delete_subscriptions(
        projects, "apollo", recipients=[ada, "nobody", {"id": "eng", "collection": teams}]
    )

    # Then the SDK gets the two deleted; both directions no longer list them
    assert recipient_ids(deleted) == [ada, "eng"]
    assert recipient_ids(list(knock.objects.list_subscriptions(projects, "apollo"))) == [bob]
    assert list(knock.users.list_subscriptions(ada)) == []
    assert list(knock.objects.list_subscriptions(teams, "eng", mode="recipient")) == []


def test_users_list_subscriptions_filters_by_objects(knock: Knock, new_user_id: NewId, new_collection: NewId) -> None:
    projects, teams = new_collection("sdk-sub-user"), new_collection("sdk-sub-user-teams")
    ada = new_user_id("sdk-sub-ada")
    knock.objects.add_subscriptions(projects, "p1", recipients=[{"id": ada}], properties={"n": 1})
    knock.objects.add_subscriptions(teams, "eng", recipients=[ada])
    knock.objects.add_subscriptions(projects, "p2", recipients=[ada])

    raw = knock.users.with_raw_response.list_subscriptions(
        ada, objects=[{"collection": projects, "id": "p1"}, {"collection": teams, "id": "eng"}]
    )
    everything = list(knock.users.list_subscriptions(ada))

    assert [(entry.object.collection, entry.object.id) for entry in everything] == [
        (projects, "p2"),
        (teams, "eng"),
        (projects, "p1"),
    ]
    assert f"objects[][collection]={teams}" in unquote(raw.http_request.url.query.decode())
    filtered = raw.parse().entries
    assert [entry.object.id for entry in filtered] == ["eng", "p1"]
    assert filtered[1].properties == {"n": 1}
    assert all(isinstance(entry.recipient, User) and entry.recipient.id == ada for entry in filtered)


def test_deleted_subscribers_are_left_out_and_auto_pagination_reads_past_them(
    knock: Knock, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given four subscribers, of which the first three in list order are then deleted
    projects = new_collection("sdk-sub-gone")
    users = [new_user_id("sdk-sub-gone") for _ in range(4)]
    knock.objects.add_subscriptions(projects, "apollo", recipients=[{"id": user_id} for user_id in users])
    listed = recipient_ids(list(knock.objects.list_subscriptions(projects, "apollo")))
    for user_id in listed[:3]:
        knock.users.delete(user_id)

    # When the SDK iterates the list one at a time, Then it reaches the one left (it stops at an empty page)
    assert recipient_ids(list(knock.objects.list_subscriptions(projects, "apollo", page_size=1))) == [listed[3]]
    assert list(knock.users.list_subscriptions(listed[0])) == []


def test_bad_input_raises_the_sdk_error_naming_the_field_and_writes_nothing(
    knock: Knock, new_user_id: NewId, new_collection: NewId
) -> None:
    projects = new_collection("sdk-sub-bad")
    ada, never = new_user_id("sdk-sub-ada"), new_user_id("sdk-sub-never")
    knock.users.update(ada, name="Ada")

    # A recipient that was never identified, and a bad inline user: 422 naming the entry; nothing written
    with pytest.raises(knockapi.UnprocessableEntityError) as unknown:
        knock.objects.add_subscriptions(projects, "apollo", recipients=[ada, never])
    with pytest.raises(knockapi.UnprocessableEntityError) as bad_email:
        knock.objects.add_subscriptions(projects, "apollo", recipients=[{"id": never, "email": "nope"}])
    assert (unknown.value.status_code, error_fields(unknown.value)) == (422, ["recipients.1"])
    assert error_fields(bad_email.value) == ["recipients.0.email"]
    with pytest.raises(knockapi.NotFoundError) as missing:
        knock.objects.list_subscriptions(projects, "apollo")
    assert missing.value.status_code == 404
    assert isinstance(missing.value.body, dict) and missing.value.body["code"] == "resource_missing"
    assert list(knock.users.list_subscriptions(ada)) == []

    # Delete takes references only, and a list's filter entries and page size are checked
    knock.objects.add_subscriptions(projects, "apollo", recipients=[ada])
    with pytest.raises(knockapi.UnprocessableEntityError) as inline_delete:
        knock.objects.delete_subscriptions(projects, "apollo", recipients=[{"id": ada, "name": "Ada"}])
    with pytest.raises(knockapi.UnprocessableEntityError) as bad_filter:
        knock.objects.list_subscriptions(projects, "apollo", recipients=[ada, "bad#id"])
    with pytest.raises(knockapi.UnprocessableEntityError) as bad_page:
        knock.users.list_subscriptions(ada, page_size=0)
    assert error_fields(inline_delete.value) == ["recipients.0"]
    assert error_fields(bad_filter.value) == ["recipients[].1"]
    assert error_fields(bad_page.value) == ["page_size"]
    assert recipient_ids(list(knock.objects.list_subscriptions(projects, "apollo"))) == [ada]
