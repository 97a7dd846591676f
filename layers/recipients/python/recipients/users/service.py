"""The user use cases the handlers call but identify (users/identify.py). Validation is done by the models;
storage by users/store.py."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.models import PageInfo, RecipientRef
from recipients.identity.pages import check_one_direction, within_one_answer
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger, metrics
from recipients.subscriptions.cleanup import request_cleanup
from recipients.users.models import User, UserPage
from recipients.users.store import get_user_store


def get_user(user_id: str) -> User:
    user = get_user_store().get_user(user_id)
    if user is None:
        raise RecipientsError.not_found("user", user_id)
    metrics.add_metric(name="UsersFetched", unit=MetricUnit.Count, value=1)
    return user


def delete_user(user_id: str) -> None:
    deleted = get_user_store().delete_user(user_id)
    request_cleanup([RecipientRef(id=user_id)])
    if not deleted:
        raise RecipientsError.not_found("user", user_id)
    logger.info("user deleted", extra={"user_id": user_id})
    metrics.add_metric(name="UsersDeleted", unit=MetricUnit.Count, value=1)


def merge_users(user_id: str, from_user_id: str) -> User:
    if user_id == from_user_id:
        raise RecipientsError.invalid_field("from_user_id", "must differ from the user merged into")
    user = get_user_store().merge_users(user_id, from_user_id)
    request_cleanup([RecipientRef(id=from_user_id)])  # the merged user is deleted; its subscriptions are not moved
    logger.info("users merged", extra={"user_id": user_id, "from_user_id": from_user_id})
    metrics.add_metric(name="UsersMerged", unit=MetricUnit.Count, value=1)
    return user


def list_users(page_size: int, after: str | None, before: str | None, *, preferences: bool = False) -> UserPage:
    check_one_direction(after, before)
    found = get_user_store().list_users(page_size, after=after, before=before, preferences=preferences)
    page = within_one_answer(found, before is None)
    metrics.add_metric(name="UserPagesListed", unit=MetricUnit.Count, value=1)
    return UserPage(entries=page.entries, page_info=PageInfo(after=page.after, before=page.before, page_size=page_size))
