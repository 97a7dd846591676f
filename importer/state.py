"""The state file that makes an import resumable.

It records which input it belongs to (path, size, mtime and a hash of the first line), the parse
settings, and one record per batch the server accepted: its lines, its operation id, and the
operation's last known status and counts. It is rewritten atomically (temp file + `os.replace`) after
every accepted batch, so after a Ctrl-C or a crash it names exactly the batches that need no resend.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from importer.batching import LineRuns
from importer.errors import ImportFailed

STATE_VERSION = 1
FINISHED_STATUSES = frozenset({"completed", "failed"})
_FIRST_LINE_LIMIT = 1 << 20


@dataclass(frozen=True)
class Fingerprint:
    """What identifies the input file; any difference means it changed since the state was written."""

    path: str
    size: int | None = None
    mtime_ns: int | None = None
    first_line_sha256: str | None = None

    @classmethod
    def of(cls, source: str) -> Fingerprint:
        """The fingerprint of a file. Stdin (`-`) and pipes have only a name: reading them would consume them."""
        if source == "-":
            return cls(path="-")
        path = Path(source)
        stat = path.stat()
        if S_ISDIR(stat.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), source)
        if not S_ISREG(stat.st_mode):
            return cls(path=str(path.resolve()))
        with path.open("rb") as file:
            first_line = file.readline(_FIRST_LINE_LIMIT)
        return cls(
            path=str(path.resolve()),
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            first_line_sha256=hashlib.sha256(first_line).hexdigest(),
        )

    def changes_from(self, recorded: Fingerprint) -> list[str]:
        """What differs between this (the file now) and `recorded` (the file when the state was made)."""
        changes = []
        if self.path != recorded.path:
            changes.append(f"the state is for {recorded.path}")
        if self.size != recorded.size:
            changes.append(f"size {recorded.size} -> {self.size} bytes")
        if self.mtime_ns != recorded.mtime_ns:
            changes.append("modification time changed")
        if self.first_line_sha256 != recorded.first_line_sha256:
            changes.append("first line changed")
        return changes


@dataclass
class BatchRecord:
    """One batch the server accepted, and what is known of its operation."""

    batch: int
    first_line: int
    last_line: int
    rows: int
    lines: list[list[int]]
    operation_id: str
    status: str = "queued"
    finished: bool = False
    success_count: int = 0
    error_count: int = 0
    reported: list[int | str] = field(default_factory=list)
    """error_items already written to the rejects file (by index, or id when there is no index);
    emptied once the operation finished, when every item has been written."""

    def line_runs(self) -> LineRuns:
        return LineRuns(self.lines)

    def describe(self) -> str:
        return f"batch {self.batch} (lines {self.first_line}-{self.last_line})"


@dataclass
class ImportState:
    """Everything the state file holds."""

    input: Fingerprint
    format: str
    json_columns: list[str] = field(default_factory=list)
    delimiter: str = ","
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    version: int = STATE_VERSION
    created_at: str = field(default_factory=lambda: _now())
    updated_at: str = field(default_factory=lambda: _now())
    local_rejected: int = 0
    read_through_line: int = 0
    """Rows rejected locally up to this line are already in the rejects file (and in local_rejected)."""
    complete: bool = False
    """Every row was read and every operation finished."""
    url: str | None = None
    """The service the batches went to, so --resume follows them there (the API key is never saved)."""
    summary: str | None = None
    """The summary of the run that finished the import, shown when the same command runs again."""
    batches: dict[int, BatchRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._finished_json: dict[int, str] = {}

    def save(self, path: Path) -> None:
        """Write the state atomically: a crash leaves either the old file or the new one."""
        self.updated_at = _now()
        head = {item.name: getattr(self, item.name) for item in fields(self) if item.name != "batches"}
        head["input"] = asdict(self.input)
        text = json.dumps(head, separators=(",", ":"))[:-1] + ',"batches":[' + ",".join(self._records()) + "]}"
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with temp.open("w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise ImportFailed(f"cannot write the state file {path}: {exc.strerror or exc}") from None

    def _records(self) -> list[str]:
        # A finished batch never changes again: encode it once, not on every save of a long import.
        encoded = []
        for number in sorted(self.batches):
            record = self.batches[number]
            text = self._finished_json.get(number)
            if text is None:
                text = json.dumps(asdict(record), separators=(",", ":"))
                if record.finished:
                    self._finished_json[number] = text
            encoded.append(text)
        return encoded

    @classmethod
    def load(cls, path: Path) -> ImportState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {STATE_VERSION}")
            records = [BatchRecord(**record) for record in data.pop("batches")]
            state = cls(**{**data, "input": Fingerprint(**data["input"])})
        except OSError as exc:
            raise ImportFailed(f"cannot read the state file {path}: {exc.strerror or exc}") from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ImportFailed(f"{path} is not a state file of this importer ({exc}); use --restart") from None
        state.batches = {record.batch: record for record in records}
        return state

    def next_batch_number(self) -> int:
        return max(self.batches, default=0) + 1

    def accepted_ranges(self) -> list[tuple[int, int]]:
        """The line ranges of the accepted batches, sorted."""
        return sorted((record.first_line, record.last_line) for record in self.batches.values())


class ImportFinished(Exception):
    """The same import already finished: nothing to do (`--restart` imports the file again)."""

    def __init__(self, state: ImportState, path: Path) -> None:
        super().__init__(f"{path}: finished")
        self.state = state
        self.path = path


class AcceptedLines:
    """Answers "was this line in a batch the server already accepted?" for increasing line numbers."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self._ranges = ranges
        self._position = 0

    def __contains__(self, line: int) -> bool:
        while self._position < len(self._ranges) and self._ranges[self._position][1] < line:
            self._position += 1
        return self._position < len(self._ranges) and self._ranges[self._position][0] <= line

    @property
    def empty(self) -> bool:
        return not self._ranges


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_for_run(
    path: Path, fingerprint: Fingerprint, *, resume: bool, restart: bool, force: bool
) -> ImportState | None:
    """The previous state to resume from, or None to start afresh; refuses unsafe combinations.

    - no state file: start afresh (`--resume` says there is nothing to resume);
    - `--restart`: start afresh, the old state is replaced;
    - `--resume`: continue, unless the input changed (then only with `--force`);
    - neither: `ImportFinished` when that import finished and the file is unchanged, else stop and
      say which of the two to use.
    """
    if restart:
        return None
    if not path.exists():
        if resume:
            raise ImportFailed(f"--resume: no state file at {path}; run without --resume to start the import")
        return None
    state = ImportState.load(path)
    if state.input.path != fingerprint.path and not (resume and force):
        raise ImportFailed(
            f"the state file {path} belongs to an import of {state.input.path}; "
            "choose another file with --state, or replace it with --restart"
        )
    changes = fingerprint.changes_from(state.input)
    if not resume:
        if state.complete and not changes:
            raise ImportFinished(state, path)
        done = "finished" if state.complete else "was started"
        changed = f", and the file changed since ({'; '.join(changes)})" if state.complete else ""
        raise ImportFailed(
            f"an import of this file {done} before ({len(state.batches)} batches accepted, state in {path}){changed}. "
            "Use --resume to continue it, or --restart to import the whole file again"
        )
    if changes and fingerprint.path != "-" and not force:
        raise ImportFailed(
            f"--resume: the input changed since the import started ({'; '.join(changes)}). "
            "Use --force to resume anyway, or --restart to import it again from the start"
        )
    if changes:
        state.complete = False  # forced: read it again, for rows added since
    return state
