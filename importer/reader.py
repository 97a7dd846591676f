"""Read users from a JSONL or CSV stream, one row at a time, with the line each row starts on.

Nothing here holds more than one row: the file is read as a stream, so a file of millions of rows
takes no more memory than its largest line. Each row comes out either as a `Row` (the user as compact
JSON, ready to be put in a request body) or as a `BadRow` (the line and why it cannot be sent).
Only structural problems are caught here (not JSON, not an object, no string id, too large); the
server validates everything else and reports it per row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from importer.errors import ImportFailed

MAX_BODY_BYTES = 5_000_000
"""Largest JSON body sent in one request: Lambda's 6 MB payload limit, with margin."""
BODY_PREFIX = b'{"users":['
BODY_SUFFIX = b"]}"
MAX_ROW_BYTES = MAX_BODY_BYTES - len(BODY_PREFIX) - len(BODY_SUFFIX)
"""Largest single user, as compact JSON, that still fits in one request."""
_LINE_LIMIT = 2 * MAX_BODY_BYTES
"""A source line longer than this is rejected without being held in memory."""

FORMATS = ("jsonl", "csv")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_JSON_SUFFIX = ":json"


@dataclass(frozen=True, slots=True)
class Row:
    """One user to send: its source line, its id and its compact JSON encoding."""

    line: int
    id: str
    data: bytes


@dataclass(frozen=True, slots=True)
class BadRow:
    """One input row that cannot be sent, and why."""

    line: int
    id: str | None
    reason: str
    errors: tuple[dict[str, str], ...] = field(default=())
    text: str | None = None
    """The row as read (a JSONL line without its line break; a CSV record as CSV), to fix and send again."""


Item = Row | BadRow


class InputError(ImportFailed):
    """The input as a whole is unusable (no header, no id column...): nothing is sent."""


def format_for(path: str, explicit: str | None) -> str:
    """The input format: `--format` if given, else from the file's extension."""
    if explicit:
        return explicit
    if path == "-":
        raise InputError("reading stdin: --format jsonl or --format csv is required")
    lower = path.lower()
    for extension, name in _EXTENSIONS.items():
        if lower.endswith(extension):
            return name
    raise InputError(f"{path}: cannot tell the format from the extension; use --format jsonl or --format csv")


