"""The rejects file: one JSON line per row that was not written, with its line in the input and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from importer.errors import ImportFailed


class RejectsFile:
    """Appends `{"line", "id", "reason", "errors", "row"}` lines; the file is created on the first reject.

    `row` is the row as read (a JSONL line, a CSV record), or for a row the server rejected the user as
    sent, when it is still known; else null.
    """

    def __init__(self, path: Path, *, append: bool) -> None:
        self.path = path
        self._append = append
        self._file: IO[str] | None = None
        self.written = 0

    def start_fresh(self) -> None:
        """Remove a rejects file left by an earlier import of the same input."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise ImportFailed(f"cannot remove the old rejects file {self.path}: {exc.strerror or exc}") from None

    def write(
        self,
        line: int | None,
        row_id: str | None,
        reason: str,
        errors: list[Any] | tuple[Any, ...],
        row: str | None = None,
    ) -> None:
        record = {"line": line, "id": row_id, "reason": reason, "errors": list(errors), "row": row}
        try:
            if self._file is None:
                self._file = self.path.open("a" if self._append else "w", encoding="utf-8", errors="replace")
                self._append = True
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise ImportFailed(f"cannot write the rejects file {self.path}: {exc.strerror or exc}") from None
        self.written += 1

    def flush(self) -> None:
        if self._file is not None:
            try:
                self._file.flush()
            except OSError as exc:
                raise ImportFailed(f"cannot write the rejects file {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
