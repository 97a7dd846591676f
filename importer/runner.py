"""The import loop: read rows, send batches concurrently, follow their operations, keep state.

Everything that changes the state, the rejects file or the counters happens on the calling (main)
thread; worker threads only make HTTP requests and hand back the parsed answer. Memory stays bounded:
at most `concurrency` batches are in flight, one is being filled, and the file is read as a stream.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from importer.batching import Batch, Batcher
from importer.client import RecipientsClient
from importer.errors import Aborted, ApiError, ImportFailed
from importer.progress import Progress, Snapshot, format_duration
from importer.reader import MAX_BODY_BYTES, BadRow, Row, RowReader
from importer.rejects import RejectsFile
from importer.state import FINISHED_STATUSES, AcceptedLines, BatchRecord, ImportState

SAVE_INTERVAL = 1.0
"""Changes learnt by polling are saved at most this often; an accepted batch is saved at once."""
LOST = "not found"
"""Status recorded for an operation the server no longer knows (404 while polling)."""


@dataclass(frozen=True)
class Options:
    source: str
    """A path, or `-` for stdin."""
    name: str
    """How the input is named in messages."""
    rejects_path: Path
    state_path: Path | None
    batch_size: int = 1000
    max_bytes: int = MAX_BODY_BYTES
    concurrency: int = 4
    wait: bool = True
    poll_interval: float = 1.0
    total_bytes: int | None = None
    max_warnings: int = 10


@dataclass(frozen=True)
class Summary:
    name: str
    rows: int
    written: int
    local_rejected: int
    server_rejected: int
    operations: int
    failed_operations: int
    unfinished_operations: int
    unaccounted: int
    sent: int
    skipped: int
    elapsed: float
    rejects_path: Path | None
    """Where the rejected rows are listed, when there are any."""
    state_path: Path | None
    interrupted: bool = False

    @property
    def rejected(self) -> int:
        return self.local_rejected + self.server_rejected

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.rejected or self.failed_operations or self.unaccounted else 0

    def render(self) -> str:
        parts = [
            f"{self.name}: {self.rows:,} rows",
            f"{self.written:,} written",
            f"{self.rejected:,} rejected",
            f"{self.failed_operations:,} operations failed",
            format_duration(self.elapsed) if self.elapsed >= 60 else f"{self.elapsed:.1f} s",
        ]
        if self.sent and self.elapsed > 0:  # a resumed run may only wait for earlier batches
            parts.append(f"{self.sent / self.elapsed:,.0f} rows/s")
        lines = [" | ".join(parts)]
        if self.skipped:
            lines.append(f"resumed: {self.skipped:,} rows were already sent by an earlier run and were skipped")
        if self.rejects_path is not None:
            counts = f"{self.local_rejected:,} locally, {self.server_rejected:,} by the server"
            lines.append(f"rejected rows ({counts}): {self.rejects_path}")
        if self.unaccounted:
            lines.append(f"{self.unaccounted:,} rows of failed operations were neither written nor listed as rejected")
        if self.unfinished_operations and not self.interrupted:
            hint = "; run again with --resume to wait for them" if self.state_path else ""
            lines.append(f"{self.unfinished_operations:,} operations still running on the server{hint}")
        return "\n".join(lines)


class Importer:
    """One run of an import. `run()` returns a `Summary` or raises `ImportFailed`."""

    def __init__(
        self,
        options: Options,
        client: RecipientsClient,
        state: ImportState,
        *,
        resumed: bool,
        stop: threading.Event,
        progress: Progress,
        open_input: Callable[[], BinaryIO] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._options = options
        self._client = client
        self._state = state
        self._resumed = resumed
        self._stop = stop
        self._progress = progress
        self._open_input = open_input or (lambda: _open_binary(options.source))
        self._clock = clock
        self._rejects = RejectsFile(options.rejects_path, append=resumed)
        self._sends: dict[Future[dict[str, Any]], Batch] = {}
        self._polls: dict[Future[dict[str, Any]], int] = {}
        self._unfinished: dict[int, None] = {n: None for n in sorted(state.batches) if not state.batches[n].finished}
        self._next_poll: dict[int, float] = {}
        self._next_number = state.next_batch_number()
        self._fatal: ImportFailed | None = None
        self._told_stopping = False
        self._sending = True
        self._polling_allowed = True
        self._read = self._skipped = self._sent = self._warnings = 0
        self._bytes_read = 0
        self._rate_origin: tuple[float, int] | None = None
        self._dirty = False
        self._last_save = clock()
        self._started = clock()
        self._executor = ThreadPoolExecutor(max_workers=options.concurrency + 1, thread_name_prefix="import")

    def run(self) -> Summary:
        if not self._resumed:
            self._rejects.start_fresh()
        try:
            try:
                read_all = True if self._state.complete else self._send_file()
            except ImportFailed as exc:  # the input broke off: keep what the server accepted so far
                self._fail(str(exc))
                read_all = False
            self._drain(sends_only=True)
            self._sending = False
            if read_all and self._options.wait:
                while self._unfinished and not self._stop.is_set():
                    self._pump()
            self._drain(sends_only=False)
            self._state.complete = read_all and not self._stop.is_set() and not self._unfinished
        except BaseException:
            self._stop.set()  # requests waiting to retry give up, so shutting down is quick
            raise
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)
            try:
                self._save(force=True)
            finally:
                self._rejects.close()
                worth_showing = self._state.batches or (self._read and self._fatal is None)
                if worth_showing:
                    self._progress.update(self._snapshot, force=True)
                self._progress.finish(keep=bool(worth_showing))
        if self._fatal is not None:
            raise self._fatal
        return self._summary()

    # reading and sending

    def _send_file(self) -> bool:
        """Read the input and send it; False when stopped before the end."""
        state = self._state
        accepted = AcceptedLines(state.accepted_ranges())
        batcher = Batcher(self._options.batch_size, self._options.max_bytes)
        try:
            raw = self._open_input()
        except OSError as exc:
            raise ImportFailed(f"cannot open {self._options.name}: {exc.strerror or exc}") from None
        reader = RowReader(
            raw, name=self._options.name, fmt=state.format, json_columns=state.json_columns, delimiter=state.delimiter
        )
        try:
            for item in reader:
                self._read += 1
                self._bytes_read = reader.bytes_read
                if item.line in accepted:
                    self._skipped += isinstance(item, Row)
                elif isinstance(item, BadRow):
                    if item.line > state.read_through_line:
                        self._reject_locally(item)
                else:
                    for batch in batcher.add(item):
                        self._dispatch(batch)
                state.read_through_line = max(state.read_through_line, item.line)
                if self._stopping():
                    return False
                self._tick()
            self._bytes_read = reader.bytes_read
            for batch in batcher.flush():
                self._dispatch(batch)
        except OSError as exc:
            raise ImportFailed(f"cannot read {self._options.name}: {exc.strerror or exc}") from None
        finally:
            reader.close()
        return not self._stopping()

    def _dispatch(self, batch: Batch) -> None:
        self._pump(timeout=0)  # take in answers and start due polls even when there is a free slot
        while len(self._sends) >= self._options.concurrency and not self._stopping():
            self._pump()
        if self._stopping():
            return
        batch.number = self._next_number
        self._next_number += 1
        if self._rate_origin is None:
            self._rate_origin = (self._clock(), self._bytes_read)
        # The same for this batch across retries and across --resume (same run, same lines, same body)
        digest = hashlib.sha256(batch.body).hexdigest()[:16]
        key = f"recipients-import-{self._state.run_id}-{batch.first_line}-{batch.last_line}-{digest}"
        self._sends[self._executor.submit(self._client.bulk_identify, batch.body, key)] = batch

    def _reject_locally(self, item: BadRow) -> None:
        self._rejects.write(item.line, item.id, item.reason, item.errors)
        self._state.local_rejected += 1
        self._dirty = True
        if self._warnings < self._options.max_warnings:
            self._progress.message(f"{self._options.name}:{item.line}: {item.reason}")
        elif self._warnings == self._options.max_warnings > 0:
            self._progress.message(f"... more rejected rows are listed in {self._options.rejects_path}")
        self._warnings += 1

    # waiting for answers

    def _pump(self, timeout: float = 0.1) -> None:
        pending = [*self._sends, *self._polls]
        if pending:
            done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        else:
            done = set()
            self._stop.wait(timeout)
        for future in done:
            if future in self._sends:
                self._on_sent(future, self._sends.pop(future))
            else:
                self._on_polled(future, self._polls.pop(future))
        self._schedule_polls()
        self._save()
        self._stopping()
        self._tick()

    def _drain(self, *, sends_only: bool) -> None:
        if not sends_only:
            self._polling_allowed = False
        while self._sends or (self._polls and not sends_only):
            self._pump()

    def _on_sent(self, future: Future[dict[str, Any]], batch: Batch) -> None:
        try:
            operation = future.result()
        except Aborted:
            return
        except ImportFailed as exc:
            self._fail(f"{batch.describe()}: {exc}")
            return
        record = BatchRecord(
            batch=batch.number,
            first_line=batch.first_line,
            last_line=batch.last_line,
            rows=batch.rows,
            lines=batch.lines.runs,
            operation_id=operation["id"],
        )
        self._state.batches[record.batch] = record
        self._sent += batch.rows
        self._apply(record, operation)
        if not record.finished:
            self._unfinished[record.batch] = None
            self._next_poll[record.batch] = self._clock() + self._options.poll_interval
        self._save(force=True)

    def _schedule_polls(self) -> None:
        if self._stop.is_set() or not self._polling_allowed or not self._unfinished:
            return
        limit = 1 if self._sending else self._options.concurrency
        polling = set(self._polls.values())
        now = self._clock()
        # _unfinished is ordered by when each operation is next due, except those being polled now
        for number in list(self._unfinished):
            if len(self._polls) >= limit:
                return
            if number in polling:
                continue
            if self._next_poll.get(number, 0.0) > now:
                return
            operation_id = self._state.batches[number].operation_id
            self._polls[self._executor.submit(self._client.get_bulk_operation, operation_id)] = number

    def _on_polled(self, future: Future[dict[str, Any]], number: int) -> None:
        record = self._state.batches[number]
        try:
            operation = future.result()
        except Aborted:
            return
        except ApiError as exc:
            if exc.status != 404:
                self._fail(f"following operation {record.operation_id} of {record.describe()}: {exc}")
                return
            record.status, record.finished = LOST, True
            self._progress.message(
                f"{record.describe()}: operation {record.operation_id} is not known to the server any more; "
                "its rows are not counted as written"
            )
        except ImportFailed as exc:
            self._fail(f"following operation {record.operation_id} of {record.describe()}: {exc}")
            return
        else:
            self._apply(record, operation)
        del self._unfinished[number]
        if record.finished:
            self._next_poll.pop(number, None)
        else:
            self._unfinished[number] = None
            self._next_poll[number] = self._clock() + self._options.poll_interval
        self._dirty = True

    def _apply(self, record: BatchRecord, operation: dict[str, Any]) -> None:
        """Take in what the server says about a batch's operation; write rejects not written yet."""
        items = [item for item in operation.get("error_items") or [] if isinstance(item, dict)]
        record.status = str(operation.get("status"))
        record.success_count = _count(operation.get("success_count"), 0)
        record.error_count = _count(operation.get("error_count"), len(items))
        reported = set(record.reported)
        lines = record.line_runs()
        for item in items:
            index = item.get("index")
            key: int | str = index if isinstance(index, int) and not isinstance(index, bool) else f"id:{item.get('id')}"
            if key in reported:
                continue
            reported.add(key)
            errors: list[Any] = item["errors"] if isinstance(item.get("errors"), list) else []
            reason = item.get("reason") or _reason(errors) or "rejected by the server"
            line = lines.line_at(key) if isinstance(key, int) else None
            self._rejects.write(line, item.get("id"), str(reason), errors)
        if record.status not in FINISHED_STATUSES:
            record.reported = list(reported)
            return
        record.finished = True
        record.reported = []
        if record.error_count > len(reported):
            self._progress.message(
                f"{record.describe()}: the server rejected {record.error_count:,} rows but listed "
                f"{len(reported):,}; the other {record.error_count - len(reported):,} are not in the rejects file"
            )
        if record.status == "failed":
            self._progress.message(
                f"{record.describe()}: operation {record.operation_id} failed "
                f"({record.success_count:,} written, {record.error_count:,} rejected of {record.rows:,} rows)"
            )

    # stopping, saving, reporting

    def _stopping(self) -> bool:
        if self._stop.is_set() and self._fatal is None and not self._told_stopping:
            self._told_stopping = True
            self._progress.message("interrupted: finishing the requests in flight (Ctrl-C again to quit at once)")
        return self._stop.is_set()

    def _fail(self, message: str) -> None:
        if self._fatal is None:
            self._fatal = ImportFailed(message)
        self._stop.set()

    def _save(self, *, force: bool = False) -> None:
        now = self._clock()
        if not force and (not self._dirty or now - self._last_save < SAVE_INTERVAL):
            return
        self._rejects.flush()  # before the state that says these rows are reported
        if self._options.state_path is not None and (self._state.batches or self._resumed):
            self._state.save(self._options.state_path)
        self._dirty = False
        self._last_save = now

    def _tick(self) -> None:
        self._progress.update(self._snapshot)

    def _snapshot(self) -> Snapshot:
        records = self._state.batches.values()
        now = self._clock()
        fraction = eta = None
        total = self._options.total_bytes
        if total:
            fraction = min(1.0, self._bytes_read / total)
            if self._rate_origin is not None and self._sending:
                started, origin_bytes = self._rate_origin
                if now - started >= 1 and self._bytes_read > origin_bytes:
                    eta = (total - self._bytes_read) * (now - started) / (self._bytes_read - origin_bytes)
        return Snapshot(
            read=self._read,
            skipped=self._skipped,
            sent=self._sent,
            written=sum(r.success_count for r in records if r.finished),
            rejected=self._state.local_rejected + sum(r.error_count for r in records),
            elapsed=now - self._started,
            fraction=fraction,
            eta=eta,
            waiting=0 if self._sending else len(self._unfinished),
        )

    def _summary(self) -> Summary:
        records = list(self._state.batches.values())
        finished = [r for r in records if r.finished]
        server_rejected = sum(r.error_count for r in records)
        rejected = self._state.local_rejected + server_rejected
        return Summary(
            name=self._options.name,
            rows=sum(r.rows for r in records) + self._state.local_rejected,
            written=sum(r.success_count for r in finished),
            local_rejected=self._state.local_rejected,
            server_rejected=server_rejected,
            operations=len(records),
            failed_operations=sum(r.status in ("failed", LOST) for r in records),
            unfinished_operations=len(records) - len(finished),
            unaccounted=sum(max(0, r.rows - r.success_count - r.error_count) for r in finished),
            sent=self._sent,
            skipped=self._skipped,
            elapsed=self._clock() - self._started,
            rejects_path=self._options.rejects_path if rejected else None,
            state_path=self._options.state_path,
            interrupted=self._stop.is_set(),
        )


def _open_binary(source: str) -> BinaryIO:
    if source == "-":
        return sys.stdin.buffer
    return open(source, "rb", buffering=0)  # noqa: SIM115  # closed by the RowReader


def _count(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _reason(errors: list[Any]) -> str:
    return "; ".join(
        f"{error.get('field')}: {error.get('message')}" if error.get("field") else str(error.get("message"))
        for error in errors
        if isinstance(error, dict) and error.get("message")
    )