class CountingStream(io.RawIOBase):
    """A raw binary stream that counts the bytes read through it (for progress and the ETA)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        # read1 returns what is there (a pipe need not fill the buffer first); a raw FileIO has no read1
        self._read: Callable[[int], bytes] = getattr(raw, "read1", raw.read)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        n = len(data)
        memoryview(buffer)[:n] = data
        self.count += n
        return n


class RowReader:
    """Iterate over the rows of an open binary stream.

    `name` is used in messages (`users.jsonl:17: ...`). `bytes_read` grows as the stream is consumed.
    A CSV header problem raises `InputError` from `open()` or the first `next()`, before any row.
    """

    def __init__(
        self,
        raw: BinaryIO,
        *,
        name: str,
        fmt: str,
        json_columns: Iterable[str] = (),
        delimiter: str = ",",
        max_row_bytes: int = MAX_ROW_BYTES,
    ) -> None:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}: use jsonl or csv")
        self.name = name
        self._counter = CountingStream(raw)
        self._buffered = io.BufferedReader(self._counter, buffer_size=1 << 16)
        self._max_row_bytes = max_row_bytes
        self._items: Iterator[Item]
        if fmt == "jsonl":
            if tuple(json_columns):
                raise InputError("--json-columns applies to CSV input only")
            self._items = self._jsonl()
        else:
            self._items = self._csv(frozenset(json_columns), delimiter)

    @property
    def bytes_read(self) -> int:
        return self._counter.count

    def __iter__(self) -> Iterator[Item]:
        return self._items

    def close(self) -> None:
        self._buffered.close()

    # JSONL

    def _jsonl(self) -> Iterator[Item]:
        line = 0
        while True:
            raw = self._buffered.readline(_LINE_LIMIT)
            if not raw:
                return
            line += 1
            if line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if len(raw) == _LINE_LIMIT and not raw.endswith(b"\n"):
                self._skip_rest_of_line()
                yield BadRow(line, None, f"line is longer than {_LINE_LIMIT:,} bytes")
                continue
            if not raw.strip():
                continue
            yield self._jsonl_row(line, raw)

    def _skip_rest_of_line(self) -> None:
        while True:
            chunk = self._buffered.readline(1 << 20)
            if not chunk or chunk.endswith(b"\n"):
                return

    def _jsonl_row(self, line: int, raw: bytes) -> Item:
        try:
            text = raw.decode("utf-8").rstrip("\r\n")  # so an error at its end is not "column 1" of the next line
        except UnicodeDecodeError as exc:
            as_read = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            return BadRow(line, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)", text=as_read)
        try:
            value = _loads(text)
        except ValueError as exc:
            return BadRow(line, None, f"not valid JSON: {_json_error(exc)}", text=text)
        return _with_text(user_row(line, value, self._max_row_bytes), text)

    # CSV

    def _csv(self, json_columns: frozenset[str], delimiter: str) -> Iterator[Item]:
        # utf-8-sig drops a byte-order mark; surrogateescape lets one bad row be rejected on its own
        text = io.TextIOWrapper(self._buffered, encoding="utf-8-sig", errors="surrogateescape", newline="")
        csv.field_size_limit(_LINE_LIMIT)
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{self.name}: empty file; expected a header row with an id column") from None
        except csv.Error as exc:
            raise InputError(f"{self.name}:1: cannot read the header row: {exc}") from None
        columns = _columns(self.name, header, json_columns)
        previous_end = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield BadRow(previous_end + 1, None, f"not valid CSV: {exc}")
                previous_end = reader.line_num
                continue
            line, previous_end = previous_end + 1, reader.line_num
            if not any(fields):
                continue  # a blank line, or one with only delimiters
            if len(fields) != len(columns):
                reason = f"expected {len(columns)} fields as in the header, got {len(fields)}"
                yield BadRow(line, _plain_id(columns, fields), reason, text=_csv_text(fields, delimiter))
                continue
            yield _with_text(self._csv_row(line, columns, fields), _csv_text(fields, delimiter))

    def _csv_row(self, line: int, columns: list[tuple[str, bool]], fields: list[str]) -> Item:
        user: dict[str, Any] = {}
        for (name, is_json), cell in zip(columns, fields, strict=True):
            if cell == "":
                continue
            if not is_json:
                user[name] = cell
                continue
            try:
                user[name] = _loads(cell)
            except ValueError as exc:
                message = f"not valid JSON: {_json_error(exc)}"
                return BadRow(
                    line,
                    _plain_id(columns, fields),
                    f"column {name}: {message}",
                    ({"field": name, "message": message},),
                )
        return user_row(line, user, self._max_row_bytes)


def _columns(name: str, header: list[str], json_columns: frozenset[str]) -> list[tuple[str, bool]]:
    """(property name, is a JSON column) for each header cell; every problem is an `InputError`."""
    columns: list[tuple[str, bool]] = []
    for position, title in enumerate(header, start=1):
        title = title.strip()
        is_json = title.endswith(_JSON_SUFFIX)
        prop = title[: -len(_JSON_SUFFIX)] if is_json else title
        if not prop:
            raise InputError(f"{name}:1: column {position} has no name")
        columns.append((prop, is_json or prop in json_columns))
    names = [prop for prop, _ in columns]
    duplicates = sorted({prop for prop in names if names.count(prop) > 1})
    if duplicates:
        raise InputError(f"{name}:1: duplicate column {', '.join(duplicates)}")
    if "id" not in names:
        raise InputError(f"{name}:1: no id column in the header (columns: {', '.join(names)})")
    unknown = sorted(json_columns - set(names))
    if unknown:
        raise InputError(f"--json-columns: no column named {', '.join(unknown)} in {name}")
    return columns


def _plain_id(columns: list[tuple[str, bool]], fields: list[str]) -> str | None:
    """The id cell, when the row reaches as far as the id column (a short row may)."""
    for (name, is_json), cell in zip(columns, fields, strict=False):
        if name == "id" and not is_json and cell:
            return _printable(cell)
    return None


def _csv_text(fields: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(fields)
    return out.getvalue().encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _with_text(item: Item, text: str) -> Item:
    """A rejected row with the row as read; a good row as it is (its JSON is what is sent)."""
    if isinstance(item, BadRow) and item.text is None:
        return BadRow(item.line, item.id, item.reason, item.errors, text)
    return item


class _NonFiniteNumber(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonFiniteNumber(f"{name} is not allowed")


def _loads(text: str) -> Any:
    """Strict JSON: NaN and Infinity are refused (they would make the whole request body invalid)."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _NonFiniteNumber("nested too deeply") from None


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return str(exc)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def user_row(line: int, value: object, max_row_bytes: int = MAX_ROW_BYTES) -> Item:
    """Check one parsed row's shape and encode it as it will be sent."""
    if not isinstance(value, dict):
        return BadRow(line, None, f"expected a JSON object, got {_json_type(value)}")
    user_id = value.get("id")
    if user_id is None:
        return BadRow(line, None, "id: is required", ({"field": "id", "message": "is required"},))
    if not isinstance(user_id, str):
        message = f"must be a string, got {_json_type(user_id)}"
        return BadRow(line, None, f"id: {message}", ({"field": "id", "message": message},))
    try:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        return BadRow(line, _printable(user_id), "not valid UTF-8 text")
    if len(data) > max_row_bytes:
        reason = f"row is {len(data):,} bytes as JSON, more than the {max_row_bytes:,} that fit in one request"
        return BadRow(line, user_id, reason)
    return Row(line, user_id, data)


def _printable(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text
