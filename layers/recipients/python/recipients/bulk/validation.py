"""Validating a bulk call's rows one by one, and coalescing the valid rows of each id.

Each row is checked alone, with the rules of its single-recipient route, which the resource's own
bulk module hands over (users/bulk.py, objects/bulk.py): this module knows no resource's models.
The valid rows of one id then become one BulkRow: applying shallow merges one after another is the
same as one merge of their union (and deep merges of preference sets are kept as edits in order,
UpdatePlan.then), so the rows of an id are applied in order however many there are or however
large, and no chunk ever has to hold more than one write per recipient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from recipients.bulk.models import BulkErrorItem, BulkGroup, BulkRecipient, BulkRow
from recipients.bulk.rows import MAX_ROW_BYTES, error_item
from recipients.identity.merge import UpdatePlan, sets
from recipients.kernel import jsontext
from recipients.kernel.errors import FieldError, RecipientsError, field_errors
from recipients.kernel.rules import check_id, find_unpaired_surrogate
from recipients.kernel.table import MAX_ITEM_BYTES

Parse = Callable[[dict[str, Any]], tuple[str, UpdatePlan]]
"""A row as its resource reads it: its id and what it writes (raising pydantic's or our error)."""
GroupParse = Callable[[dict[str, Any]], tuple[str, list[BulkRecipient], str | None]]
"""A subscriptions entry as its resource reads it: the object's id, its recipients, the properties' JSON text."""
MAX_GROUPED_RECIPIENTS = 1000
"""Recipients the entries of one object in one call may name together: the worker applies an object's
entries one after another, and this keeps that within a few seconds of its timeout's 30."""


def validate_rows(
    rows: list[Any], parse: Parse, what: str, collection: str | None = None
) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Each row checked with `parse` and planned: bad rows are reported with the reason and never block the
    others; the valid ones are coalesced by id, in the order their ids first appear."""
    plans: dict[str, tuple[list[int], UpdatePlan]] = {}
    rejected: list[BulkErrorItem] = []
    for index, row in enumerate(rows):
        try:
            recipient_id, plan = _check_row(row, parse)
        except RecipientsError as exc:
            row_id = row.get("id") if isinstance(row, dict) else None
            rejected.append(error_item(row_id, index, exc.errors or [FieldError("row", exc.message)], collection))
            continue
        indices, earlier = plans.get(recipient_id, ([], sets({})))
        plans[recipient_id] = ([*indices, index], earlier.then(plan))
    valid: list[BulkRow] = []
    for recipient_id, (indices, plan) in plans.items():
        row = BulkRow(indices=indices, id=recipient_id, attributes=plan.attributes, edits=plan.edits or None)
        problem = _cannot_be_written(row, what)
        if problem is None:
            valid.append(row)
        else:
            rejected.extend(error_item(recipient_id, index, [problem], collection) for index in indices)
    rejected.sort(key=lambda item: item.index)
    return valid, rejected


def validate_groups(
    rows: list[Any], parse: GroupParse, collection: str | None = None
) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Each subscriptions entry checked with `parse` on its own; the valid entries of one object become one
    row of groups, in order (so a recipient named twice ends with the last entry's properties)."""
    grouped: dict[str, list[BulkGroup]] = {}
    counts: dict[str, int] = {}
    rejected: list[BulkErrorItem] = []
    for index, row in enumerate(rows):
        try:
            object_id, recipients, properties = _check_row(row, parse)
        except RecipientsError as exc:
            row_id = row.get("id") if isinstance(row, dict) else None
            rejected.append(error_item(row_id, index, exc.errors or [FieldError("row", exc.message)], collection))
            continue
        problem = _too_many(counts.get(object_id, 0) + len(recipients))
        group = BulkGroup(index=index, recipients=recipients, properties=properties)
        problem = problem or _too_large([*grouped.get(object_id, []), group])
        if problem is not None:
            rejected.append(error_item(object_id, index, [problem], collection))
            continue
        counts[object_id] = counts.get(object_id, 0) + len(recipients)
        grouped.setdefault(object_id, []).append(group)
    valid = [
        BulkRow(indices=[group.index for group in groups], id=object_id, groups=groups)
        for object_id, groups in grouped.items()
    ]
    rejected.sort(key=lambda item: item.index)
    return valid, rejected


def _too_many(count: int) -> FieldError | None:
    if count <= MAX_GROUPED_RECIPIENTS:
        return None
    message = f"the entries of this object name {count:,} recipients together; send at most 1,000 in one call"
    return FieldError("recipients", message)


def _too_large(groups: list[BulkGroup]) -> FieldError | None:
    size = sum(len(jsontext.dumps(group.model_dump()).encode()) for group in groups)
    if size <= MAX_ROW_BYTES:
        return None
    message = f"the entries of this object take {size:,} bytes queued, over 1 MiB: identify inline recipients first"
    return FieldError("recipients", message)


def _check_row[T](row: Any, parse: Callable[[dict[str, Any]], T]) -> T:
    """A row's id and what it writes, or a RecipientsError naming what is wrong with it."""
    if not isinstance(row, dict):
        raise RecipientsError.invalid_field("row", "must be a JSON object with an id")
    surrogate = find_unpaired_surrogate(row)
    if surrogate is not None:
        raise RecipientsError.invalid_field(surrogate[0] or "row", surrogate[1])
    try:
        return parse(row)
    except ValidationError as exc:
        raise RecipientsError.invalid(field_errors(exc.errors())) from exc


def _cannot_be_written(row: BulkRow, what: str) -> FieldError | None:
    """Why the coalesced rows of one id cannot be written, if they cannot."""
    size = sum(len(name.encode()) + len(text.encode()) for name, text in (row.attributes or {}).items())
    size += sum(len(name.encode()) + len(jsontext.dumps(edits).encode()) for name, edits in (row.edits or {}).items())
    if size > MAX_ITEM_BYTES:
        message = f"the rows of this {what} together set {size:,} bytes; a {what} holds at most 400 KB"
        return FieldError("properties", message)
    return None


def validate_ids(ids: list[Any], collection: str | None = None) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Valid ids as rows, one per id however often it is listed; the others as errors (bulk deletes, and
    bulk preferences, which write the same set for every id)."""
    by_id: dict[str, list[int]] = {}
    rejected: list[BulkErrorItem] = []
    for index, recipient_id in enumerate(ids):
        if not isinstance(recipient_id, str):
            rejected.append(error_item(None, index, [FieldError("id", "must be a string")], collection))
            continue
        try:
            by_id.setdefault(check_id(recipient_id), []).append(index)
        except ValueError as exc:
            rejected.append(error_item(recipient_id, index, [FieldError("id", str(exc))], collection))
    return [BulkRow(indices=indices, id=recipient_id) for recipient_id, indices in by_id.items()], rejected
