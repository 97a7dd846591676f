"""Reading JSONL and CSV: rows with their line numbers, and bad rows that name the line and the reason."""

from __future__ import annotations

import io
import json

import pytest

from importer.reader import BadRow, InputError, Item, Row, RowReader, format_for


def read(data: str | bytes, fmt: str = "jsonl", **options: object) -> list[Item]:
    raw = data.encode() if isinstance(data, str) else data
    return list(RowReader(io.BytesIO(raw), name=f"users.{fmt}", fmt=fmt, **options))  # type: ignore[arg-type]


def as_users(items: list[Item]) -> list[tuple[int, dict[str, object]]]:
    return [(item.line, json.loads(item.data)) for item in items if isinstance(item, Row)]


def test_jsonl_rows_keep_their_line_numbers_and_blank_lines_are_skipped() -> None:
    # Given two users with a blank and a whitespace-only line between them
    data = '{"id": "u1", "name": "Ada"}\n\n   \n{"id": "u2", "prefs": {"a": [1, 2.5, null]}}\n'

    # When it is read
    items = read(data)

    # Then both rows come out, with the lines they are on, encoded compactly
    assert as_users(items) == [(1, {"id": "u1", "name": "Ada"}), (4, {"id": "u2", "prefs": {"a": [1, 2.5, None]}})]
    assert isinstance(items[1], Row)
    assert items[1].data == b'{"id":"u2","prefs":{"a":[1,2.5,null]}}'


def test_jsonl_keeps_unicode_and_big_integers_exactly() -> None:
    items = read('{"id": "ü", "n": 123456789012345678901234567890, "e": ""}\n')

    assert isinstance(items[0], Row)
    assert items[0].data == '{"id":"ü","n":123456789012345678901234567890,"e":""}'.encode()


def test_jsonl_invalid_json_names_the_line_and_column() -> None:
    items = read('{"id": "u1"}\n{"id": "u2" "name": "x"}\n')

    assert items[1] == BadRow(
        2, None, "not valid JSON: Expecting ',' delimiter (column 13)", text='{"id": "u2" "name": "x"}'
    )


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_jsonl_line_cut_short_names_its_last_column_not_the_next_line(ending: str) -> None:
    items = read(f'{{"id": "u1"{ending}{{"id": "u2"}}{ending}')

    assert items[0] == BadRow(1, None, "not valid JSON: Expecting ',' delimiter (column 12)", text='{"id": "u1"')


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('["u1"]', "expected a JSON object, got a list"),
        ('"u1"', "expected a JSON object, got a string"),
        ("42", "expected a JSON object, got a number"),
        ("null", "expected a JSON object, got null"),
        ('{"name": "no id"}', "id: is required"),
        ('{"id": null}', "id: is required"),
        ('{"id": 7}', "id: must be a string, got a number"),
        ('{"id": "u1", "score": NaN}', "not valid JSON: NaN is not allowed"),
        ('{"id": "u1", "score": -Infinity}', "not valid JSON: -Infinity is not allowed"),
    ],
)
def test_jsonl_row_that_cannot_be_sent_is_a_bad_row_with_the_reason(line: str, reason: str) -> None:
    items = read(f'{{"id": "ok"}}\n{line}\n')

    assert isinstance(items[1], BadRow)
    assert (items[1].line, items[1].reason, items[1].text) == (2, reason, line)  # the row as read, to fix


def test_jsonl_invalid_utf8_is_a_bad_row_and_reading_goes_on() -> None:
    items = read(b'{"id": "a\xff"}\n{"id": "u2"}\n')

    assert items[0] == BadRow(1, None, "not valid UTF-8 (byte 10 of the line)", text='{"id": "a\ufffd"}')
    assert as_users(items) == [(2, {"id": "u2"})]


def test_jsonl_byte_order_mark_and_crlf_line_ends_are_accepted() -> None:
    items = read(b'\xef\xbb\xbf{"id": "u1"}\r\n{"id": "u2"}\r\n')

    assert as_users(items) == [(1, {"id": "u1"}), (2, {"id": "u2"})]


def test_row_larger_than_a_request_is_rejected_with_its_size() -> None:
    items = read('{"id": "big", "blob": "' + "x" * 200 + '"}\n{"id": "small"}\n', max_row_bytes=100)

    assert isinstance(items[0], BadRow)
    assert (items[0].line, items[0].id) == (1, "big")
    assert items[0].reason == "row is 222 bytes as JSON, more than the 100 that fit in one request"
    assert as_users(items) == [(2, {"id": "small"})]


def test_bytes_read_follows_the_stream() -> None:
    data = b'{"id": "u1"}\n' * 1000
    reader = RowReader(io.BytesIO(data), name="users.jsonl", fmt="jsonl")

    assert len(list(reader)) == 1000
    assert reader.bytes_read == len(data)


