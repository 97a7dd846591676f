"""Channel data, through the use cases the handlers call, against moto: shapes, both push forms, one request each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from recipients.channels import service
from recipients.channels.rules import check_channel_data
from recipients.identity.models import RecipientRef
from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.users.identify import check_identify_user, identify_user
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import get_user_store

PUSH = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
SLACK = "aef6e715-df82-4ab6-b61e-b743e249f7b6"
USER = RecipientRef(id="user_1")
PROJECT = RecipientRef(id="p1", collection="projects")
ARN = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1"


def identify(user_id: str, body: dict[str, Any]) -> None:
    identify_user(user_id, check_identify_user(user_id, IdentifyUserRequest.model_validate(body)))


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (
            {"tokens": ["a", "b"]},
            {
                "tokens": ["a", "b"],
                "devices": [
                    {"token": "a", "locale": None, "timezone": None},
                    {"token": "b", "locale": None, "timezone": None},
                ],
            },
        ),
        (
            {"devices": [{"token": "a", "locale": "en-GB"}]},
            {"tokens": ["a"], "devices": [{"token": "a", "locale": "en-GB", "timezone": None}]},
        ),
        (  # both sent: the devices are the source of both forms
            {"tokens": ["stale"], "devices": [{"token": "a"}]},
            {"tokens": ["a"], "devices": [{"token": "a", "locale": None, "timezone": None}]},
        ),
        (
            {"target_arns": ["arn:aws:sns:eu-west-1:1:endpoint/GCM/app/1"]},
            {
                "target_arns": ["arn:aws:sns:eu-west-1:1:endpoint/GCM/app/1"],
                "devices": [
                    {"target_arn": "arn:aws:sns:eu-west-1:1:endpoint/GCM/app/1", "locale": None, "timezone": None}
                ],
            },
        ),
        ({"devices": []}, {"tokens": [], "devices": []}),
        ({"player_ids": [PUSH]}, {"player_ids": [PUSH]}),
        (
            {"connections": [{"incoming_webhook": {"url": "https://hooks.slack.com/x"}, "knock_tenant_id": "acme"}]},
            {"connections": [{"incoming_webhook": {"url": "https://hooks.slack.com/x"}, "knock_tenant_id": "acme"}]},
        ),
        ({"token": {"access_token": "xoxb-1"}}, {"token": {"access_token": "xoxb-1"}, "connections": []}),
        ({"ms_teams_tenant_id": PUSH}, {"ms_teams_tenant_id": PUSH, "connections": []}),
        ({"connections": [{"channel_id": "123"}]}, {"connections": [{"channel_id": "123"}]}),
        ({"url": "https://example.com/hook"}, {"url": "https://example.com/hook"}),  # no known key: stored as sent
    ],
)
def test_channel_data_is_stored_in_the_form_it_is_answered_in(sent: dict[str, Any], stored: dict[str, Any]) -> None:
    assert check_channel_data(sent) == stored


def test_set_then_get_round_trips_and_each_is_one_request(recipients_table: str, dynamodb_requests: list[str]) -> None:
    answer = service.set_channel_data(USER, PUSH, {"tokens": ["t1"]})
    fetched = service.get_channel_data(USER, PUSH)
    assert answer.to_wire() == fetched.to_wire()
    assert fetched.to_wire()["data"]["devices"] == [{"token": "t1", "locale": None, "timezone": None}]
    assert dynamodb_requests == ["UpdateItem", "GetItem"]


def test_set_replaces_the_channels_whole_data_and_leaves_other_channels(recipients_table: str) -> None:
    service.set_channel_data(USER, PUSH, {"devices": [{"token": "old", "locale": "en"}]})
    service.set_channel_data(USER, SLACK, {"connections": [{"channel_id": "C1", "access_token": "x"}]})
    service.set_channel_data(USER, PUSH, {"tokens": ["new"]})
    assert service.get_channel_data(USER, PUSH).data == {
        "tokens": ["new"],
        "devices": [{"token": "new", "locale": None, "timezone": None}],
    }
    assert service.get_channel_data(USER, SLACK).data == {"connections": [{"channel_id": "C1", "access_token": "x"}]}


def test_set_creates_the_recipient_it_names(recipients_table: str) -> None:
    service.set_channel_data(USER, PUSH, {"tokens": ["t"]})
    user = get_user_store().get_user("user_1")
    assert user is not None
    assert user.to_wire()["name"] is None  # a user with no properties, listed like any other
    assert [listed.id for listed in get_user_store().list_users(10).entries] == ["user_1"]


def test_channel_data_never_set_is_not_found(recipients_table: str) -> None:
    identify("user_1", {"name": "Ada"})
    for recipient in (USER, RecipientRef(id="nobody"), PROJECT):
        with pytest.raises(RecipientsError) as caught:
            service.get_channel_data(recipient, PUSH)
        assert caught.value.kind is ErrorKind.NOT_FOUND


def test_unset_removes_only_that_channel_and_is_idempotent(
    recipients_table: str, stored_items: Callable[[], list[dict[str, Any]]], dynamodb_requests: list[str]
) -> None:
    service.set_channel_data(PROJECT, PUSH, {"tokens": ["t"]})
    service.set_channel_data(PROJECT, SLACK, {"connections": []})
    dynamodb_requests.clear()
    service.unset_channel_data(PROJECT, PUSH)
    service.unset_channel_data(PROJECT, PUSH)
    service.unset_channel_data(RecipientRef(id="nobody"), PUSH)
    assert dynamodb_requests == ["UpdateItem"] * 3
    with pytest.raises(RecipientsError):
        service.get_channel_data(PROJECT, PUSH)
    assert service.get_channel_data(PROJECT, SLACK).data == {"connections": []}
    assert len(stored_items()) == 1  # unsetting on a recipient that does not exist creates none


def test_inline_channel_data_replaces_each_channel_named_and_keeps_the_others(recipients_table: str) -> None:
    identify("user_1", {"channel_data": {PUSH: {"tokens": ["a"]}, SLACK: {"connections": []}}})
    identify("user_1", {"channel_data": {PUSH: {"devices": [{"token": "b", "timezone": "Europe/Paris"}]}}})
    assert service.get_channel_data(USER, PUSH).data == {
        "tokens": ["b"],
        "devices": [{"token": "b", "locale": None, "timezone": "Europe/Paris"}],
    }
    assert service.get_channel_data(USER, SLACK).data == {"connections": []}


def test_deleting_the_user_deletes_its_channel_data(recipients_table: str) -> None:
    service.set_channel_data(USER, PUSH, {"tokens": ["t"]})
    assert get_user_store().delete_user("user_1")
    identify("user_1", {"name": "Ada again"})
    with pytest.raises(RecipientsError) as caught:
        service.get_channel_data(USER, PUSH)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_wrongly_shaped_data_names_the_field_and_writes_nothing(
    recipients_table: str, stored_items: Callable[[], list[dict[str, Any]]], dynamodb_requests: list[str]
) -> None:
    with pytest.raises(RecipientsError) as caught:
        service.set_channel_data(USER, PUSH, {"tokens": ["ok", 7]})
    assert [error.field for error in caught.value.errors] == ["data.tokens.1"]
    assert (dynamodb_requests, stored_items()) == ([], [])


def test_channel_data_too_large_for_a_recipient_is_refused_before_any_request(
    recipients_table: str, dynamodb_requests: list[str]
) -> None:
    with pytest.raises(RecipientsError) as caught:
        service.set_channel_data(USER, PUSH, {"blob": "x" * 410_000})
    assert (caught.value.code, [error.field for error in caught.value.errors]) == ("properties_too_large", ["data"])
    assert dynamodb_requests == []


def test_channel_data_that_takes_the_recipient_past_400_kb_is_refused_and_the_recipient_kept(
    recipients_table: str,
) -> None:
    identify("user_1", {"notes": "x" * 250_000})
    with pytest.raises(RecipientsError) as caught:
        service.set_channel_data(USER, PUSH, {"blob": "y" * 200_000})
    assert caught.value.code == "properties_too_large"
    user = get_user_store().get_user("user_1")
    assert user is not None
    assert len(user.to_wire()["notes"]) == 250_000


def test_a_channel_id_is_the_same_in_either_case_and_answered_in_lower_case(recipients_table: str) -> None:
    answer = service.set_channel_data(USER, PUSH.upper(), {"tokens": ["t"]})
    assert answer.channel_id == PUSH
    assert service.get_channel_data(USER, PUSH).data["tokens"] == ["t"]
    identify("user_1", {"channel_data": {SLACK.upper(): {"connections": []}}})
    assert service.get_channel_data(USER, SLACK.upper()).channel_id == SLACK
