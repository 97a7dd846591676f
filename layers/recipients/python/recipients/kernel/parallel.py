"""Running one action over many items on a few threads: the writes a request fans out."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def in_parallel[Item, Result](action: Callable[[Item], Result], items: Sequence[Item], threads: int) -> list[Result]:
    """`action` of each item, at most `threads` at once, the results in the items' order (no pool for no items)."""
    if not items:
        return []
    # Imported on first use: a function whose requests do not all fan out would otherwise load the
    # thread pool (and `queue`) at every cold start, used or not.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        return list(pool.map(action, items))
