"""Batching: at most N rows and at most max_bytes of JSON per request, and the index -> line map."""

from __future__ import annotations

import json

import pytest

from importer.batching import Batch, Batcher, LineRuns
from importer.reader import MAX_BODY_BYTES, Row


def row(line: int, size: int = 0) -> Row:
    data = json.dumps({"id": f"u{line}", "pad": "x" * size}, separators=(",", ":")).encode()
    return Row(line, f"u{line}", data)


def batch_all(batcher: Batcher, rows: list[Row]) -> list[Batch]:
    batches = [batch for r in rows for batch in batcher.add(r)]
    return batches + batcher.flush()


def test_2500_rows_make_batches_of_1000_1000_and_500() -> None:
    batches = batch_all(Batcher(), [row(n) for n in range(1, 2501)])

    assert [b.rows for b in batches] == [1000, 1000, 500]
    assert [(b.first_line, b.last_line) for b in batches] == [(1, 1000), (1001, 2000), (2001, 2500)]


def test_a_full_batch_is_handed_back_as_soon_as_it_is_full() -> None:
    batcher = Batcher(max_rows=2)

    assert batcher.add(row(1)) == []
    full = batcher.add(row(2))

    assert [b.rows for b in full] == [2]
    assert batcher.flush() == []


def test_body_is_the_users_envelope_and_valid_json() -> None:
    (batch,) = batch_all(Batcher(), [row(1), row(2)])

    assert json.loads(batch.body) == {"users": [{"id": "u1", "pad": ""}, {"id": "u2", "pad": ""}]}
    assert batch.body.startswith(b'{"users":[{')


def test_bytes_limit_starts_a_new_batch_before_the_body_would_be_too_large() -> None:
    # Given rows of 100 bytes each and a 350-byte limit: 12 bytes of envelope + 3 x 100 + 2 commas = 314
    rows = [row(n, size=100 - len(row(n).data)) for n in range(1, 8)]
    assert {len(r.data) for r in rows} == {100}

    # When batched
    batches = batch_all(Batcher(max_rows=1000, max_bytes=350), rows)

    # Then each body holds three rows at most, and never exceeds the limit
    assert [b.rows for b in batches] == [3, 3, 1]
    assert [len(b.body) for b in batches] == [314, 314, 112]


def test_a_body_of_exactly_max_bytes_is_allowed() -> None:
    rows = [row(n, size=100 - len(row(n).data)) for n in range(1, 4)]

    batches = batch_all(Batcher(max_bytes=314), rows)

    assert [len(b.body) for b in batches] == [314]


def test_default_bytes_limit_is_five_million() -> None:
    # Given rows of ~1.3 MB: four of them do not fit in 5,000,000 bytes, three do
    rows = [row(n, size=1_300_000) for n in range(1, 6)]

    batches = batch_all(Batcher(), rows)

    assert [b.rows for b in batches] == [3, 2]
    assert all(len(b.body) <= MAX_BODY_BYTES for b in batches)


@pytest.mark.parametrize("size", [0, 1001])
def test_batch_size_outside_1_to_1000_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 1000"):
        Batcher(max_rows=size)


def test_line_runs_map_request_index_to_file_line_across_gaps() -> None:
    # Given rows on lines 1-3, then 5 (line 4 was blank), then 9-10 (5-8 rejected locally)
    lines = LineRuns()
    for line in (1, 2, 3, 5, 9, 10):
        lines.append(line)

    # Then the runs are compact, and every index maps back to its line
    assert lines.runs == [[1, 3], [5, 1], [9, 2]]
    assert [lines.line_at(i) for i in range(6)] == [1, 2, 3, 5, 9, 10]
    assert lines.line_at(6) is None
    assert lines.line_at(-1) is None
    assert (len(lines), lines.first, lines.last) == (6, 1, 10)
    assert list(LineRuns(lines.runs)) == [1, 2, 3, 5, 9, 10]
