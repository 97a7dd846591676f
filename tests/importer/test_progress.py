"""The progress line: what it shows, redrawn in place on a terminal, a plain line now and then otherwise."""

from __future__ import annotations

import io

from importer.progress import Progress, Snapshot, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


SNAPSHOT = Snapshot(
    read=2_000, skipped=0, sent=1_500, written=1_000, rejected=3, elapsed=3.0, fraction=0.4, eta=75, rate=500
)


def test_snapshot_shows_counts_rate_share_and_eta() -> None:
    assert SNAPSHOT.render() == ("read 2,000 | sent 1,500 | written 1,000 | rejected 3 | 500 rows/s | 40% | ETA 1:15")


def test_snapshot_mentions_skipped_rows_and_operations_still_running() -> None:
    snapshot = Snapshot(read=10, skipped=7, sent=3, written=3, rejected=0, elapsed=0.0, waiting=2)

    assert snapshot.render() == (
        "read 10 | skipped 7 (done before) | sent 3 | written 3 | rejected 0 | waiting for 2 operations"
    )


def test_snapshot_shows_no_rate_before_anything_is_sent() -> None:
    snapshot = Snapshot(read=5, skipped=5, sent=0, written=5, rejected=0, elapsed=4.0, waiting=1)

    assert (
        snapshot.render()
        == "read 5 | skipped 5 (done before) | sent 0 | written 5 | rejected 0 | waiting for 1 operation"
    )


def test_terminal_redraws_the_line_in_place_and_messages_go_above_it() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, tty=True, clock=clock)

    clock.now += 1
    progress.update(lambda: SNAPSHOT)
    progress.message("users.jsonl:9: expected a JSON object, got a list")
    clock.now += 1
    progress.update(lambda: SNAPSHOT)
    progress.finish()

    line = SNAPSHOT.render()
    assert stream.getvalue() == (
        f"\r\x1b[K{line}\r\x1b[Kusers.jsonl:9: expected a JSON object, got a list\n\r\x1b[K{line}\n"
    )


def test_without_a_terminal_a_plain_line_is_printed_every_few_seconds() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, tty=False, clock=clock)

    for _ in range(12):  # 12 seconds, one update a second
        clock.now += 1
        progress.update(lambda: SNAPSHOT)

    assert stream.getvalue() == f"{SNAPSHOT.render()}\n" * 2


def test_disabled_progress_prints_no_progress_line() -> None:
    stream = io.StringIO()
    progress = Progress(stream, enabled=False, tty=True)

    progress.update(lambda: SNAPSHOT, force=True)

    assert stream.getvalue() == ""


def test_durations() -> None:
    assert [format_duration(s) for s in (0, 59.6, 61, 3_725)] == ["0:00", "1:00", "1:01", "1:02:05"]


def test_finish_without_keeping_wipes_the_line() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True)

    progress.update(lambda: SNAPSHOT, force=True)
    progress.finish(keep=False)

    assert stream.getvalue() == f"\r\x1b[K{SNAPSHOT.render()}\r\x1b[K"
