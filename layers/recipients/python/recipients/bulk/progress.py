"""Reading a bulk operation back, as one answer can carry it (GET /v1/bulk_operations/{id})."""

from __future__ import annotations

import re

from aws_lambda_powertools.metrics import MetricUnit

from recipients.bulk.models import BulkOperation
from recipients.bulk.store import get_operation_store
from recipients.kernel import payload
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import metrics

_OPERATION_ID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")


def get_bulk_operation(operation_id: str, error_items_after: int | None = None) -> BulkOperation:
    """The operation with this id, with its error items after `error_items_after` (a row index).

    An id that is not one of ours (not a canonical UUID) names none: 404.
    """
    found = get_operation_store().get_operation(operation_id.lower()) if _OPERATION_ID.match(operation_id) else None
    if found is None:
        raise RecipientsError.not_found("bulk operation", operation_id)
    metrics.add_metric(name="BulkOperationsFetched", unit=MetricUnit.Count, value=1)
    return as_answer(found, error_items_after)


def as_answer(operation: BulkOperation, error_items_after: int | None = None) -> BulkOperation:
    """The operation as one answer can carry it: the error items after `error_items_after` that fit
    Lambda's payload limit, how many it leaves out, and where the next ones are."""
    after = [item for item in operation.error_items if error_items_after is None or item.index > error_items_after]
    head = operation.model_copy(update={"error_items": []})
    budget = payload.MAX_BODY_BYTES - payload.body_bytes(head.to_json()) - 512  # 512: the two fields below
    shown = after[: payload.fitting((item.model_dump_json() for item in after), budget)] if after else []
    next_path = None
    if len(shown) < len(after):
        next_path = f"{operation.progress_path}?error_items_after={shown[-1].index}"
    return operation.model_copy(
        update={
            "error_items": shown,
            "unlisted_error_count": operation.error_count - len(shown),
            "error_items_next": next_path,
        }
    )
