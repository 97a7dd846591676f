"""Subscriptions through the handler with events/subscriptions_*.json, against moto: add (with inline
identification), delete, list both ways with filters and cursors, and the user's list.

Every rejection must be a 4xx Knock-shaped error that names the field, and must write nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from functions.delete.app import lambda_handler as delete_handler
from functions.get.app import lambda_handler as get_handler
from functions.identify.app import lambda_handler as identify_handler
from functions.objects.app import lambda_handler as delete_object_handler
from functions.subscriptions.app import lambda_handler
from recipients.kernel.keys import recipient_pk, subscriber_shard
from recipients.subscriptions.models import Subscription
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table")

APOLLO = {"collection": "projects", "object_id": "apollo"}


class Api:
    def __init__(self, load_event: EventLoader, context: FakeLambdaContext) -> None:
        self.load_event, self.context = load_event, context

    def call(self, sample: str, **overrides: Any) -> dict[str, Any]:
        return lambda_handler(self.load_event(sample, **overrides), self.context)

    def ok(self, sample: str, **overrides: Any) -> Any:
        response = self.call(sample, **overrides)
        assert response["statusCode"] == 200, response["body"]
        return json_body(response)

    def identify(self, user_id: str, **properties: Any) -> None:
        event = self.load_event("identify", path={"user_id": user_id}, body=properties)
        assert identify_handler(event, self.context)["statusCode"] == 200

    def add(self, recipients: list[Any], path: dict[str, str] = APOLLO, **body: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.ok("subscriptions_add", path=path, body={"recipients": recipients, **body})
        return result

    def subscribers(self, path: dict[str, str] = APOLLO, **query: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("subscriptions_list", path=path, query=query)
        return result


@pytest.fixture
def api(load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str) -> Api:
    return Api(load_event, lambda_context)


def ids(page: dict[str, Any]) -> list[str]:
    return [entry["recipient"]["id"] for entry in page["entries"]]


def test_add_identifies_inline_users_creates_the_object_and_answers_subscriptions(api: Api) -> None:
    api.identify("ada", name="Ada")
    added = api.add(["ada", {"id": "bob", "email": "bob@example.com"}], properties={"role": "owner"})
    assert [entry["recipient"]["id"] for entry in added] == ["ada", "bob"]
    for entry in added:
        Subscription.model_validate(entry)
        assert entry["__typename"] == "Subscription"
        assert entry["object"]["id"] == "apollo" and entry["object"]["collection"] == "projects"
        assert entry["properties"] == {"role": "owner"}
    assert added[0]["recipient"]["name"] == "Ada"
    assert added[1]["recipient"]["email"] == "bob@example.com"
    assert sorted(ids(api.subscribers())) == ["ada", "bob"]


def test_adding_again_replaces_properties_and_keeps_inserted_at(api: Api) -> None:
    first = api.add([{"id": "ada"}], properties={"role": "owner", "muted": False})[0]
    again = api.add(["ada"], properties={"role": "viewer"})[0]
    assert again["properties"] == {"role": "viewer"}
    assert again["inserted_at"] == first["inserted_at"]
    assert again["updated_at"] >= first["updated_at"]
    assert [entry["properties"] for entry in api.subscribers()["entries"]] == [{"role": "viewer"}]


def test_objects_subscribe_and_list_both_ways(api: Api) -> None:
    api.add([{"id": "ada"}, {"id": "eng", "collection": "teams", "name": "Engineering"}])
    subscribers = api.subscribers()
    assert [entry["recipient"]["__typename"] for entry in subscribers["entries"]] == ["Object", "User"]
    assert subscribers["entries"][0]["recipient"]["properties"] == {"name": "Engineering"}
    team = {"collection": "teams", "object_id": "eng"}
    subscribed = api.subscribers(path=team, mode="recipient")
    assert [entry["object"]["id"] for entry in subscribed["entries"]] == ["apollo"]


def test_user_subscriptions_newest_first_with_an_objects_filter(api: Api) -> None:
    for project in ("p1", "p2", "p3"):
        api.add([{"id": "ada"}], path={"collection": "projects", "object_id": project})
    listed = api.ok("subscriptions_list_user", path={"user_id": "ada"}, query={})
    assert [entry["object"]["id"] for entry in listed["entries"]] == ["p3", "p2", "p1"]
    event = api.load_event("subscriptions_list_user", path={"user_id": "ada"})
    event["rawQueryString"] = "objects[][collection]=projects&objects[][id]=p1&objects[0][collection]=nope"
    response = lambda_handler(event, api.context)
    assert_knock_error(response, 422, "invalid_params")
    event["rawQueryString"] = (
        "objects[][collection]=projects&objects[][id]=p1&objects[][collection]=projects&objects[][id]=p2"
    )
    filtered = json_body(lambda_handler(event, api.context))
    assert sorted(entry["object"]["id"] for entry in filtered["entries"]) == ["p1", "p2"]


def test_pages_follow_cursors_both_ways_across_shards(api: Api) -> None:
    api.add([{"id": f"user-{index}"} for index in range(23)])
    seen: list[str] = []
    pages = []
    query: dict[str, Any] = {"page_size": "5"}
    while True:
        page = api.subscribers(**query)
        pages.append(page)
        seen += ids(page)
        if page["page_info"]["after"] is None:
            break
        query = {"page_size": "5", "after": page["page_info"]["after"]}
    assert sorted(seen) == sorted(f"user-{index}" for index in range(23)) and len(seen) == 23
    back = api.subscribers(page_size="5", before=pages[2]["page_info"]["before"])
    assert ids(back) == ids(pages[1])


def test_recipients_filter_answers_only_those_subscribed(api: Api) -> None:
    api.add([{"id": "ada"}, {"id": "bob"}])
    event = api.load_event("subscriptions_list", path=APOLLO)
    event["rawQueryString"] = "recipients[]=bob&recipients[]=nobody"
    assert ids(json_body(lambda_handler(event, api.context))) == ["bob"]


def test_a_filtered_list_pages_in_list_order_with_cursors_both_ways(api: Api) -> None:
    everyone = [f"user-{index}" for index in range(12)]
    api.add([{"id": user_id} for user_id in everyone])
    # a deleted recipient is read past, as in the whole list
    assert delete_handler(api.load_event("delete", path={"user_id": "user-3"}), api.context)["statusCode"] == 204
    named = [*everyone, "nobody"]

    def page(**cursor: str) -> dict[str, Any]:
        return api.subscribers(**{"recipients[]": named, "page_size": "4", **cursor})

    pages = [page()]
    while pages[-1]["page_info"]["after"] is not None:
        pages.append(page(after=pages[-1]["page_info"]["after"]))
    listed = [user_id for each in pages for user_id in ids(each)]
    whole_list = [user_id for user_id in ids(api.subscribers(page_size="50")) if user_id in named]
    assert listed == whole_list and sorted(listed) == sorted(set(everyone) - {"user-3"})
    assert [len(ids(each)) for each in pages] == [4, 4, 3]
    assert pages[0]["page_info"]["before"] is None
    assert ids(page(before=pages[2]["page_info"]["before"])) == ids(pages[1])
    error = api.call("subscriptions_list", path=APOLLO, query={"recipients[]": "user-1", "after": "nonsense"})
    assert_knock_error(error, 422, "invalid_params")
    assert error_fields(json_body(error)) == ["after"]


def test_a_users_filtered_list_pages_newest_first(api: Api) -> None:
    projects = [f"p{index}" for index in range(5)]
    for project in projects:
        api.add([{"id": "ada"}], path={"collection": "projects", "object_id": project})
    named = {}  # all but p0, the oldest
    for index, project in enumerate(projects[1:]):
        named |= {f"objects[{index}][collection]": "projects", f"objects[{index}][id]": project}

    def page(**cursor: str) -> dict[str, Any]:
        return api.ok("subscriptions_list_user", path={"user_id": "ada"}, query={**named, "page_size": "2", **cursor})

    first = page()
    second = page(after=first["page_info"]["after"])
    objects = [[entry["object"]["id"] for entry in each["entries"]] for each in (first, second)]
    assert objects == [["p4", "p3"], ["p2", "p1"]]
    assert second["page_info"]["after"] is None
    back = page(before=second["page_info"]["before"])
    assert [entry["object"]["id"] for entry in back["entries"]] == ["p4", "p3"]


def test_delete_answers_the_deleted_and_skips_the_rest(api: Api) -> None:
    api.add([{"id": "ada"}, {"id": "bob"}])
    deleted = api.ok("subscriptions_delete", path=APOLLO, body={"recipients": ["bob", "nobody"]})
    assert [entry["recipient"]["id"] for entry in deleted] == ["bob"]
    assert ids(api.subscribers()) == ["ada"]
    assert ids(api.ok("subscriptions_list_user", path={"user_id": "bob"}, query={})) == []


def test_listing_a_missing_object_is_404(api: Api) -> None:
    assert_knock_error(
        api.call("subscriptions_list", path={"collection": "projects", "object_id": "nope"}), 404, "resource_missing"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": []}, "recipients"),
        ({"recipients": [{"id": f"u{i}"} for i in range(101)]}, "recipients"),
        ({"recipients": ["ok", "bad#id"]}, "recipients.1"),
        ({"recipients": [{"id": "ok", "email": "not-an-email"}]}, "recipients.0.email"),
        ({"recipients": [{"id": "apollo", "collection": "projects"}]}, "recipients.0"),
        ({"recipients": [{"id": "u", "$trigger_data": {}}]}, "recipients.0.$trigger_data"),
        ({"recipients": [{"id": "inline", "name": "Inline"}, "never-identified"]}, "recipients.1"),
        ({"recipients": ["ok"], "properties": []}, "properties"),
        ({"recipients": ["ok"], "extra": 1}, "extra"),
    ],
)
def test_bad_adds_name_the_field_and_write_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    api.identify("ok")
    error = assert_knock_error(api.call("subscriptions_add", path=APOLLO, body=body), 422, "invalid_params")
    assert field in error_fields(error)
    assert_knock_error(api.call("subscriptions_list", path=APOLLO, query={}), 404, "resource_missing")
    assert ids(api.ok("subscriptions_list_user", path={"user_id": "ok"}, query={})) == []
    assert get_user(api, "inline")["statusCode"] == 404


def get_user(api: Api, user_id: str) -> dict[str, Any]:
    return get_handler(api.load_event("get", path={"user_id": user_id}), api.context)


def test_delete_takes_references_only(api: Api) -> None:
    api.add([{"id": "ada"}])
    body = {"recipients": [{"id": "ada", "name": "Ada"}]}
    error = assert_knock_error(api.call("subscriptions_delete", path=APOLLO, body=body), 422, "invalid_params")
    assert error_fields(error) == ["recipients.0"]
    assert ids(api.subscribers()) == ["ada"]


def delete_user(api: Api, user_id: str) -> None:
    event = api.load_event("delete", path={"user_id": user_id})
    assert delete_handler(event, api.context)["statusCode"] == 204


def delete_object(api: Api, collection: str, object_id: str) -> None:
    event = api.load_event("objects_delete", path={"collection": collection, "object_id": object_id})
    assert delete_object_handler(event, api.context)["statusCode"] == 204


def walk(api: Api, sample: str, path: dict[str, str], page_size: int, key: str = "recipient") -> list[list[str]]:
    """Every page of a list, following `after`, as the SDKs do: each page's ids."""
    pages: list[list[str]] = []
    query: dict[str, Any] = {"page_size": str(page_size)}
    while True:
        page = api.ok(sample, path=path, query=query)
        pages.append([entry[key]["id"] for entry in page["entries"]])
        if page["page_info"]["after"] is None:
            return pages
        query = {"page_size": str(page_size), "after": page["page_info"]["after"]}


