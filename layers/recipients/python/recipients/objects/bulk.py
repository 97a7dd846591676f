"""POST /v1/objects/{collection}/bulk/set: each row checked with the set rules, then the bulk pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recipients.bulk.intake import start_bulk_operation
from recipients.bulk.models import BulkErrorItem, BulkOperation, BulkRow
from recipients.bulk.validation import validate_rows
from recipients.identity.identify import plan_identify
from recipients.identity.merge import UpdatePlan
from recipients.kernel.errors import RecipientsError
from recipients.objects.requests import InlineIdentifyObjectRequest


def bulk_set_objects(collection: str, objects: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_set_object_rows(collection, objects)
    return start_bulk_operation(
        "objects.bulk_set", "set_object", len(objects), valid, rejected, base_url, collection=collection
    )


def validate_set_object_rows(collection: str, rows: list[Any]) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Each row checked with the set rules, in the path's collection (a row may repeat it, not change it)."""
    return validate_rows(rows, _parser(collection), "object", collection)


def _parser(collection: str) -> Callable[[dict[str, Any]], tuple[str, UpdatePlan]]:
    def parse(row: dict[str, Any]) -> tuple[str, UpdatePlan]:
        request = InlineIdentifyObjectRequest.model_validate({"collection": collection, **row})
        if request.collection != collection:
            raise RecipientsError.invalid_field("collection", "must equal the collection in the path")
        return request.id, plan_identify(request)

    return parse
