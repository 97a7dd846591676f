"""Requests on threads the import can walk away from.

A `ThreadPoolExecutor` joins its threads when the interpreter exits, so one request stuck on a slow
server would hold Ctrl-C up for as long as its timeout. Each request here runs on a daemon thread of
its own instead: stopping waits a moment for the answers already on their way, then leaves the rest.
A batch left this way was not recorded as accepted, so --resume sends it again, with the same
Idempotency-Key: the server answers it with the operation it already made, if it made one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


def start[Result](call: Callable[..., Result], *args: Any, name: str = "import-request") -> Future[Result]:
    """`call(*args)` on a daemon thread of its own; its result (or exception) in the future."""
    future: Future[Result] = Future()
    future.set_running_or_notify_cancel()

    def run() -> None:
        try:
            result = call(*args)
        except BaseException as exc:  # noqa: BLE001  # handed to whoever reads the future
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
