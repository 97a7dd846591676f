"""One action over many items on a few threads: results in order, never more threads than asked, errors raised."""

from __future__ import annotations

import threading
import time

import pytest

from recipients.kernel.parallel import in_parallel


def test_results_come_back_in_the_items_order_whatever_order_they_finish_in() -> None:
    def slow_first(item: int) -> int:
        time.sleep(0.02 if item == 0 else 0)
        return item * 10

    assert in_parallel(slow_first, [0, 1, 2, 3], threads=4) == [0, 10, 20, 30]


def test_no_more_items_run_at_once_than_threads_allows() -> None:
    running, most = 0, 0
    lock = threading.Lock()
    all_three_at_once = threading.Barrier(3, timeout=10)  # raises (and fails the test) unless 3 run together

    def track(_: int) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        all_three_at_once.wait()
        with lock:
            running -= 1

    in_parallel(track, list(range(12)), threads=3)

    assert most == 3


def test_an_action_that_raises_raises_to_the_caller() -> None:
    def fail_on_two(item: int) -> int:
        if item == 2:
            raise ValueError("two")
        return item

    with pytest.raises(ValueError, match="two"):
        in_parallel(fail_on_two, [1, 2, 3], threads=2)


def test_no_items_runs_nothing() -> None:
    assert in_parallel(lambda item: item, [], threads=8) == []
