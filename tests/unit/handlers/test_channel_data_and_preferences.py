"""The channel data and preferences functions through their lambda_handler: routing, statuses, bodies."""

from __future__ import annotations

import pytest

from functions.channel_data.app import lambda_handler as channel_data
from functions.get.app import lambda_handler as get
from functions.objects.app import lambda_handler as objects
from functions.preferences.app import lambda_handler as preferences
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, json_body

pytestmark = pytest.mark.usefixtures("recipients_table")

CHANNEL = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"


def test_channel_data_put_get_delete_then_get_is_404(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    path = {"user_id": "user 1 é%", "channel_id": CHANNEL}
    put = channel_data(load_event("channel_data_set", path=path, body={"data": {"tokens": ["t1"]}}), lambda_context)
    assert (put["statusCode"], json_body(put)) == (
        200,
        {
            "__typename": "ChannelData",
            "channel_id": CHANNEL,
            "data": {"tokens": ["t1"], "devices": [{"token": "t1", "locale": None, "timezone": None}]},
        },
    )
    got = channel_data(load_event("channel_data_get", path=path), lambda_context)
    assert json_body(got) == json_body(put)
    deleted = channel_data(load_event("channel_data_unset", path=path), lambda_context)
    assert (deleted["statusCode"], deleted["body"]) == (204, "")
    missing = channel_data(load_event("channel_data_get", path=path), lambda_context)
    assert CHANNEL in assert_knock_error(missing, 404, "resource_missing")["message"]


def test_object_channel_data_is_apart_from_the_users(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    webhook = {"data": {"connections": [{"incoming_webhook": {"url": "https://hooks.slack.com/x"}}]}}
    object_path = {"collection": "projects", "object_id": "user_1", "channel_id": CHANNEL}
    assert (
        channel_data(load_event("channel_data_objects_set", path=object_path, body=webhook), lambda_context)[
            "statusCode"
        ]
        == 200
    )
    user = channel_data(
        load_event("channel_data_get", path={"user_id": "user_1", "channel_id": CHANNEL}), lambda_context
    )
    assert user["statusCode"] == 404
    got = channel_data(load_event("channel_data_objects_get", path=object_path), lambda_context)
    assert json_body(got)["data"] == webhook["data"]
    listed = json_body(objects(load_event("objects_list", path={"collection": "projects"}), lambda_context))
    assert [entry["id"] for entry in listed["entries"]] == ["user_1"]  # PUT created the object


def test_preference_routes_answer_sets_with_every_key(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    empty = json_body(
        preferences(load_event("preferences_get", path={"user_id": "u1", "set_id": "default"}), lambda_context)
    )
    assert empty == {
        "__typename": "PreferenceSet",
        "id": "default",
        "categories": None,
        "channel_types": None,
        "channels": None,
        "workflows": None,
        "commercial_subscribed": None,
    }
    path = {"user_id": "u1", "set_id": "default"}
    preferences(load_event("preferences_set", path=path), lambda_context)
    typed = preferences(
        load_event("preferences_channel_type", path={**path, "channel_type": "push"}, body={"subscribed": False}),
        lambda_context,
    )
    assert json_body(typed)["channel_types"]["push"] is False
    workflow = preferences(
        load_event("preferences_workflow", path={**path, "key": "new-comment"}, body={"subscribed": True}),
        lambda_context,
    )
    assert json_body(workflow)["workflows"]["new-comment"] is True
    listed = json_body(preferences(load_event("preferences_list", path={"user_id": "u1"}), lambda_context))
    assert [entry["id"] for entry in listed] == ["default"]
    assert listed[0] == json_body(workflow)


def test_list_users_includes_preferences_only_when_asked(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    preferences(load_event("preferences_set", path={"user_id": "u1", "set_id": "default"}), lambda_context)
    plain = json_body(get(load_event("list"), lambda_context))
    included = json_body(get(load_event("list", query={"include[]": "preferences"}), lambda_context))
    assert "preferences" not in plain["entries"][0]
    assert list(included["entries"][0]["preferences"]) == ["default"]
    assert included["entries"][0]["preferences"]["default"]["channel_types"]["email"] is True