def test_pages_read_past_deleted_subscribers_so_no_page_but_the_last_is_short(api: Api) -> None:
    # Given six subscribers, of which the first four in list order are then deleted
    api.add([{"id": f"user-{index}"} for index in range(6)])
    listed = ids(api.subscribers())
    for user_id in listed[:4]:
        delete_user(api, user_id)

    # When the list is walked a page of one, and of four, at a time
    single, fours = walk(api, "subscriptions_list", APOLLO, 1), walk(api, "subscriptions_list", APOLLO, 4)

    # Then every page is full but the last (an SDK stops at an empty page), and only the living are listed
    assert single[:2] == [[listed[4]], [listed[5]]] and all(page == [] for page in single[2:])
    assert fours == [listed[4:]]
    # and going back from the end also reads past them
    last = api.subscribers(page_size="1", after=api.subscribers(page_size="1")["page_info"]["after"])
    assert ids(api.subscribers(page_size="1", before=last["page_info"]["before"])) == [listed[4]]


def test_a_users_list_reads_past_deleted_objects(api: Api) -> None:
    for project in ("p1", "p2", "p3", "p4"):
        api.add([{"id": "ada"}], path={"collection": "projects", "object_id": project})
    for project in ("p4", "p3"):  # the newest, listed first
        delete_object(api, "projects", project)

    pages = walk(api, "subscriptions_list_user", {"user_id": "ada"}, 1, key="object")

    assert pages[:2] == [["p2"], ["p1"]] and all(page == [] for page in pages[2:])


