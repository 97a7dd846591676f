"""Batches capped by count and by bytes, as SendMessageBatch and PutEvents need them."""

from __future__ import annotations

from recipients.kernel.batching import batches


def test_batches_close_at_the_item_cap() -> None:
    assert list(batches(range(23), lambda _: 1, max_items=10, max_bytes=1_000)) == [
        list(range(10)),
        list(range(10, 20)),
        [20, 21, 22],
    ]


def test_batches_close_before_the_byte_cap_is_passed_and_keep_order() -> None:
    sizes = [40, 40, 30, 90, 10, 100]

    assert list(batches(sizes, lambda size: size, max_items=10, max_bytes=100)) == [[40, 40], [30], [90, 10], [100]]


def test_an_item_over_the_byte_cap_gets_a_batch_of_its_own() -> None:
    assert list(batches(["a", "xxxxxx", "b"], len, max_items=10, max_bytes=5)) == [["a"], ["xxxxxx"], ["b"]]


def test_no_items_no_batches() -> None:
    assert list(batches([], len, max_items=10, max_bytes=5)) == []
