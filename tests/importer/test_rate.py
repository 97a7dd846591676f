"""The rate and ETA the progress line shows: over the last seconds, so a pause does not drag them down for good."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest

from importer.client import RecipientsClient
from importer.progress import Progress
from importer.rate import WINDOW, RateWindow
from importer.runner import Importer, Options
from importer.state import Fingerprint, ImportState
from tests.importer.conftest import users, write_jsonl
from tests.importer.fake_api import API_KEY, FakeRecipientsApi


def test_a_steady_import_shows_a_steady_rate_not_one_falling_each_second() -> None:
    # Given 600 rows done each second for a minute (the issue saw 599, 299, 198 rows/s)
    window = RateWindow()
    rates = []
    for tick in range(0, 241):
        window.add(tick / 4, 150 * tick)
        rates.append(window.rate())

    # Then once there is a second of history, every rate is 600 rows/s
    assert rates[:4] == [None] * 4
    assert {round(rate) for rate in rates[4:] if rate is not None} == {600}


def test_after_a_pause_the_rate_recovers_within_the_window() -> None:
    window = RateWindow()
    now, done = 0.0, 0
    for _ in range(40):  # 10 s at 400 rows/s
        now, done = now + 0.25, done + 100
        window.add(now, done)
    for _ in range(40):  # 10 s waiting for the server: nothing done
        now += 0.25
        window.add(now, done)
    assert window.rate() == pytest.approx(200, rel=0.05)  # half the window was idle
    for _ in range(int(WINDOW * 4) + 1):  # the window's length at 400 rows/s again
        now, done = now + 0.25, done + 100
        window.add(now, done)

    assert window.rate() == pytest.approx(400)


def test_eta_is_what_is_left_at_the_current_rate() -> None:
    window = RateWindow()
    window.add(0.0, 0)
    window.add(2.0, 1_000)  # 500 rows/s

    assert window.eta(30_000) == pytest.approx(60)
    assert window.eta(None) is None  # nothing known about what is left
    assert RateWindow().eta(30_000) is None  # no rate yet


def test_samples_closer_than_a_quarter_second_keep_the_newest_count() -> None:
    window = RateWindow()
    window.add(0.0, 0)
    window.add(1.0, 100)
    window.add(1.1, 150)

    assert window.rate() == pytest.approx(150)


def test_written_moves_as_the_server_finishes_chunks_not_once_per_operation(
    tmp_path: Path, fake_api: FakeRecipientsApi
) -> None:
    # Given one 1,000-row operation the server writes 100 rows at a time
    fake_api.chunk_rows = 100
    source = write_jsonl(tmp_path / "users.jsonl", users(1000))
    options = Options(
        url=fake_api.url,
        source=str(source),
        name=str(source),
        rejects_path=tmp_path / "rejects.jsonl",
        state_path=tmp_path / "state.json",
        poll_interval=0.01,
        total_bytes=source.stat().st_size,
    )
    state = ImportState(input=Fingerprint.of(str(source)), format="jsonl", url=fake_api.url)
    stream = io.StringIO()
    progress = Progress(stream, tty=False, interval=0)  # a line at every update
    client = RecipientsClient(fake_api.url, API_KEY)

    summary = Importer(options, client, state, resumed=False, stop=threading.Event(), progress=progress).run()

    # Then the progress line showed each chunk written as it was
    shown = sorted({int(n.replace(",", "")) for n in re.findall(r"written ([\d,]+)", stream.getvalue())})
    assert shown == list(range(0, 1001, 100))
    assert summary.written == 1000
