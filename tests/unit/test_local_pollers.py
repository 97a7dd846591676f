"""The loop every background thread of a local API runs: steps, rests, failures and stopping."""

from __future__ import annotations

import threading
import time

import pytest

from local.pollers import BackgroundLoop


class CountingLoop(BackgroundLoop):
    """Steps that fail on the given step numbers (1 is the first) and otherwise rest `rest` seconds."""

    def __init__(self, failing: set[int], rest: float = 0.0) -> None:
        super().__init__(name="counting")
        self.failing = failing
        self.rest = rest
        self.steps: list[float] = []
        self.third_step = threading.Event()

    def step(self) -> float:
        self.steps.append(time.monotonic())
        if len(self.steps) == 3:
            self.third_step.set()
        if len(self.steps) in self.failing:
            raise RuntimeError(f"step {len(self.steps)} broke")
        return self.rest

    def failure(self) -> str:
        return "counting: a step failed"


def test_a_failing_step_is_printed_with_its_traceback_and_the_loop_goes_on_a_second_later(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a loop whose second step raises
    loop = CountingLoop(failing={2}).start()

    # When it has taken three steps
    assert loop.third_step.wait(10)
    loop.stop()

    # Then the failure was printed, with the loop's own line and the exception, and it rested a second
    error = capsys.readouterr().err
    assert "counting: a step failed:" in error
    assert "RuntimeError: step 2 broke" in error
    assert loop.steps[2] - loop.steps[1] >= 0.9
    assert not loop.thread.is_alive()


def test_a_step_rests_as_long_as_it_says_and_stop_ends_the_rest_at_once() -> None:
    # Given a loop whose steps rest a minute
    loop = CountingLoop(failing=set(), rest=60).start()
    deadline = time.monotonic() + 10
    while not loop.steps and time.monotonic() < deadline:
        time.sleep(0.01)

    # When it is stopped during its rest
    started = time.monotonic()
    loop.stop()

    # Then it took one step, and stopped without waiting for the rest to end
    assert len(loop.steps) == 1
    assert time.monotonic() - started < 5
    assert not loop.thread.is_alive()


def test_a_loop_asked_to_stop_before_it_starts_takes_no_step() -> None:
    loop = CountingLoop(failing=set())
    loop.request_stop()
    loop.start().stop()
    assert loop.steps == []
