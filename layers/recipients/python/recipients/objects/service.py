"""The object use cases the handlers call. Validation is done by the models; storage by objects/store.py."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.identify import plan_identify
from recipients.identity.models import PageInfo, RecipientRef
from recipients.identity.pages import check_one_direction, within_one_answer
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger, metrics
from recipients.objects.models import ObjectPage, RecipientObject
from recipients.objects.requests import SetObjectRequest
from recipients.objects.store import get_object_store
from recipients.subscriptions.cleanup import request_cleanup


def set_object(collection: str, object_id: str, request: SetObjectRequest) -> RecipientObject:
    if request.id is not None and request.id != object_id:
        raise RecipientsError.invalid_field("id", "must equal the object id in the path (ids never change)")
    if request.collection is not None and request.collection != collection:
        raise RecipientsError.invalid_field("collection", "must equal the collection in the path")
    plan = plan_identify(request)
    recipient_object = get_object_store().set_object(collection, object_id, plan)
    logger.info(
        "object set",
        extra={"collection": collection, "object_id": object_id, "properties": sorted(plan.attributes)},
    )
    metrics.add_metric(name="ObjectsSet", unit=MetricUnit.Count, value=1)
    return recipient_object


def get_object(collection: str, object_id: str) -> RecipientObject:
    recipient_object = get_object_store().get_object(collection, object_id)
    if recipient_object is None:
        raise RecipientsError.not_found("object", f"{collection}/{object_id}")
    metrics.add_metric(name="ObjectsFetched", unit=MetricUnit.Count, value=1)
    return recipient_object


def delete_object(collection: str, object_id: str) -> None:
    deleted = get_object_store().delete_object(collection, object_id)
    request_cleanup([RecipientRef(id=object_id, collection=collection)])
    if not deleted:
        raise RecipientsError.not_found("object", f"{collection}/{object_id}")
    logger.info("object deleted", extra={"collection": collection, "object_id": object_id})
    metrics.add_metric(name="ObjectsDeleted", unit=MetricUnit.Count, value=1)


def list_objects(
    collection: str, page_size: int, after: str | None, before: str | None, *, preferences: bool = False
) -> ObjectPage:
    check_one_direction(after, before)
    found = get_object_store().list_objects(collection, page_size, after=after, before=before, preferences=preferences)
    page = within_one_answer(found, before is None)
    metrics.add_metric(name="ObjectPagesListed", unit=MetricUnit.Count, value=1)
    return ObjectPage(
        entries=page.entries, page_info=PageInfo(after=page.after, before=page.before, page_size=page_size)
    )
