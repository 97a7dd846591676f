"""The user and object use cases the handlers call. Validation is done by the models; storage by the Store."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from recipients import payload
from recipients.errors import RecipientsError
from recipients.merge import UpdatePlan, plan_identify
from recipients.models import (
    IdentifyUserRequest,
    ObjectPage,
    PageInfo,
    RecipientObject,
    SetObjectRequest,
    User,
    UserPage,
)
from recipients.observability import logger, metrics
from recipients.store import Entry, Page, cursor_of, get_store


def check_identify_user(user_id: str, request: IdentifyUserRequest) -> UpdatePlan:
    """Every rule an identify must pass before anything is written; what it will write."""
    if request.id is not None and request.id != user_id:
        raise RecipientsError.invalid_field("id", "must equal the user id in the path (ids never change)")
    return plan_identify(request)


def identify_user(user_id: str, plan: UpdatePlan) -> User:
    user = get_store().identify_user(user_id, plan)
    logger.info("user identified", extra={"user_id": user_id, "properties": sorted(plan.attributes)})
    metrics.add_metric(name="UsersIdentified", unit=MetricUnit.Count, value=1)
    return user


def get_user(user_id: str) -> User:
    user = get_store().get_user(user_id)
    if user is None:
        raise RecipientsError.not_found("user", user_id)
    metrics.add_metric(name="UsersFetched", unit=MetricUnit.Count, value=1)
    return user


def delete_user(user_id: str) -> None:
    if not get_store().delete_user(user_id):
        raise RecipientsError.not_found("user", user_id)
    logger.info("user deleted", extra={"user_id": user_id})
    metrics.add_metric(name="UsersDeleted", unit=MetricUnit.Count, value=1)


def merge_users(user_id: str, from_user_id: str) -> User:
    if user_id == from_user_id:
        raise RecipientsError.invalid_field("from_user_id", "must differ from the user merged into")
    user = get_store().merge_users(user_id, from_user_id)
    logger.info("users merged", extra={"user_id": user_id, "from_user_id": from_user_id})
    metrics.add_metric(name="UsersMerged", unit=MetricUnit.Count, value=1)
    return user


def list_users(page_size: int, after: str | None, before: str | None) -> UserPage:
    _check_one_direction(after, before)
    page = _within_one_answer(get_store().list_users(page_size, after=after, before=before), before is None)
    metrics.add_metric(name="UserPagesListed", unit=MetricUnit.Count, value=1)
    return UserPage(entries=page.entries, page_info=PageInfo(after=page.after, before=page.before, page_size=page_size))


def set_object(collection: str, object_id: str, request: SetObjectRequest) -> RecipientObject:
    if request.id is not None and request.id != object_id:
        raise RecipientsError.invalid_field("id", "must equal the object id in the path (ids never change)")
    if request.collection is not None and request.collection != collection:
        raise RecipientsError.invalid_field("collection", "must equal the collection in the path")
    plan = plan_identify(request)
    recipient_object = get_store().set_object(collection, object_id, plan)
    logger.info(
        "object set",
        extra={"collection": collection, "object_id": object_id, "properties": sorted(plan.attributes)},
    )
    metrics.add_metric(name="ObjectsSet", unit=MetricUnit.Count, value=1)
    return recipient_object


def get_object(collection: str, object_id: str) -> RecipientObject:
    recipient_object = get_store().get_object(collection, object_id)
    if recipient_object is None:
        raise RecipientsError.not_found("object", f"{collection}/{object_id}")
    metrics.add_metric(name="ObjectsFetched", unit=MetricUnit.Count, value=1)
    return recipient_object


def delete_object(collection: str, object_id: str) -> None:
    if not get_store().delete_object(collection, object_id):
        raise RecipientsError.not_found("object", f"{collection}/{object_id}")
    logger.info("object deleted", extra={"collection": collection, "object_id": object_id})
    metrics.add_metric(name="ObjectsDeleted", unit=MetricUnit.Count, value=1)


def list_objects(collection: str, page_size: int, after: str | None, before: str | None) -> ObjectPage:
    _check_one_direction(after, before)
    page = _within_one_answer(
        get_store().list_objects(collection, page_size, after=after, before=before), before is None
    )
    metrics.add_metric(name="ObjectPagesListed", unit=MetricUnit.Count, value=1)
    return ObjectPage(
        entries=page.entries, page_info=PageInfo(after=page.after, before=page.before, page_size=page_size)
    )


def _check_one_direction(after: str | None, before: str | None) -> None:
    if after is not None and before is not None:
        raise RecipientsError.invalid_field("before", "cannot be combined with after; page one way at a time")


_PAGE_INFO_BYTES = 8 * 1024
"""`page_info` and the brackets around the entries; cursors hold an id of at most 256 characters."""


def _within_one_answer(page: Page[Entry], forward: bool) -> Page[Entry]:
    """The page, or as much of it as one answer can carry (Lambda's 6 MB), with a cursor to the rest.

    Going back (`before`), the entries nearest the cursor are the ones kept.
    """
    texts = [entry.to_json() for entry in page.entries]
    keep = payload.fitting(texts if forward else reversed(texts), payload.MAX_BODY_BYTES - _PAGE_INFO_BYTES)
    if keep >= len(texts):
        return page
    if forward:
        kept = page.entries[:keep]
        return Page(entries=kept, after=cursor_of(kept[-1]), before=page.before)
    kept = page.entries[len(texts) - keep :]
    return Page(entries=kept, after=page.after, before=cursor_of(kept[0]))
