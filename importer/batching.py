"""Group rows into request bodies: at most `max_rows` users and `max_bytes` bytes of JSON each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from importer.reader import BODY_PREFIX, BODY_SUFFIX, MAX_BODY_BYTES, Row

MAX_BATCH_ROWS = 1000
"""The server's limit on users per bulk identify call."""


class LineRuns:
    """The source line of each row in a batch, kept as runs `[first_line, count]`.

    Rows are usually on consecutive lines, so a whole batch is one run; blank lines, rows rejected
    locally and multi-line CSV records start a new run. This is what maps the server's `index` (the
    row's position in the request) back to a line of the file, and it is small enough to be saved in
    the state file.
    """

    __slots__ = ("runs",)

    def __init__(self, runs: Iterable[Iterable[int]] = ()) -> None:
        self.runs: list[list[int]] = [list(run) for run in runs]

    def append(self, line: int) -> None:
        if self.runs and self.runs[-1][0] + self.runs[-1][1] == line:
            self.runs[-1][1] += 1
        else:
            self.runs.append([line, 1])

    def line_at(self, index: int) -> int | None:
        """The line of the row at position `index`, or None when out of range."""
        if index < 0:
            return None
        for first, count in self.runs:
            if index < count:
                return first + index
            index -= count
        return None

    def __len__(self) -> int:
        return sum(count for _, count in self.runs)

    def __iter__(self) -> Iterator[int]:
        for first, count in self.runs:
            yield from range(first, first + count)

    @property
    def first(self) -> int:
        return self.runs[0][0]

    @property
    def last(self) -> int:
        first, count = self.runs[-1]
        return first + count - 1


@dataclass(slots=True)
class Batch:
    """One request's worth of users: the body to send and the lines its rows came from."""

    body: bytes
    lines: LineRuns
    number: int = 0

    @property
    def rows(self) -> int:
        return len(self.lines)

    @property
    def first_line(self) -> int:
        return self.lines.first

    @property
    def last_line(self) -> int:
        return self.lines.last

    def describe(self) -> str:
        return f"batch {self.number} (lines {self.first_line}-{self.last_line})"


class Batcher:
    """Collect rows; hand back a `Batch` as soon as one is full.

    A batch is full at `max_rows` rows, or when the next row would take the body past `max_bytes`.
    Rows larger than a whole body never get here: the reader rejects them.
    """

    def __init__(self, max_rows: int = MAX_BATCH_ROWS, max_bytes: int = MAX_BODY_BYTES) -> None:
        if not 1 <= max_rows <= MAX_BATCH_ROWS:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH_ROWS}")
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._rows: list[bytes] = []
        self._lines = LineRuns()
        self._size = len(BODY_PREFIX) + len(BODY_SUFFIX)

    def add(self, row: Row) -> list[Batch]:
        """Add one row; return the batches this completes (usually none, at most two)."""
        full: list[Batch] = []
        if self._rows and self._size + 1 + len(row.data) > self.max_bytes:
            full.append(self._take())
        self._size += len(row.data) + (1 if self._rows else 0)
        self._rows.append(row.data)
        self._lines.append(row.line)
        if len(self._rows) >= self.max_rows:
            full.append(self._take())
        return full

    def flush(self) -> list[Batch]:
        """The last, partly filled batch, if any."""
        return [self._take()] if self._rows else []

    def _take(self) -> Batch:
        batch = Batch(body=BODY_PREFIX + b",".join(self._rows) + BODY_SUFFIX, lines=self._lines)
        self._rows = []
        self._lines = LineRuns()
        self._size = len(BODY_PREFIX) + len(BODY_SUFFIX)
        return batch
