"""PUT, GET, DELETE /v1/objects/{collection}/{object_id} and GET /v1/objects/{collection}: the objects
handler with events/objects_*.json, against moto.

Every rejection must be a 4xx Knock-shaped error that names the field, and must write nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from functions.identify.app import lambda_handler as identify_handler
from functions.objects.app import lambda_handler
from recipients.objects.models import RecipientObject
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body, json_lines

pytestmark = pytest.mark.usefixtures("idempotency_table")  # identify, bulk identify and trigger keep keys

Items = Callable[[], list[dict[str, Any]]]
StoredObject = Callable[[str, str], dict[str, Any] | None]

SAMPLE_OBJECT = {
    "__typename": "Object",
    "id": "proj_1",
    "collection": "projects",
    "created_at": None,
    "properties": {"name": "Apollo", "timezone": "America/New_York", "budget": 100, "owner": {"team": "rockets"}},
}


@pytest.fixture
def stored_object(recipients_table: str, dynamodb_client: Any) -> StoredObject:
    """The raw item of one object (GetItem on `obj#<collection>#<id>`), or None."""

    def get(collection: str, object_id: str) -> dict[str, Any] | None:
        key = {"pk": {"S": f"obj#{collection}#{object_id}"}}
        item: dict[str, Any] | None = dynamodb_client.get_item(TableName=recipients_table, Key=key).get("Item")
        return item

    return get


@pytest.fixture
def sample_object(load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str) -> dict[str, Any]:
    """The object of events/objects_set.json, set through the handler; returns its body."""
    response = lambda_handler(load_event("objects_set"), lambda_context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def set_object(
    load_event: EventLoader, context: FakeLambdaContext, collection: str, object_id: str, body: Any
) -> dict[str, Any]:
    event = load_event("objects_set", path={"collection": collection, "object_id": object_id}, body=body)
    return lambda_handler(event, context)


def without_updated_at(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "updated_at"}


# --- set ---------------------------------------------------------------------------------------------


def test_set_new_object_returns_200_and_the_object_with_properties_nested(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = lambda_handler(load_event("objects_set"), lambda_context)

    assert response["statusCode"] == 200
    body = json_body(response)
    assert RecipientObject.model_validate(body).updated_at == body["updated_at"]
    assert without_updated_at(body) == SAMPLE_OBJECT


def test_set_new_object_writes_one_item_keyed_by_collection_and_id(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    stored_items: Items,
    stored_object: StoredObject,
    dynamodb_requests: list[str],
) -> None:
    lambda_handler(load_event("objects_set"), lambda_context)

    assert dynamodb_requests == ["UpdateItem"]
    assert len(stored_items()) == 1
    item = stored_object("projects", "proj_1")
    assert item is not None
    assert {name: value["S"] for name, value in item.items() if name.startswith("prop:")} == {
        "prop:name": '"Apollo"',
        "prop:timezone": '"America/New_York"',
        "prop:budget": "100",
        "prop:owner": '{"team":"rockets"}',
    }


def test_set_existing_object_merges_shallowly(
    load_event: EventLoader, lambda_context: FakeLambdaContext, sample_object: dict[str, Any]
) -> None:
    # Given the sample object, with a nested owner
    # When only some keys are sent, one of them a nested object and one null
    response = set_object(
        load_event, lambda_context, "projects", "proj_1", {"owner": {"lead": "Ada"}, "timezone": None}
    )

    # Then those keys are replaced whole and every other key is kept
    assert response["statusCode"] == 200
    assert json_body(response)["properties"] == {
        "name": "Apollo",
        "timezone": None,
        "budget": 100,
        "owner": {"lead": "Ada"},
    }


def test_set_what_get_returned_changes_nothing_but_updated_at(
    load_event: EventLoader, lambda_context: FakeLambdaContext, sample_object: dict[str, Any]
) -> None:
    # Given the sample object as GET returns it (properties nested)
    read = json_body(lambda_handler(load_event("objects_get"), lambda_context))

    # When that body is PUT back, twice
    for _ in range(2):
        assert set_object(load_event, lambda_context, "projects", "proj_1", read)["statusCode"] == 200

    # Then the object is as it was: properties are not nested again
    again = json_body(lambda_handler(load_event("objects_get"), lambda_context))
    assert {**again, "updated_at": None} == {**read, "updated_at": None}
    assert "properties" not in again["properties"]


def test_set_properties_object_is_read_as_top_level_keys_with_their_rules(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    response = set_object(
        load_event, lambda_context, "projects", "p1", {"properties": {"name": "Apollo", "timezone": "Mars/Base"}}
    )

    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["timezone"]
    nothing_written()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"properties": {"name": "A"}, "name": "B"}, "properties.name"),
        ({"properties": ["name"]}, "properties"),
        ({"properties": "Apollo"}, "properties"),
    ],
    ids=["key-also-at-top-level", "list", "string"],
)
def test_set_properties_sent_twice_or_not_an_object_returns_422_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    body: dict[str, Any],
    field: str,
) -> None:
    error = assert_knock_error(set_object(load_event, lambda_context, "projects", "p1", body), 422, "invalid_params")
    assert error_fields(error) == [field]
    nothing_written()


def test_set_created_at_is_returned_at_the_top_level_in_utc(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = set_object(load_event, lambda_context, "projects", "p1", {"created_at": "2024-05-22T14:00:00+02:00"})

    body = json_body(response)
    assert body["created_at"] == "2024-05-22T12:00:00Z"
    assert body["properties"] == {}


def test_set_body_id_and_collection_equal_to_the_path_are_accepted_and_not_stored_as_properties(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    body = {"id": "p1", "collection": "projects", "name": "Apollo", "__typename": "Object", "updated_at": "x"}

    response = set_object(load_event, lambda_context, "projects", "p1", body)

    assert response["statusCode"] == 200
    assert json_body(response)["properties"] == {"name": "Apollo"}


def test_set_user_only_fields_are_custom_properties_of_an_object(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = set_object(load_event, lambda_context, "projects", "p1", {"email": "team", "phone_number": 5})

    assert response["statusCode"] == 200
    assert json_body(response)["properties"] == {"email": "team", "phone_number": 5}


def test_set_channel_data_and_preferences_are_stored_apart_from_properties(
    load_event: EventLoader, lambda_context: FakeLambdaContext, stored_object: StoredObject
) -> None:
    channel = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
    body = {
        "name": "Apollo",
        "channel_data": {channel: {"tokens": ["t"]}},
        "preferences": {"default": {"workflows": None}},
    }

    response = set_object(load_event, lambda_context, "projects", "p1", body)

    assert json_body(response)["properties"] == {"name": "Apollo"}
    item = stored_object("projects", "p1")
    assert item is not None
    assert (item[f"chan:{channel}"]["S"], item["pref:default"]["S"]) == (
        '{"tokens":["t"],"devices":[{"token":"t","locale":null,"timezone":null}]}',
        '{"workflows":null}',
    )


@pytest.mark.parametrize(
    ("collection", "object_id"),
    [("projects", "a" * 256), ("Space Projects", "Ada Lovelace"), ("ünï✓", "a+b"), ("a%41", "%2F"), ("a@b", "x!y")],
    ids=["256-chars", "spaces", "unicode", "percent", "sub-delims"],
)
def test_set_percent_encoded_collection_and_id_are_decoded_once_and_stored_as_given(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    stored_object: StoredObject,
    collection: str,
    object_id: str,
) -> None:
    response = set_object(load_event, lambda_context, collection, object_id, {"name": "x"})

    assert response["statusCode"] == 200, response["body"]
    body = json_body(response)
    assert (body["collection"], body["id"]) == (collection, object_id)
    assert stored_object(collection, object_id) is not None


INVALID_SEGMENTS = [
    ("a#b", "must not contain '#'"),
    ("a/b", "must not contain '/'"),
    (" ", "must not be blank"),
    ("a" * 257, "at most 256 characters"),
    ("a\x00b", "control characters"),
]
INVALID_SEGMENT_IDS = ["hash", "slash", "blank", "257-chars", "nul"]


@pytest.mark.parametrize(
    ("collection", "reason"),
    [*INVALID_SEGMENTS, ("$system", "reserved"), ("$anything", "must not start with '$'")],
    ids=[*INVALID_SEGMENT_IDS, "tenants", "dollar"],
)
def test_set_invalid_collection_in_path_returns_422_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    collection: str,
    reason: str,
) -> None:
    response = set_object(load_event, lambda_context, collection, "p1", {"name": "x"})

    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["collection"]
    assert reason in body["errors"][0]["message"]
    nothing_written()


@pytest.mark.parametrize(("object_id", "reason"), INVALID_SEGMENTS, ids=INVALID_SEGMENT_IDS)
def test_set_invalid_object_id_in_path_returns_422_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    object_id: str,
    reason: str,
) -> None:
    response = set_object(load_event, lambda_context, "projects", object_id, {"name": "x"})

    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["object_id"]
    assert reason in body["errors"][0]["message"]
    nothing_written()


@pytest.mark.parametrize(
    ("raw_path", "field"),
    [("/v1/objects/%FF/p1", "collection"), ("/v1/objects/projects/a%C3", "object_id")],
)
def test_set_path_segment_not_utf8_after_decoding_returns_422_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    raw_path: str,
    field: str,
) -> None:
    response = lambda_handler(load_event("objects_set", path=raw_path), lambda_context)

    body = assert_knock_error(response, 422, "invalid_params")
    assert body["errors"] == [{"field": field, "message": "is not valid percent-encoded UTF-8"}]
    nothing_written()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Base"),
        ("timezone", "america/new_york"),
        ("timezone", 0),
        ("locale", "english language"),
        ("locale", 5),
        ("name", 5),
        ("name", {"first": "Apollo"}),
        ("created_at", "yesterday"),
        ("created_at", "2024-05-22"),
        ("created_at", 1716379200),
        ("id", 123),
        ("id", "a#b"),
        ("collection", 5),
        ("collection", "$system"),
        ("collection", "a/b"),
        ("channel_data", ["ch_1"]),
        ("preferences", []),
    ],
)
def test_set_field_wrong_returns_422_naming_it_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    field: str,
    value: Any,
) -> None:
    response = set_object(load_event, lambda_context, "projects", "p1", {"name": "Apollo", field: value})

    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == [field]
    assert body["message"].startswith(f"{field}: ")
    nothing_written()


@pytest.mark.parametrize(
    ("field", "body"),
    [("id", {"id": "someone_else", "name": "x"}), ("collection", {"collection": "teams", "name": "x"})],
)
def test_set_body_id_or_collection_different_from_path_returns_422_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    field: str,
    body: dict[str, Any],
) -> None:
    response = set_object(load_event, lambda_context, "projects", "p1", body)

    error = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(error) == [field]
    assert "must equal" in error["message"]
    nothing_written()


def test_set_properties_over_256_kib_return_422_and_write_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    response = set_object(load_event, lambda_context, "projects", "p1", {"blob": "x" * (256 * 1024)})

    body = assert_knock_error(response, 422, "properties_too_large")
    assert error_fields(body) == ["properties"]
    nothing_written()


@pytest.mark.parametrize("text", ["{", '{"name": "Apollo",}', '{"a": NaN}'], ids=["truncated", "trailing-comma", "nan"])
def test_set_malformed_json_returns_400_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], text: str
) -> None:
    response = set_object(load_event, lambda_context, "projects", "p1", text)

    assert_knock_error(response, 400, "invalid_json")
    nothing_written()


@pytest.mark.parametrize("text", ["[]", '"x"', "null", ""])
def test_set_body_not_an_object_returns_422_naming_the_body(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], text: str
) -> None:
    response = set_object(load_event, lambda_context, "projects", "p1", text)

    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["body"]
    nothing_written()


def test_set_body_sent_as_another_media_type_returns_415_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    event = load_event("objects_set", headers={"content-type": "application/x-www-form-urlencoded"})

    assert_knock_error(lambda_handler(event, lambda_context), 415, "unsupported_media_type")
    nothing_written()


def test_set_logs_collection_id_and_property_names_but_no_values(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    recipients_table: str,
    log_output: Callable[[], str],
) -> None:
    lambda_handler(load_event("objects_set"), lambda_context)

    output = log_output()
    logged = [line for line in json_lines(output) if line.get("message") == "object set"]
    assert [(line["collection"], line["object_id"]) for line in logged] == [("projects", "proj_1")]
    assert "prop:budget" in logged[0]["properties"]
    assert "Apollo" not in output
    assert "rockets" not in output


def test_set_emits_objects_set_metric(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    recipients_table: str,
    log_output: Callable[[], str],
) -> None:
    lambda_handler(load_event("objects_set"), lambda_context)

    assert [line["ObjectsSet"] for line in json_lines(log_output()) if "ObjectsSet" in line] == [[1.0]]


# --- get ---------------------------------------------------------------------------------------------


def test_get_existing_object_returns_200_and_the_object_as_set(
    load_event: EventLoader, lambda_context: FakeLambdaContext, sample_object: dict[str, Any]
) -> None:
    response = lambda_handler(load_event("objects_get"), lambda_context)

    assert response["statusCode"] == 200
    assert json_body(response) == sample_object


def test_get_sends_one_get_item(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    sample_object: dict[str, Any],
    dynamodb_requests: list[str],
) -> None:
    lambda_handler(load_event("objects_get"), lambda_context)

    assert dynamodb_requests == ["GetItem"]


def test_get_unknown_object_returns_404(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    event = load_event("objects_get", path={"collection": "projects", "object_id": "nobody"})

    body = assert_knock_error(lambda_handler(event, lambda_context), 404, "resource_missing")
    assert body["message"] == "object 'projects/nobody' not found"


@pytest.mark.parametrize(("collection", "object_id"), [("teams", "proj_1"), ("projects", "proj_2")])
def test_get_same_id_in_another_collection_or_another_id_returns_404(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    sample_object: dict[str, Any],
    collection: str,
    object_id: str,
) -> None:
    event = load_event("objects_get", path={"collection": collection, "object_id": object_id})

    assert_knock_error(lambda_handler(event, lambda_context), 404, "resource_missing")


def test_get_a_user_is_not_an_object(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    assert identify_handler(load_event("identify", path={"user_id": "proj_1"}), lambda_context)["statusCode"] == 200

    for collection in ("projects", "user", "users"):
        event = load_event("objects_get", path={"collection": collection, "object_id": "proj_1"})
        assert_knock_error(lambda_handler(event, lambda_context), 404, "resource_missing")


# --- delete ------------------------------------------------------------------------------------------


def test_delete_existing_object_returns_204_and_removes_the_item_in_one_request(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    sample_object: dict[str, Any],
    stored_items: Items,
    dynamodb_requests: list[str],
) -> None:
    response = lambda_handler(load_event("objects_delete"), lambda_context)

    assert response["statusCode"] == 204
    assert response["body"] in ("", None)
    assert dynamodb_requests == ["DeleteItem"]
    assert stored_items() == []


def test_delete_twice_returns_404_the_second_time(
    load_event: EventLoader, lambda_context: FakeLambdaContext, sample_object: dict[str, Any]
) -> None:
    assert lambda_handler(load_event("objects_delete"), lambda_context)["statusCode"] == 204

    body = assert_knock_error(lambda_handler(load_event("objects_delete"), lambda_context), 404, "resource_missing")
    assert "'projects/proj_1'" in body["message"]
    assert_knock_error(lambda_handler(load_event("objects_get"), lambda_context), 404, "resource_missing")


def test_delete_only_touches_the_collection_in_the_path(
    load_event: EventLoader, lambda_context: FakeLambdaContext, sample_object: dict[str, Any]
) -> None:
    event = load_event("objects_delete", path={"collection": "teams", "object_id": "proj_1"})

    assert_knock_error(lambda_handler(event, lambda_context), 404, "resource_missing")
    assert lambda_handler(load_event("objects_get"), lambda_context)["statusCode"] == 200


def test_set_after_delete_starts_blank(
    load_event: EventLoader, lambda_context: FakeLambdaContext, sample_object: dict[str, Any]
) -> None:
    lambda_handler(load_event("objects_delete"), lambda_context)

    response = set_object(load_event, lambda_context, "projects", "proj_1", {"locale": "fr"})

    assert json_body(response)["properties"] == {"locale": "fr"}


def test_delete_without_content_type_or_body_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, sample_object: dict[str, Any]
) -> None:
    event = load_event("objects_delete", headers={"content-type": None, "accept": "*/*"})

    assert lambda_handler(event, lambda_context)["statusCode"] == 204


@pytest.mark.parametrize("sample", ["objects_get", "objects_delete"])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ({"collection": "$system", "object_id": "proj_1"}, "collection"),
        ({"collection": "a/b", "object_id": "proj_1"}, "collection"),
        ({"collection": "projects", "object_id": "a#b"}, "object_id"),
        ({"collection": "projects", "object_id": "\t"}, "object_id"),
    ],
)
def test_get_or_delete_invalid_collection_or_id_returns_422_naming_it_and_sends_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    sample_object: dict[str, Any],
    dynamodb_requests: list[str],
    sample: str,
    path: dict[str, str],
    field: str,
) -> None:
    response = lambda_handler(load_event(sample, path=path), lambda_context)

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == [field]
    assert dynamodb_requests == []


# --- list --------------------------------------------------------------------------------------------


@pytest.fixture
def seven_projects(load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str) -> set[str]:
    """Seven objects in `projects`, and an object of another collection and a user with the same ids."""
    ids = {f"proj_{index}" for index in range(7)}
    for object_id in ids:
        assert set_object(load_event, lambda_context, "projects", object_id, {"n": object_id})["statusCode"] == 200
    set_object(load_event, lambda_context, "teams", "proj_0", {"n": "team"})
    identify_handler(load_event("identify", path={"user_id": "proj_1"}, body={}), lambda_context)
    return ids


def list_page(load_event: EventLoader, context: FakeLambdaContext, **query: Any) -> dict[str, Any]:
    response = lambda_handler(load_event("objects_list", query=query), context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def test_list_sample_returns_a_page_of_two_objects_and_page_info(
    load_event: EventLoader, lambda_context: FakeLambdaContext, seven_projects: set[str]
) -> None:
    # events/objects_list.json asks for page_size=2 of `projects`
    response = lambda_handler(load_event("objects_list"), lambda_context)

    assert response["statusCode"] == 200
    body = json_body(response)
    assert set(body) == {"entries", "page_info"}
    entries = [RecipientObject.model_validate(entry) for entry in body["entries"]]
    assert [(entry.collection, entry.id in seven_projects) for entry in entries] == [("projects", True)] * 2
    info = body["page_info"]
    assert (info["__typename"], info["page_size"], info["before"]) == ("PageInfo", 2, None)
    assert info["after"]


def test_list_following_after_visits_every_object_of_the_collection_once_over_several_pages(
    load_event: EventLoader, lambda_context: FakeLambdaContext, seven_projects: set[str]
) -> None:
    # When every page of two is read, following page_info.after until it is null
    pages: list[list[dict[str, Any]]] = []
    query: dict[str, str] = {"page_size": "2"}
    for _ in range(10):
        body = list_page(load_event, lambda_context, **query)
        pages.append(body["entries"])
        if body["page_info"]["after"] is None:
            break
        query = {"page_size": "2", "after": body["page_info"]["after"]}

    # Then there were four pages, and each object of `projects` came once, with its properties
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    entries = [entry for page in pages for entry in page]
    assert sorted(entry["id"] for entry in entries) == sorted(seven_projects)
    assert {entry["collection"] for entry in entries} == {"projects"}
    assert all(entry["properties"] == {"n": entry["id"]} for entry in entries)


def test_list_before_cursor_returns_the_previous_page(
    load_event: EventLoader, lambda_context: FakeLambdaContext, seven_projects: set[str]
) -> None:
    first = list_page(load_event, lambda_context, page_size="3")
    second = list_page(load_event, lambda_context, page_size="3", after=first["page_info"]["after"])

    previous = list_page(load_event, lambda_context, page_size="3", before=second["page_info"]["before"])

    assert [entry["id"] for entry in previous["entries"]] == [entry["id"] for entry in first["entries"]]
    assert previous["page_info"]["before"] is None


def test_list_without_page_size_defaults_to_50(
    load_event: EventLoader, lambda_context: FakeLambdaContext, seven_projects: set[str]
) -> None:
    body = json_body(lambda_handler(load_event("objects_list", query={}), lambda_context))

    assert body["page_info"] == {"__typename": "PageInfo", "after": None, "before": None, "page_size": 50}
    assert {entry["id"] for entry in body["entries"]} == seven_projects


def test_list_collection_without_objects_returns_empty_entries(
    load_event: EventLoader, lambda_context: FakeLambdaContext, seven_projects: set[str]
) -> None:
    event = load_event("objects_list", path={"collection": "rockets"})

    assert json_body(lambda_handler(event, lambda_context)) == {
        "entries": [],
        "page_info": {"__typename": "PageInfo", "after": None, "before": None, "page_size": 2},
    }


def test_list_include_preferences_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, seven_projects: set[str]
) -> None:
    body = list_page(load_event, lambda_context, page_size="50", **{"include[]": "preferences"})

    assert len(body["entries"]) == 7


@pytest.mark.parametrize("page_size", ["0", "51", "abc", "-1", "2.5"])
def test_list_page_size_out_of_range_returns_422_naming_it(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, page_size: str
) -> None:
    response = lambda_handler(load_event("objects_list", query={"page_size": page_size}), lambda_context)

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == ["page_size"]


def test_list_after_and_before_together_returns_422(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, dynamodb_requests: list[str]
) -> None:
    event = load_event("objects_list", query={"after": "WzAsICJhIl0", "before": "WzAsICJhIl0"})

    assert error_fields(assert_knock_error(lambda_handler(event, lambda_context), 422, "invalid_params")) == ["before"]
    assert dynamodb_requests == []


@pytest.mark.parametrize("parameter", ["after", "before"])
def test_list_cursor_not_from_this_api_returns_422_naming_it(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, parameter: str
) -> None:
    response = lambda_handler(load_event("objects_list", query={parameter: "not-a-cursor"}), lambda_context)

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == [parameter]


@pytest.mark.parametrize("collection", ["$system", "a#b", "a/b"])
def test_list_invalid_collection_returns_422_naming_it(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    recipients_table: str,
    dynamodb_requests: list[str],
    collection: str,
) -> None:
    response = lambda_handler(load_event("objects_list", path={"collection": collection}), lambda_context)

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == ["collection"]
    assert dynamodb_requests == []
