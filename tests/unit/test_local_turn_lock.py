"""The local emulator runs one function at a time, and hands that turn over in the order callers came."""

from __future__ import annotations

import threading

from local.emulator import TurnLock


def test_a_holder_that_takes_the_lock_again_at_once_goes_after_whoever_was_waiting() -> None:
    lock = TurnLock()
    order: list[str] = []
    waiting = threading.Event()

    def request() -> None:
        waiting.set()
        with lock:
            order.append("request")

    with lock:  # a poller's first batch
        thread = threading.Thread(target=request)
        thread.start()
        waiting.wait(5)
        while not lock._waiting:  # the request is queued behind the batch
            threading.Event().wait(0.001)
    with lock:  # the poller's next batch, asked for the moment the first ended
        order.append("next batch")
    thread.join(5)

    assert order == ["request", "next batch"]


def test_the_lock_is_free_again_once_every_turn_has_ended() -> None:
    lock = TurnLock()
    turns: list[int] = []

    def take_a_turn(number: int) -> None:
        with lock:
            turns.append(number)

    threads = [threading.Thread(target=take_a_turn, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert sorted(turns) == list(range(8))
    assert not lock._held and not lock._waiting
