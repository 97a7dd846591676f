"""The background pollers of a local API (SQS queues, DynamoDB streams), started and stopped together."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Protocol, Self

STOP_TIMEOUT_SECONDS = 5.0


class Poller(Protocol):
    thread: threading.Thread
    source: Any  # an event source of the template, naming its `function`

    def start(self) -> None: ...

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
