"""Sending bulk chunks to SQS: SendMessageBatch packed by count (10) and bytes (256 KiB).

Whatever SQS still refuses after the retries (kernel/sending.py) is handed back, so the caller can
count its rows instead of losing them.
"""

from __future__ import annotations

from collections.abc import Iterator

from recipients.bulk.models import BulkChunk
from recipients.bulk.rows import MAX_MESSAGE_BYTES
from recipients.bulk.settings import queue_settings
from recipients.kernel.batching import batches
from recipients.kernel.observability import logger
from recipients.kernel.sending import MAX_BATCH_ENTRIES, send_batch


def send_chunks(chunks: list[BulkChunk]) -> list[BulkChunk]:
    """Queue every chunk; returns the chunks that could not be queued after SEND_ATTEMPTS tries."""
    unsent: list[BulkChunk] = []
    for batch in _batches(chunks):
        unsent.extend(_send_batch(batch))
    return unsent


def _batches(chunks: list[BulkChunk]) -> Iterator[list[tuple[BulkChunk, str]]]:
    messages = [(chunk, chunk.to_json()) for chunk in chunks]
    return batches(
        messages, lambda message: len(message[1].encode()), max_items=MAX_BATCH_ENTRIES, max_bytes=MAX_MESSAGE_BYTES
    )


def _send_batch(batch: list[tuple[BulkChunk, str]]) -> list[BulkChunk]:
    chunks = {str(chunk.chunk_index): chunk for chunk, _ in batch}
    bodies = {str(chunk.chunk_index): text for chunk, text in batch}
    unsent = send_batch(queue_settings().bulk_queue_url, bodies, pause_seconds=0.2)
    if unsent:
        logger.error("chunks could not be queued", extra={"chunks": sorted(unsent)})
    return [chunk for entry_id, chunk in chunks.items() if entry_id in unsent]