def counted(requests: list[str]) -> dict[str, int]:
    return {name: requests.count(name) for name in sorted(set(requests))}


def test_add_requests_one_batch_get_of_the_referenced_one_write_per_inline_recipient_and_25_items_per_batch(
    api: Api, dynamodb_requests: list[str]
) -> None:
    # Given 40 identified users; then 100 recipients: those 40 by id and 60 inline users
    for index in range(40):
        api.identify(f"known-{index}")
    dynamodb_requests.clear()

    api.add([f"known-{index}" for index in range(40)] + [{"id": f"inline-{index}"} for index in range(60)])

    # Then: the referenced ones read at once, an UpdateItem per inline user and one for the object, the
    # subscriptions that exist read at once (consistently), 200 items written 25 at a time
    assert dynamodb_requests == ["BatchGetItem", *["UpdateItem"] * 61, "BatchGetItem", *["BatchWriteItem"] * 8]


def test_add_of_inline_recipients_only_reads_no_recipient(api: Api, dynamodb_requests: list[str]) -> None:
    api.add([{"id": "ada"}, {"id": "eng", "collection": "teams", "name": "Engineering"}])
    assert dynamodb_requests == ["UpdateItem", "UpdateItem", "UpdateItem", "BatchGetItem", "BatchWriteItem"]


