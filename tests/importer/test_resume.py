"""Interrupting and resuming: Ctrl-C, a crash, a changed file, and the state file's guard rails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from importer.cli import main
from importer.state import ImportState
from tests.importer.conftest import CliResult, read_jsonl, users, write_jsonl
from tests.importer.fake_api import API_KEY, FakeRecipientsApi

RunCli = Callable[..., CliResult]
REPO_ROOT = Path(__file__).resolve().parents[2]
ALL_IDS = Counter(f"u{n}" for n in range(1, 2501))


def file_with_two_bad_lines(tmp_path: Path) -> Path:
    """2,500 users on 2,502 lines; lines 5 and 2300 are not JSON. Batches: lines 1-1001, 1002-2001, 2002-2502."""
    lines = [json.dumps(user) for user in users(2500)]
    lines.insert(4, "{oops")
    lines.insert(2299, "{oops")
    source = tmp_path / "users.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return source


def start_import(source: Path, url: str, *options: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "importer", "import", str(source), "--url", url]
    command += ["--concurrency", "1", "--poll-interval", "0.01", *options]
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, "RECIPIENTS_API_KEY": API_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ctrl_c_then_resume_sends_every_row_exactly_once(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    # Given Ctrl-C arrives while batch 2 is in flight
    source = file_with_two_bad_lines(tmp_path)

    def press_ctrl_c(number: int) -> None:
        if number == 2:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # the answer comes after the signal is handled

    fake_api.on_post = press_ctrl_c  # type: ignore[assignment]

    # When the import runs, it lets batch 2 finish, sends nothing more and exits 130
    first = run_cli(str(source), "--concurrency", "1")

    assert first.code == 130
    assert "interrupted: taking in the answers already on their way, then stopping" in first.err
    assert f"Resume with: recipients import {source} --resume" in first.err
    assert [post.users[0]["id"] for post in fake_api.posts] == ["u1", "u1001"]
    assert sorted(ImportState.load(Path(f"{source}.import-state.json")).batches) == [1, 2]

    # When it is resumed
    fake_api.on_post = None
    second = run_cli(str(source), "--resume")

    # Then only the third batch is sent, and the server got every row exactly once
    assert second.code == 1, second.err  # the two bad lines
    assert [len(post.users) for post in fake_api.posts] == [1000, 1000, 500]
    assert Counter(fake_api.accepted_ids) == ALL_IDS
    assert second.out.splitlines()[0].startswith(f"{source}: 2,502 rows | 2,500 written | 2 rejected | ")
    assert "resumed: 2,000 rows were already sent by an earlier run and were skipped" in second.out
    # and each bad line is in the rejects file once, though line 2300 was read by both runs
    assert [reject["line"] for reject in read_jsonl(Path(f"{source}.rejects.jsonl"))] == [5, 2300]
    assert ImportState.load(Path(f"{source}.import-state.json")).complete


def test_ctrl_c_in_a_real_process_exits_130_and_says_how_to_resume(tmp_path: Path, fake_api: FakeRecipientsApi) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))
    arrived, release = threading.Event(), threading.Event()

    def hold_second(number: int) -> None:
        if number == 2:
            arrived.set()
            release.wait(10)

    fake_api.on_post = hold_second  # type: ignore[assignment]
    process = start_import(source, fake_api.url)
    try:
        assert arrived.wait(10)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)  # let the importer take in the signal before batch 2 is answered
    finally:
        release.set()
    out, err = process.communicate(timeout=20)

    assert process.returncode == 130, err
    # run as python -m importer (no recipients on PATH): the hint names that, so it can be pasted as it is
    assert f"Resume with: {sys.executable} -m importer import {source} --resume" in err
    assert "Traceback" not in err
    assert len(fake_api.accepted_posts) == 2
    assert sorted(ImportState.load(Path(f"{source}.import-state.json")).batches) == [1, 2]


def test_crash_then_resume_skips_accepted_batches_and_resends_the_lost_one(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    # Given the importer is killed while batch 2 is in flight, and the server never accepts that request
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))
    arrived, release = threading.Event(), threading.Event()

    def hold_then_drop(number: int) -> str | None:
        if number != 2:
            return None
        arrived.set()
        release.wait(10)
        return "drop"

    fake_api.on_post = hold_then_drop
    process = start_import(source, fake_api.url)
    try:
        assert arrived.wait(10)
        process.kill()
        process.communicate(timeout=10)
    finally:
        release.set()
    fake_api.on_post = None
    assert sorted(ImportState.load(Path(f"{source}.import-state.json")).batches) == [1]

    # When it is resumed
    result = run_cli(str(source), "--resume", "--concurrency", "1")

    # Then batch 1 is not sent again; batch 2 is sent again with the same Idempotency-Key, then batch 3
    assert result.code == 0, result.err
    assert [(post.users[0]["id"], post.accepted) for post in fake_api.posts] == [
        ("u1", True),
        ("u1001", False),
        ("u1001", True),
        ("u2001", True),
    ]
    assert fake_api.posts[1].idempotency_key == fake_api.posts[2].idempotency_key
    assert Counter(fake_api.accepted_ids) == ALL_IDS


def test_unfinished_state_without_resume_stops_and_suggests_resume_or_restart(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    fake_api.complete_on_get = 100
    source = write_jsonl(tmp_path / "users.jsonl", users(3))
    assert run_cli(str(source), "--no-wait").code == 0

    again = run_cli(str(source))

    assert again.code == 2
    assert again.err == (
        "recipients import: error: an import of this file was started before (1 batches accepted, "
        f"state in {source}.import-state.json). Use --resume to continue it, or --restart to import the whole "
        "file again\n"
    )
    assert len(fake_api.posts) == 1


def test_the_same_command_after_a_finished_import_says_so_with_its_summary_and_exits_0(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", [*users(3), {"id": "x#1"}])
    first = run_cli(str(source))
    assert first.code == 1  # x#1 was rejected

    again = run_cli(str(source))

    assert again.code == 0
    assert again.out == first.out  # the summary of the run that finished it
    state = ImportState.load(Path(f"{source}.import-state.json"))
    assert again.err == (
        f"recipients import: {source} was imported before (finished {state.updated_at}, state in "
        f"{source}.import-state.json); nothing to do. To import it again: recipients import {source} --restart\n"
    )
    assert len(fake_api.posts) == 1


def test_a_finished_import_of_a_file_changed_since_is_not_taken_for_done(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", users(3))
    run_cli(str(source))
    with source.open("a", encoding="utf-8") as file:
        file.write(json.dumps({"id": "u4"}) + "\n")

    again = run_cli(str(source))

    assert again.code == 2
    assert "an import of this file finished before (1 batches accepted" in again.err
    assert ", and the file changed since (size " in again.err
    assert len(fake_api.posts) == 1


def test_resume_remembers_the_url_and_never_saves_the_key(
    tmp_path: Path, fake_api: FakeRecipientsApi, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an import stopped after its first batch, started with --url and --key
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))
    fake_api.on_post = lambda number: os.kill(os.getpid(), signal.SIGINT) if number == 1 else None  # type: ignore
    base = ["import", str(source), "--concurrency", "1", "--poll-interval", "0.01"]
    assert main([*base, "--url", fake_api.url, "--key", API_KEY]) == 130
    stopped = capsys.readouterr()
    assert f"Resume with: recipients import {source} --resume (with the same --key; the URL is in the state file)" in (
        stopped.err
    )
    state_text = Path(f"{source}.import-state.json").read_text(encoding="utf-8")
    assert API_KEY not in state_text
    assert json.loads(state_text)["url"] == fake_api.url

    # When resumed with the key in the environment and no URL anywhere
    fake_api.on_post = None
    clean_env.setenv("RECIPIENTS_API_KEY", API_KEY)
    assert main([*base, "--resume"]) == 0, capsys.readouterr().err

    # Then it went on against the same server
    assert Counter(fake_api.accepted_ids) == ALL_IDS


def test_ctrl_c_exits_within_two_seconds_though_the_server_is_slow(tmp_path: Path, fake_api: FakeRecipientsApi) -> None:
    # Given a server that takes 10 s to answer each batch
    source = write_jsonl(tmp_path / "users.jsonl", users(500))
    arrived, release = threading.Event(), threading.Event()

    def slow(number: int) -> None:
        arrived.set()
        release.wait(10)

    fake_api.on_post = slow  # type: ignore[assignment]
    process = start_import(source, fake_api.url, "--batch-size", "50")
    try:
        assert arrived.wait(10)
        time.sleep(0.2)
        pressed = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        took = time.monotonic() - pressed
    finally:
        release.set()

    # Then it is gone within 2 s, saying the batch it left is sent again by --resume
    assert process.returncode == 130, err
    assert took < 2.0, f"{took:.2f} s"
    print(f"exited {took:.2f} s after SIGINT")
    assert "1 batch not answered yet; --resume sends it again (the server will not write a row twice)" in err
    assert "Traceback" not in err


def test_resume_of_a_finished_import_sends_nothing_and_repeats_the_summary(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", users(3))
    run_cli(str(source))

    result = run_cli(str(source), "--resume")

    assert result.code == 0
    assert len(fake_api.posts) == 1
    assert result.out.startswith(f"{source}: 3 rows | 3 written | 0 rejected | 0 operations failed")
    assert "rows/s" not in result.out.splitlines()[0]  # it sent nothing: no rate of 0 rows/s


def test_resume_refuses_a_changed_file_and_force_sends_only_the_new_rows(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    # Given a finished import, and a row appended to the file afterwards
    source = write_jsonl(tmp_path / "users.jsonl", users(3))
    run_cli(str(source))
    with source.open("a", encoding="utf-8") as file:
        file.write(json.dumps({"id": "u4"}) + "\n")

    # Then --resume refuses
    refused = run_cli(str(source), "--resume")
    assert refused.code == 2
    assert refused.err.startswith("recipients import: error: --resume: the input changed since the import started (")
    assert refused.err.rstrip().endswith("Use --force to resume anyway, or --restart to import it again from the start")
    assert len(fake_api.posts) == 1

    # And --resume --force sends just the new line
    forced = run_cli(str(source), "--resume", "--force")
    assert forced.code == 0, forced.err
    assert [[user["id"] for user in post.users] for post in fake_api.posts] == [["u1", "u2", "u3"], ["u4"]]


def test_restart_imports_everything_again_with_a_fresh_rejects_file(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", [*users(2), {"id": "x#1"}])
    run_cli(str(source))

    result = run_cli(str(source), "--restart")

    assert result.code == 1
    assert [len(post.users) for post in fake_api.posts] == [3, 3]
    assert fake_api.posts[0].idempotency_key != fake_api.posts[1].idempotency_key
    assert [reject["id"] for reject in read_jsonl(Path(f"{source}.rejects.jsonl"))] == ["x#1"]


def test_resume_without_state_file_is_an_error(tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", users(3))

    result = run_cli(str(source), "--resume")

    assert result.code == 2
    assert result.err == (
        f"recipients import: error: --resume: no state file at {source}.import-state.json; "
        "run without --resume to start the import\n"
    )
    assert fake_api.posts == []


@pytest.mark.parametrize("option", ["--state", "--rejects"])
def test_state_and_rejects_paths_can_be_chosen(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli, option: str
) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", [{"id": "x#1"}])
    chosen = tmp_path / "elsewhere.json"

    result = run_cli(str(source), option, str(chosen))

    assert result.code == 1
    assert chosen.exists()
    if option == "--state":
        assert ImportState.load(chosen).complete
    else:
        assert read_jsonl(chosen)[0]["id"] == "x#1"
