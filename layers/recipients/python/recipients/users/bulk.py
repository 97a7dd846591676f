"""POST /v1/users/bulk/identify: each row checked with the identify rules, then the bulk pipeline."""

from __future__ import annotations

from typing import Any

from recipients.bulk.intake import start_bulk_operation
from recipients.bulk.models import BulkErrorItem, BulkOperation, BulkRow
from recipients.bulk.validation import validate_rows
from recipients.identity.identify import plan_identify
from recipients.identity.merge import UpdatePlan
from recipients.users.requests import InlineIdentifyUserRequest


def bulk_identify_users(users: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_identify_rows(users)
    return start_bulk_operation("users.bulk_identify", "identify", len(users), valid, rejected, base_url)


def validate_identify_rows(rows: list[Any]) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Each row checked with the identify rules; bad rows are reported with the reason, never block."""
    return validate_rows(rows, _parse, "user")


def _parse(row: dict[str, Any]) -> tuple[str, UpdatePlan]:
    request = InlineIdentifyUserRequest.model_validate(row)
    return request.id, plan_identify(request)
