"""A steady rate and an ETA: rows done per second over the last seconds, not since the start.

A rate since the start falls whenever the import waits (for the server, for a retry), and never
recovers; one over a moving window follows what the import is doing now.
"""

from __future__ import annotations

from collections import deque

WINDOW = 20.0
"""Seconds of history the rate is taken over."""
MIN_SPAN = 1.0
"""No rate until the samples span at least this long: one second's count is too jumpy."""
SAMPLE_EVERY = 0.25


class RateWindow:
    """Samples of a growing count (rows done) against time; `rate()` over the last `WINDOW` seconds."""

    def __init__(self, window: float = WINDOW) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, count: int) -> None:
        if self._samples and now - self._samples[-1][0] < SAMPLE_EVERY:
            if count != self._samples[-1][1]:
                self._samples[-1] = (self._samples[-1][0], count)  # keep the newest count, at the old time
            return
        self._samples.append((now, count))
        # keep one sample older than the window, so the rate always spans the whole window
        while len(self._samples) > 2 and self._samples[1][0] <= now - self._window:
            self._samples.popleft()

    def rate(self) -> float | None:
        """Rows per second over the window, or None while there is too little history."""
        if len(self._samples) < 2:
            return None
        (first_time, first_count), (last_time, last_count) = self._samples[0], self._samples[-1]
        span = last_time - first_time
        if span < MIN_SPAN:
            return None
        return max(0, last_count - first_count) / span

    def eta(self, remaining: float | None) -> float | None:
        """Seconds until `remaining` more rows are done at the current rate; None when unknown."""
        rate = self.rate()
        if remaining is None or not rate:
            return None
        return max(0.0, remaining) / rate
