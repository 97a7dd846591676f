"""The import loop: read rows, send batches concurrently, follow their operations, keep state.

Everything that changes the state, the rejects file or the counters happens on the calling (main)
thread; worker threads only make HTTP requests and hand back the parsed answer. Memory stays bounded:
at most `concurrency` batches are in flight, one is being filled, and the file is read as a stream.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from importer.batching import Batch, Batcher
from importer.client import RecipientsClient
from importer.errors import Aborted, ApiError, ImportFailed
from importer.progress import Progress, Snapshot
from importer.rate import RateWindow
from importer.reader import MAX_BODY_BYTES, BadRow, Row, RowReader
from importer.rejects import RejectsFile
from importer.state import FINISHED_STATUSES, AcceptedLines, BatchRecord, ImportState
from importer.summary import Summary
from importer.workers import start

SAVE_INTERVAL = 1.0
"""Changes learnt by polling are saved at most this often; an accepted batch is saved at once."""
STOP_GRACE = 1.0
"""After Ctrl-C, how long answers to the requests in flight are waited for before they are left behind."""
LOST = "not found"
"""Status recorded for an operation the server no longer knows (404 while polling)."""


@dataclass(frozen=True)
class Options:
    url: str
    """The service's base URL."""
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
        self._rate = RateWindow()
        self._stopped_at: float | None = None
        self._abandoned = 0
        self._dirty = False
        self._last_save = clock()
        self._started = clock()

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
            final = self._summary()
            if self._state.complete:
                self._state.summary = final.render()
        except BaseException:
            self._stop.set()  # requests waiting to retry give up, so shutting down is quick
            raise
        finally:
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
        return final

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
        # The same for this batch across retries and across --resume (same run, same lines, same body)
        digest = hashlib.sha256(batch.body).hexdigest()[:16]
        key = f"recipients-import-{self._state.run_id}-{batch.first_line}-{batch.last_line}-{digest}"
        self._sends[start(self._client.bulk_identify, batch.body, key)] = batch

    def _reject_locally(self, item: BadRow) -> None:
        self._rejects.write(item.line, item.id, item.reason, item.errors, item.text)
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
            if self._stopping() and self._clock() - (self._stopped_at or 0.0) >= STOP_GRACE:
                self._abandon()
                return
            self._pump()

    def _abandon(self) -> None:
        """Leave the requests still in flight: a batch not answered yet is sent again by --resume."""
        self._abandoned += len(self._sends)
        if self._sends and self._fatal is None:
            count = len(self._sends)
            self._progress.message(
                f"{count} batch{'es' if count != 1 else ''} not answered yet; --resume sends "
                f"{'them' if count != 1 else 'it'} again (the server will not write a row twice)"
            )
        self._sends.clear()
        self._polls.clear()

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
        self._apply(record, operation, SentRows(batch.body))
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
            self._polls[start(self._client.get_bulk_operation, operation_id)] = number

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

    def _apply(self, record: BatchRecord, operation: dict[str, Any], sent: SentRows | None = None) -> None:
        """Take in what the server says about a batch's operation; write rejects not written yet.

        `sent` is the batch as sent, while it is at hand (with the answer to its POST), for the rows
        the server rejected at once; rows rejected while being written are reported without it.
        """
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
            row = sent.row(key) if sent is not None and isinstance(key, int) else None
            self._rejects.write(line, item.get("id"), str(reason), errors, row)
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
        if self._stop.is_set() and self._stopped_at is None:
            self._stopped_at = self._clock()
        if self._stop.is_set() and self._fatal is None and not self._told_stopping:
            self._told_stopping = True
            self._progress.message("interrupted: taking in the answers already on their way, then stopping")
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
        server_rejected = sum(r.error_count for r in records)
        written = sum(r.success_count for r in records)  # an operation's count grows as its chunks finish
        done = self._state.local_rejected + written + server_rejected
        self._rate.add(now, done)
        fraction = None
        total: float | None = None if self._sending else self._read
        if self._options.total_bytes:
            fraction = min(1.0, self._bytes_read / self._options.total_bytes)
            if self._sending and fraction:
                total = self._read / fraction  # rows in the file, guessed from the share of its bytes read
        return Snapshot(
            read=self._read,
            skipped=self._skipped,
            sent=self._sent,
            written=written,
            rejected=self._state.local_rejected + server_rejected,
            elapsed=now - self._started,
            fraction=fraction,
            eta=self._rate.eta(None if total is None else total - done),
            waiting=0 if self._sending else len(self._unfinished),
            rate=self._rate.rate(),
        )

    def _summary(self) -> Summary:
        records = list(self._state.batches.values())
        finished = [r for r in records if r.finished]
        server_rejected = sum(r.error_count for r in records)
        rejected = self._state.local_rejected + server_rejected
        return Summary(
            name=self._options.name,
            rows=sum(r.rows for r in records) + self._state.local_rejected,
            written=sum(r.success_count for r in records),
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


class SentRows:
    """The rows of a request body, by position, decoded only if one is asked for."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._users: list[Any] | None = None

    def row(self, index: int) -> str | None:
        if self._users is None:
            try:
                users = json.loads(self._body).get("users")
            except ValueError:
                users = None
            self._users = users if isinstance(users, list) else []
        if not 0 <= index < len(self._users):
            return None
        return json.dumps(self._users[index], ensure_ascii=False, separators=(",", ":"))


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
