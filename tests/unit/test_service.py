"""The use cases the handlers call, against moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.users import service
from recipients.users.identify import check_identify_user, identify_user
from recipients.users.models import User
from recipients.users.requests import IdentifyUserRequest


def identify(user_id: str, body: dict[str, Any]) -> User:
    return identify_user(user_id, check_identify_user(user_id, IdentifyUserRequest.model_validate(body)))


def test_check_identify_user_body_id_different_from_path_is_invalid_and_writes_nothing(
    stored_items: Callable[[], list[dict[str, Any]]], dynamodb_requests: list[str]
) -> None:
    with pytest.raises(RecipientsError) as caught:
        check_identify_user("user_1", IdentifyUserRequest.model_validate({"id": "user_2", "name": "Ada"}))
    assert caught.value.kind is ErrorKind.INVALID
    assert [error.field for error in caught.value.errors] == ["id"]
    assert dynamodb_requests == []
    assert stored_items() == []


def test_identify_user_body_id_equal_to_path_is_accepted(recipients_table: str) -> None:
    user = identify("user_1", {"id": "user_1", "name": "Ada"})
    assert (user.id, user.name, user.model_extra) == ("user_1", "Ada", {})


def test_check_identify_user_properties_too_large_writes_nothing(
    stored_items: Callable[[], list[dict[str, Any]]], dynamodb_requests: list[str]
) -> None:
    with pytest.raises(RecipientsError) as caught:
        check_identify_user("user_1", IdentifyUserRequest.model_validate({"blob": "x" * 300_000}))
    assert caught.value.code == "properties_too_large"
    assert dynamodb_requests == []
    assert stored_items() == []


def test_get_user_returns_the_merged_user(recipients_table: str) -> None:
    identify("user_1", {"name": "Ada", "plan": "pro"})
    identify("user_1", {"plan": "team"})
    user = service.get_user("user_1")
    assert (user.name, user.model_extra) == ("Ada", {"plan": "team"})


def test_get_user_unknown_user_raises_not_found(recipients_table: str) -> None:
    with pytest.raises(RecipientsError) as caught:
        service.get_user("nobody")
    assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "resource_missing")
    assert "'nobody'" in caught.value.message


def test_delete_user_unknown_user_raises_not_found(recipients_table: str) -> None:
    with pytest.raises(RecipientsError) as caught:
        service.delete_user("nobody")
    assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "resource_missing")


def test_delete_user_existing_user_is_gone_afterwards(recipients_table: str) -> None:
    identify("user_1", {"name": "Ada"})
    service.delete_user("user_1")
    with pytest.raises(RecipientsError) as caught:
        service.get_user("user_1")
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_list_users_after_and_before_together_is_invalid(recipients_table: str, dynamodb_requests: list[str]) -> None:
    with pytest.raises(RecipientsError) as caught:
        service.list_users(5, after="a", before="b")
    assert [error.field for error in caught.value.errors] == ["before"]
    assert dynamodb_requests == []


def test_list_users_page_info_echoes_page_size_and_cursors(recipients_table: str) -> None:
    for index in range(3):
        identify(f"user_{index}", {})
    page = service.list_users(2, after=None, before=None)
    assert len(page.entries) == 2
    assert (page.page_info.page_size, page.page_info.before) == (2, None)
    rest = service.list_users(2, after=page.page_info.after, before=None)
    assert len(rest.entries) == 1
    assert rest.page_info.after is None
    assert {user.id for user in page.entries + rest.entries} == {"user_0", "user_1", "user_2"}