def test_a_first_page_of_subscribers_queries_every_shard_it_crosses(api: Api, dynamodb_requests: list[str]) -> None:
    # Given an object with an object subscriber and 30 users (spread over the 16 user shards)
    api.add([{"id": "eng", "collection": "teams", "name": "Engineering"}, *[{"id": f"u{i}"} for i in range(30)]])
    dynamodb_requests.clear()

    # When the whole list is read in one page, Then: the object, one Query per shard (17), one BatchGetItem
    assert len(api.subscribers()["entries"]) == 31
    assert counted(dynamodb_requests) == {"BatchGetItem": 1, "GetItem": 1, "Query": 17}
    assert dynamodb_requests[0] == "GetItem" and dynamodb_requests[-1] == "BatchGetItem"

    # When a page of one is read (two items: one to know more follow), Then the shards read are the object
    # subscribers' and the user shards up to the first that is not empty
    dynamodb_requests.clear()
    assert len(api.subscribers(page_size="1")["entries"]) == 1
    first_user_shard = min(int(subscriber_shard(recipient_pk(f"u{i}"))) for i in range(30))
    assert counted(dynamodb_requests) == {"BatchGetItem": 1, "GetItem": 1, "Query": 1 + first_user_shard + 1}


def test_a_page_of_what_a_recipient_subscribes_to_is_one_query(api: Api, dynamodb_requests: list[str]) -> None:
    for project in ("p1", "p2", "p3"):
        api.add([{"id": "ada"}], path={"collection": "projects", "object_id": project})
    api.add([{"id": "eng", "collection": "teams", "name": "Eng"}])
    dynamodb_requests.clear()

    assert len(api.ok("subscriptions_list_user", path={"user_id": "ada"}, query={})["entries"]) == 3
    assert dynamodb_requests == ["Query", "BatchGetItem"]  # no GetItem: a user's list does not read the user
    dynamodb_requests.clear()
    assert len(api.subscribers(path={"collection": "teams", "object_id": "eng"}, mode="recipient")["entries"]) == 1
    assert dynamodb_requests == ["GetItem", "Query", "BatchGetItem"]