def test_csv_columns_become_properties_and_empty_cells_are_left_out() -> None:
    data = "id,name,email,plan\nu1,Ada,ada@example.com,\nu2,,,pro\n"

    assert as_users(read(data, "csv")) == [
        (2, {"id": "u1", "name": "Ada", "email": "ada@example.com"}),
        (3, {"id": "u2", "plan": "pro"}),
    ]


def test_csv_json_cells_from_header_suffix_and_json_columns_option() -> None:
    # Given a ":json" header and a column listed in json_columns, next to a plain text column
    data = 'id,prefs:json,score,zip\nu1,"{""theme"": ""dark""}",42,01234\nu2,null,1.5,\n'

    # When read with json_columns=score
    items = read(data, "csv", json_columns=["score"])

    # Then JSON cells are parsed (null included), text cells stay text
    assert as_users(items) == [
        (2, {"id": "u1", "prefs": {"theme": "dark"}, "score": 42, "zip": "01234"}),
        (3, {"id": "u2", "prefs": None, "score": 1.5}),
    ]


def test_csv_bad_json_cell_names_the_line_and_column() -> None:
    items = read("id,prefs:json\nu1,{oops\n", "csv")

    assert items == [
        BadRow(
            2,
            "u1",
            "column prefs: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
            (
                {
                    "field": "prefs",
                    "message": "not valid JSON: Expecting property name enclosed in double quotes (column 2)",
                },
            ),
            text="u1,{oops",
        )
    ]


def test_csv_row_with_the_wrong_number_of_fields_names_the_line() -> None:
    items = read('id,name\nu1,Ada\nu2,Bob,extra\nu3,Cy\nu4\n"Dee, Jr",x\n', "csv")

    # a row too long or too short keeps its id (when it reaches the id column) and the row as read
    assert items[1] == BadRow(3, "u2", "expected 2 fields as in the header, got 3", text="u2,Bob,extra")
    assert items[3] == BadRow(5, "u4", "expected 2 fields as in the header, got 1", text="u4")
    assert [line for line, _ in as_users(items)] == [2, 4, 6]


def test_csv_short_row_missing_the_id_column_has_no_id() -> None:
    items = read("name,id\nAda\n", "csv")

    assert items == [BadRow(2, None, "expected 2 fields as in the header, got 1", text="Ada")]


def test_csv_multiline_record_is_numbered_by_its_first_line() -> None:
    data = 'id,bio\nu1,"line one\nline two"\nu2,short\n\nu3,x\n'

    assert as_users(read(data, "csv")) == [
        (2, {"id": "u1", "bio": "line one\nline two"}),
        (4, {"id": "u2", "bio": "short"}),
        (6, {"id": "u3", "bio": "x"}),
    ]


def test_csv_empty_id_cell_is_a_bad_row() -> None:
    items = read("id,name\n,Nobody\n", "csv")

    assert items == [BadRow(2, None, "id: is required", ({"field": "id", "message": "is required"},), text=",Nobody")]


def test_csv_other_delimiter() -> None:
    assert as_users(read("id;name\nu1;Ada\n", "csv", delimiter=";")) == [(2, {"id": "u1", "name": "Ada"})]


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        ("name,email\nAda,a@example.com\n", {}, "users.csv:1: no id column in the header (columns: name, email)"),
        ("", {}, "users.csv: empty file; expected a header row with an id column"),
        ("id,name,name\n", {}, "users.csv:1: duplicate column name"),
        ("id,,name\n", {}, "users.csv:1: column 2 has no name"),
        ("id,name\n", {"json_columns": ["prefs"]}, "--json-columns: no column named prefs in users.csv"),
    ],
)
def test_csv_header_problem_stops_before_any_row(data: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as raised:
        read(data + "u1,x\n", "csv", **options) if data else read(data, "csv", **options)

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("path", "explicit", "expected"),
    [
        ("users.jsonl", None, "jsonl"),
        ("x.NDJSON", None, "jsonl"),
        ("users.csv", None, "csv"),
        ("data.txt", "csv", "csv"),
    ],
)
def test_format_from_extension_or_option(path: str, explicit: str | None, expected: str) -> None:
    assert format_for(path, explicit) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("-", "reading stdin: --format jsonl or --format csv is required"),
        ("users.txt", "users.txt: cannot tell the format from the extension; use --format jsonl or --format csv"),
    ],
)
def test_format_required_when_it_cannot_be_guessed(path: str, message: str) -> None:
    with pytest.raises(InputError, match="^" + message.replace(".", r"\.") + "$"):
        format_for(path, None)
