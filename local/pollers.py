"""The background threads of a local API (queue and stream pollers, rule deliveries, the bus printer, the
scheduler): each a loop of steps that outlives a failing step, and the pollers started and stopped together."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any, Protocol, Self

STOP_TIMEOUT_SECONDS = 5.0
FAILURE_REST_SECONDS = 1.0


class BackgroundLoop:
    """A daemon thread taking `step()` after step until asked to stop.

    A step returns how long to rest before the next (0: none; a step that long-polls rests in its
    receive). A step that raises is printed with its traceback, and the next comes a second later: the
    loop outlives any failure, as Lambda's pollers do (and the emulator's, while it stops)."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def step(self) -> float:
        raise NotImplementedError

    def failure(self) -> str:
        """What a failed step's line on stderr says (before its traceback)."""
        return f"{self.thread.name}: failed"

    def start(self) -> Self:
        self.thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the loop to stop after its step; `stop()` also waits for it."""
        self._stop.set()

    def stop(self, timeout: float = 2 * STOP_TIMEOUT_SECONDS) -> None:
        self.request_stop()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rest = self.step()
            except Exception:
                print(f"{self.failure()}:", file=sys.stderr)
                traceback.print_exc()
                rest = FAILURE_REST_SECONDS
            if rest > 0:
                self._stop.wait(rest)


class Poller(Protocol):
    thread: threading.Thread
    source: Any  # an event source of the template, naming its `function`

    def start(self) -> Any: ...

    def request_stop(self) -> None: ...


class Pollers[P: Poller]:
    """Running pollers; `stop()` ends them all within a few seconds, and names any still busy."""

    def __init__(self, pollers: list[P], kind: str) -> None:
        self.pollers = pollers
        self.kind = kind

    def start(self) -> Self:
        for poller in self.pollers:
            poller.start()
        return self

    def request_stop(self) -> None:
        for poller in self.pollers:
            poller.request_stop()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        self.request_stop()
        deadline = time.monotonic() + timeout
        for poller in self.pollers:
            if poller.thread.is_alive():
                poller.thread.join(max(0.0, deadline - time.monotonic()))
            if poller.thread.is_alive():
                print(
                    f"{self.kind} {poller.source.function}: still busy after {timeout:.0f}s, left behind",
                    file=sys.stderr,
                )