def test_an_objects_filter_reads_every_subscription_named_in_one_batch_get(
    api: Api, dynamodb_requests: list[str]
) -> None:
    for project in ("p1", "p2", "p3"):
        api.add([{"id": "ada"}], path={"collection": "projects", "object_id": project})
    dynamodb_requests.clear()
    event = api.load_event("subscriptions_list_user", path={"user_id": "ada"})
    event["rawQueryString"] = "&".join(f"objects[{i}][collection]=projects&objects[{i}][id]=p{i}" for i in range(4))

    listed = json_body(lambda_handler(event, api.context))

    assert [entry["object"]["id"] for entry in listed["entries"]] == ["p3", "p2", "p1"]  # p0 was never subscribed
    assert dynamodb_requests == ["BatchGetItem", "BatchGetItem"]  # the subscriptions, then their objects


def test_a_recipient_named_twice_in_a_delete_or_a_filter_is_one(api: Api) -> None:
    # DynamoDB refuses a BatchGetItem that names a key twice
    api.add([{"id": "ada"}, {"id": "bob"}])
    event = api.load_event("subscriptions_list", path=APOLLO)
    event["rawQueryString"] = "recipients[]=ada&recipients[]=ada&recipients[0]=ada"
    assert ids(json_body(lambda_handler(event, api.context))) == ["ada"]
    deleted = api.ok("subscriptions_delete", path=APOLLO, body={"recipients": ["ada", "ada"]})
    assert [entry["recipient"]["id"] for entry in deleted] == ["ada"]
    assert ids(api.subscribers()) == ["bob"]


def test_delete_reads_the_object_and_the_subscriptions_then_writes_25_items_a_request(
    api: Api, dynamodb_requests: list[str]
) -> None:
    api.add([{"id": f"u{index}"} for index in range(20)])
    dynamodb_requests.clear()

    deleted = api.ok("subscriptions_delete", path=APOLLO, body={"recipients": [f"u{index}" for index in range(30)]})

    assert len(deleted) == 20
    # the object, the subscriptions named, 40 items deleted 25 at a time, the recipients for the answer
    assert dynamodb_requests == ["GetItem", "BatchGetItem", "BatchWriteItem", "BatchWriteItem", "BatchGetItem"]


def test_a_tenant_is_an_object_that_takes_subscriptions(api: Api) -> None:
    tenant = {"collection": "$tenants", "object_id": "acme"}
    added = api.add([{"id": "ada", "name": "Ada"}], path=tenant, properties={"seat": "admin"})
    assert added[0]["object"]["collection"] == "$tenants" and added[0]["object"]["id"] == "acme"
    assert ids(api.subscribers(path=tenant)) == ["ada"]
    listed = api.ok("subscriptions_list_user", path={"user_id": "ada"}, query={})
    assert [(entry["object"]["collection"], entry["object"]["id"]) for entry in listed["entries"]] == [
        ("$tenants", "acme")
    ]


def test_delete_takes_a_user_as_id_alone_as_the_sdks_reference_types_allow(api: Api) -> None:
    api.add([{"id": "ada"}, {"id": "bob"}])
    deleted = api.ok("subscriptions_delete", path=APOLLO, body={"recipients": [{"id": "bob"}]})
    assert [entry["recipient"]["id"] for entry in deleted] == ["bob"]
    assert ids(api.subscribers()) == ["ada"]


def test_an_objects_filter_takes_object_references_only(api: Api) -> None:
    api.add([{"id": "ada"}])
    for query in ("objects[][id]=apollo", "objects[]=apollo"):
        event = api.load_event("subscriptions_list_user", path={"user_id": "ada"})
        event["rawQueryString"] = query
        error = assert_knock_error(lambda_handler(event, api.context), 422, "invalid_params")
        assert error_fields(error) == ["objects[].0"]
