"""What `make run` prints: one line per request, and the functions' own output only when asked.

Each request is one line, `METHOD /path → status in N ms`, naming the workflow run or the bulk
operation its answer started. What the functions print while they run (Powertools' JSON log lines
and the EMF metric lines Lambda would send to CloudWatch Logs) is left out, except log lines at WARN
or above, which say something went wrong. `LOG=json` (`python -m local.server --log json`) shows all
of it, exactly as the functions print it.

A function's output is told apart by the thread printing it, not by its content: `Emulator.invoke`
marks its thread with `function_running()` while the handler runs, and `FunctionOutputFilter`, which
replaces `sys.stdout`, reads that mark. Lines are judged whole, per thread (`print` writes a line's
text and its newline in two calls, and several functions' threads may print at once).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

LOG_MODES = ("lines", "json")
EVENT_MODES = ("lines", "json")
SHOWN_LEVELS = {"WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"}
_LARGEST_ANSWER_READ = 64 * 1024  # a trigger's or bulk call's answer is far smaller; pages are not read

_thread = threading.local()


@contextmanager
def function_running() -> Iterator[None]:
    """What this thread prints meanwhile is a function's output."""
    outer = getattr(_thread, "in_function", False)
    _thread.in_function = True
    try:
        yield
    finally:
        _thread.in_function = outer
        if not outer:
            _thread.pending = ""  # a line the function left unfinished is not the next one's start


def _is_warning_or_worse(line: str) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and str(record.get("level", "")).upper() in SHOWN_LEVELS


class FunctionOutputFilter:
    """A stand-in for `sys.stdout`: everything passes, but a function's lines only when `show_all` or
    when they log a warning or an error. Anything else a stream has is the wrapped stream's."""

    def __init__(self, out: TextIO, show_all: bool) -> None:
        self.out = out
        self.show_all = show_all

    def write(self, text: str) -> int:
        if self.show_all or not getattr(_thread, "in_function", False):
            return self.out.write(text)
        *lines, _thread.pending = (getattr(_thread, "pending", "") + text).split("\n")
        for line in lines:
            if _is_warning_or_worse(line):
                self.out.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)


def request_line(method: str, path: str, status: int, elapsed_ms: float, body: bytes) -> str:
    """`POST /v1/workflows/k/trigger → 200 in 12 ms [run <id>]`."""
    line = f"{method} {path} → {status} in {elapsed_ms:.0f} ms"
    started = _started_operation(body)
    return f"{line} [{started}]" if started else line


def _started_operation(body: bytes) -> str | None:
    """`run <id>` for an answer naming a workflow run, `bulk operation <id>` for a BulkOperation."""
    if len(body) > _LARGEST_ANSWER_READ or not body.lstrip().startswith(b"{"):
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if isinstance(answer.get("workflow_run_id"), str):
        return f"run {answer['workflow_run_id']}"
    if answer.get("__typename") == "BulkOperation" and isinstance(answer.get("id"), str):
        return f"bulk operation {answer['id']}"
    return None
