"""The progress line on stderr: redrawn in place on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Snapshot:
    """The counts shown while an import runs."""

    read: int
    skipped: int
    sent: int
    written: int
    rejected: int
    elapsed: float
    fraction: float | None = None
    """Share of the input read (by bytes), when its size is known."""
    eta: float | None = None
    waiting: int = 0
    """Operations the server has not finished yet (shown once every row is sent)."""
    rate: float | None = None
    """Rows written or rejected per second, over the last seconds (`importer.rate`)."""

    def render(self) -> str:
        parts = [f"read {self.read:,}"]
        if self.skipped:
            parts.append(f"skipped {self.skipped:,} (done before)")
        parts += [f"sent {self.sent:,}", f"written {self.written:,}", f"rejected {self.rejected:,}"]
        if self.rate is not None:
            parts.append(f"{self.rate:,.0f} rows/s")
        if self.fraction is not None:
            parts.append(f"{self.fraction:.0%}")
        if self.eta is not None:
            parts.append(f"ETA {format_duration(self.eta)}")
        if self.waiting:
            parts.append(f"waiting for {self.waiting:,} operation{'s' if self.waiting != 1 else ''}")
        return " | ".join(parts)


class Progress:
    """Draws `Snapshot`s and prints messages without garbling the progress line."""

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool = True,
        tty: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._enabled = enabled
        self._tty = stream.isatty() if tty is None else tty
        self._interval = interval if interval is not None else (0.2 if self._tty else 5.0)
        self._clock = clock
        self._last_draw = clock()
        self._drawn = False
        self._lock = threading.Lock()  # messages also come from request threads (retries)

    def update(self, snapshot: Callable[[], Snapshot], *, force: bool = False) -> None:
        """Draw the snapshot if the interval has passed (`snapshot` is only built when drawn)."""
        if not self._enabled:
            return
        now = self._clock()
        if not force and now - self._last_draw < self._interval:
            return
        self._last_draw = now
        text = snapshot().render()
        with self._lock:
            if self._tty:
                self._stream.write(f"\r\x1b[K{text}")
                self._drawn = True
            else:
                self._stream.write(text + "\n")
            self._stream.flush()

    def message(self, text: str) -> None:
        """Print one line (a warning, a notice) above the progress line."""
        with self._lock:
            self._clear()
            self._stream.write(text + "\n")
            self._stream.flush()

    def finish(self, *, keep: bool = True) -> None:
        """Leave the terminal on a fresh line, after the last progress line or instead of it."""
        with self._lock:
            if self._drawn:
                self._stream.write("\n" if keep else "\r\x1b[K")
                self._stream.flush()
                self._drawn = False

    def _clear(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._drawn = False


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
