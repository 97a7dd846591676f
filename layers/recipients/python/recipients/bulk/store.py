"""Storage of bulk operations: the operation with its exact counts, and the pages of its error items.

- The operation is the item `bulkop#<id>`: counters, status and timestamps, the set of chunks
  counted so far (`counted_chunks`) and the names of its error pages (`error_pages`). A chunk is
  counted by one UpdateItem conditioned on its index not being in `counted_chunks` yet, so a chunk
  delivered twice counts once.
- Its error items live in page items `bulkerr#<operation id>#<page>`, each a list of at most
  PAGE_BYTES: a thousand rejected rows can take megabytes, far more than the 400 KB an item holds.
  Pages are written first, under names no other attempt uses, and named in the operation by the
  same update that counts their rows; a delivery that turns out to be a repeat leaves pages that
  nothing names, which expire.
"""

from __future__ import annotations

import contextlib
import uuid
from functools import lru_cache
from typing import Any

from recipients.bulk.models import BulkErrorItem, BulkOperation
from recipients.kernel.batching import batches
from recipients.kernel.keys import OPERATION_PREFIX, error_page_pk
from recipients.kernel.observability import logger
from recipients.kernel.rules import expires_in, now_timestamp
from recipients.kernel.table import ConditionFailed, Table, get_table

PAGE_BYTES = 300_000
_ANSWER_ONLY = {"typename", "error_items", "unlisted_error_count", "error_items_next"}
PAGE_GRACE_DAYS = 5
"""Pages outlive the retention of their operation by more than a chunk can wait in the queue (4 days)."""


class OperationStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create_operation(self, operation: BulkOperation, retention_days: int) -> None:
        """Record a new operation with its rows rejected at intake already counted and listed.

        An operation that never finishes still expires, a day after a finished one would.
        """
        pages = self._write_pages(operation.id, "intake", operation.error_items, retention_days)
        item: dict[str, Any] = {
            "pk": {"S": OPERATION_PREFIX + operation.id},
            "expires_at": {"N": str(expires_in(retention_days + 1))},
            "dead_chunks": {"N": "0"},
        }
        if pages:
            item["error_pages"] = {"SS": pages}
        for name, value in operation.model_dump(exclude=_ANSWER_ONLY).items():
            if value is not None:
                item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        self._table.put(item)

    def get_operation(self, operation_id: str, *, consistent: bool = False) -> BulkOperation | None:
        """The operation with every error item still kept, in row order."""
        item = self._table.get(OPERATION_PREFIX + operation_id, consistent=consistent)
        if not item:
            return None
        fields: dict[str, Any] = {}
        for name, value in item.items():
            if "N" in value:
                fields[name] = int(value["N"])
            elif "S" in value:
                fields[name] = value["S"]
        names = list(item.get("error_pages", {}).get("SS", []))
        listed = [BulkErrorItem.model_validate_json(entry["S"]) for entry in item.get("error_items", {}).get("L", [])]
        errors = [*listed, *self._read_pages(operation_id, names)]  # `error_items`: operations of earlier versions
        fields["error_items"] = sorted(errors, key=lambda error: error.index)
        return BulkOperation.model_validate(fields)

    def record_chunk(
        self,
        operation_id: str,
        chunk_index: int,
        *,
        succeeded: int,
        failed: list[BulkErrorItem],
        retention_days: int,
        dead: bool = False,
    ) -> bool:
        """Count one chunk's rows, once; False if it was counted before (or its operation is gone).

        One UpdateItem adds the counts, the chunk's index to `counted_chunks` and the names of the
        pages holding its failed rows, on condition the index is not there yet, and returns the new
        counts: when every row is counted the operation is finished.
        """
        pages = self._write_pages(operation_id, f"chunk{chunk_index}", failed, retention_days)
        update = (
            "ADD processed_rows :rows, success_count :ok, error_count :bad, dead_chunks :dead, counted_chunks :chunk"
            + (", error_pages :pages" if pages else "")
            + " SET updated_at = :now, started_at = if_not_exists(started_at, :now), #status = :processing"
        )
        values: dict[str, Any] = {
            ":rows": {"N": str(succeeded + len(failed))},
            ":ok": {"N": str(succeeded)},
            ":bad": {"N": str(len(failed))},
            ":dead": {"N": "1" if dead else "0"},
            ":chunk": {"NS": [str(chunk_index)]},
            ":index": {"N": str(chunk_index)},
            ":now": {"S": now_timestamp()},
            ":processing": {"S": "processing"},
        }
        if pages:
            values[":pages"] = {"SS": pages}
        try:
            item = self._table.update(
                OPERATION_PREFIX + operation_id,
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk) AND NOT contains(counted_chunks, :index)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as failed:
            if not failed.item:
                logger.warning("chunk of an unknown operation", extra={"operation_id": operation_id})
                return False
            logger.info("chunk already counted", extra={"operation_id": operation_id, "chunk": chunk_index})
            # The count was made, but finishing may have failed after it (throttled): finish it now
            self._finish_if_counted(operation_id, failed.item, retention_days)
            return False
        self._finish_if_counted(operation_id, item, retention_days)
        return True

    def _finish_if_counted(self, operation_id: str, item: dict[str, Any], retention_days: int) -> None:
        counted = int(item.get("processed_rows", {}).get("N", "0")) >= int(item["estimated_total_rows"]["N"])
        if counted and item.get("status", {}).get("S") in ("queued", "processing"):
            dead = int(item.get("dead_chunks", {}).get("N", "0")) > 0
            self._finish_operation(operation_id, failed=dead, retention_days=retention_days)

    def _finish_operation(self, operation_id: str, *, failed: bool, retention_days: int) -> None:
        """completed, or failed if a chunk went to the dead-letter queue; then it expires after retention."""
        status = "failed" if failed else "completed"
        now = now_timestamp()
        with contextlib.suppress(ConditionFailed):  # already finished
            self._table.update(
                OPERATION_PREFIX + operation_id,
                UpdateExpression=f"SET #status = :final, {status}_at = :now, updated_at = :now, expires_at = :expires",
                ConditionExpression="#status IN (:queued, :processing)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":final": {"S": status},
                    ":now": {"S": now},
                    ":expires": {"N": str(expires_in(retention_days))},
                    ":queued": {"S": "queued"},
                    ":processing": {"S": "processing"},
                },
            )

    def _write_pages(
        self, operation_id: str, source: str, items: list[BulkErrorItem], retention_days: int
    ) -> list[str]:
        """Write `items` in pages of at most PAGE_BYTES; their names, unique to this call."""
        if not items:
            return []
        texts = [item.model_dump_json() for item in items]
        pages = list(batches(texts, lambda text: len(text.encode()) + 3, max_items=len(texts), max_bytes=PAGE_BYTES))
        attempt = uuid.uuid4().hex[:12]
        names = [f"{source}-{attempt}-{number}" for number in range(len(pages))]
        expires_at = {"N": str(expires_in(retention_days + PAGE_GRACE_DAYS))}
        self._table.batch_write(
            [
                {
                    "pk": {"S": error_page_pk(operation_id, name)},
                    "items": {"L": [{"S": text} for text in page]},
                    "expires_at": expires_at,
                }
                for name, page in zip(names, pages, strict=True)
            ],
        )
        return names

    def _read_pages(self, operation_id: str, names: list[str]) -> list[BulkErrorItem]:
        pages = self._table.batch_get([error_page_pk(operation_id, name) for name in names], consistent=True)
        if len(pages) < len(names):
            logger.warning("error pages expired before their operation", extra={"operation_id": operation_id})
        return [BulkErrorItem.model_validate_json(entry["S"]) for page in pages for entry in page["items"]["L"]]


@lru_cache(maxsize=1)
def get_operation_store() -> OperationStore:
    return OperationStore(get_table())
