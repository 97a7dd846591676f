"""Packing items into requests capped both by count and by total bytes (SQS and EventBridge batches)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


def batches[Item](
    items: Iterable[Item], size_of: Callable[[Item], int], *, max_items: int, max_bytes: int
) -> Iterator[list[Item]]:
    """Consecutive batches, in order, of at most `max_items` items and `max_bytes` bytes in total.

    An item larger than `max_bytes` on its own still gets a batch of its own: the service refuses it
    there, where the caller reports it.
    """
    batch: list[Item] = []
    total = 0
    for item in items:
        size = size_of(item)
        if batch and (len(batch) == max_items or total + size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += size
    if batch:
        yield batch
