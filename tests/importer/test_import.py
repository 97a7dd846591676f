"""`recipients import` end to end against the stand-in API: batches, counts, rejects, exit codes."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from importer.cli import main
from importer.state import ImportState
from tests.importer.conftest import CliResult, read_jsonl, users, write_jsonl
from tests.importer.fake_api import API_KEY, FakeRecipientsApi

RunCli = Callable[..., CliResult]


def test_2500_rows_are_sent_in_batches_of_1000_1000_500_and_counted(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    # Given a JSONL file of 2,500 users
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))

    # When it is imported
    result = run_cli(str(source))

    # Then three batches were sent, every row once, and the summary adds up
    assert result.code == 0, result.err
    batches = sorted((post.users[0]["id"], post.users[-1]["id"], len(post.users)) for post in fake_api.accepted_posts)
    assert batches == [("u1", "u1000", 1000), ("u1001", "u2000", 1000), ("u2001", "u2500", 500)]
    assert Counter(fake_api.accepted_ids) == Counter(f"u{n}" for n in range(1, 2501))
    assert {"id": "u1", "name": "User 1", "plan": "pro"} in fake_api.accepted_posts[0].users + fake_api.accepted_posts[
        1
    ].users + fake_api.accepted_posts[2].users
    assert result.out.startswith(f"{source}: 2,500 rows | 2,500 written | 0 rejected | 0 operations failed | ")
    # every operation was followed to the end, and the state says so
    state = ImportState.load(Path(f"{source}.import-state.json"))
    assert state.complete
    assert [(r.first_line, r.last_line, r.finished, r.success_count) for r in state.batches.values()] == [
        (1, 1000, True, 1000),
        (1001, 2000, True, 1000),
        (2001, 2500, True, 500),
    ]
    assert not Path(f"{source}.rejects.jsonl").exists()
    # one Idempotency-Key per batch, all different
    assert len({post.idempotency_key for post in fake_api.posts}) == 3


def test_progress_line_is_printed_on_stderr(tmp_path: Path, run_cli: RunCli) -> None:
    source = write_jsonl(tmp_path / "users.jsonl", users(10))

    result = run_cli(str(source))

    assert "read 10 | sent 10 | written 10 | rejected 0" in result.err
    assert "100%" in result.err


def test_503_is_retried_and_the_import_completes(tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli) -> None:
    fake_api.post_failures.append((503, {"message": "Service Unavailable"}, {"Retry-After": "0"}))
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))

    result = run_cli(str(source), "--concurrency", "1")

    assert result.code == 0, result.err
    assert "HTTP 503: Service Unavailable; retrying in 0.0 s" in result.err
    assert [len(post.users) for post in fake_api.posts] == [1000, 1000, 1000, 500]
    assert fake_api.posts[0].idempotency_key == fake_api.posts[1].idempotency_key
    assert Counter(fake_api.accepted_ids) == Counter(f"u{n}" for n in range(1, 2501))


def test_rejects_file_maps_server_index_to_the_file_line(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    # Given a file with a blank line, rows the server refuses (#, /), a row that fails while being
    # written, and lines that cannot be sent at all
    lines = [
        '{"id": "u1"}',  # 1
        '{"id": "bad#1"}',  # 2  server: validation
        "",  # 3  blank
        '{"id": "u4" "oops": 1}',  # 4  local: not JSON
        '{"id": "u5"}',  # 5
        '["u6"]',  # 6  local: not an object
        '{"id": "a/b"}',  # 7  server: validation
        '{"id": "w8"}',  # 8  server: fails while written
        '{"id": "u9"}',  # 9
    ]
    source = tmp_path / "users.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fake_api.write_failures.add("w8")

    # When imported in batches of 3
    result = run_cli(str(source), "--batch-size", "3")

    # Then every rejected row is listed once, with its line in the file and the reason
    assert result.code == 1
    rejects = sorted(read_jsonl(Path(f"{source}.rejects.jsonl")), key=lambda r: r["line"])
    assert rejects == [
        {
            "line": 2,
            "id": "bad#1",
            "reason": "id: must not contain '#'",
            "errors": [{"field": "id", "message": "must not contain '#'"}],
            "row": '{"id":"bad#1"}',  # as sent
        },
        {
            "line": 4,
            "id": None,
            "reason": "not valid JSON: Expecting ',' delimiter (column 13)",
            "errors": [],
            "row": '{"id": "u4" "oops": 1}',  # as read
        },
        {"line": 6, "id": None, "reason": "expected a JSON object, got a list", "errors": [], "row": '["u6"]'},
        {
            "line": 7,
            "id": "a/b",
            "reason": "id: must not contain '/'",
            "errors": [{"field": "id", "message": "must not contain '/'"}],
            "row": '{"id":"a/b"}',
        },
        {
            "line": 8,
            "id": "w8",
            "reason": "write failed: simulated",
            "errors": [{"field": "write failed", "message": "simulated"}],
            "row": None,  # rejected while being written, long after its batch was sent
        },
    ]
    # the batches were lines 1-5 (u1, bad#1, u5) and 7-9 (a/b, w8, u9)
    assert sorted([user["id"] for user in post.users] for post in fake_api.accepted_posts) == [
        ["a/b", "w8", "u9"],
        ["u1", "bad#1", "u5"],
    ]
    assert f"{source}:4: not valid JSON: Expecting ',' delimiter (column 13)" in result.err
    assert f"{source}:6: expected a JSON object, got a list" in result.err
    assert result.out.splitlines() == [
        result.out.splitlines()[0],
        f"rejected rows (2 locally, 3 by the server): {source}.rejects.jsonl",
    ]
    assert result.out.startswith(f"{source}: 8 rows | 3 written | 5 rejected | 0 operations failed | ")


def test_csv_import_sends_properties_and_json_cells(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    source = tmp_path / "users.csv"
    source.write_text(
        'id,name,email,prefs:json,score\nu1,Ada,ada@example.com,"{""theme"":""dark""}",7\nu2,Bob,,,\n',
        encoding="utf-8",
    )

    result = run_cli(str(source), "--json-columns", "score")

    assert result.code == 0, result.err
    assert fake_api.accepted_posts[0].users == [
        {"id": "u1", "name": "Ada", "email": "ada@example.com", "prefs": {"theme": "dark"}, "score": 7},
        {"id": "u2", "name": "Bob"},
    ]


def test_csv_without_id_column_fails_before_sending(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    source = tmp_path / "users.csv"
    source.write_text("name,email\nAda,ada@example.com\n", encoding="utf-8")

    result = run_cli(str(source))

    assert result.code == 2
    assert result.err == f"recipients import: error: {source}:1: no id column in the header (columns: name, email)\n"
    assert fake_api.posts == []
    assert not Path(f"{source}.import-state.json").exists()


def test_unauthorized_key_fails_fast_with_exit_2_and_never_prints_the_key(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPIENTS_API_KEY", "sk_not_the_right_one")
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))

    result = run_cli(str(source), "--concurrency", "1")

    assert result.code == 2
    assert result.err.splitlines()[-1] == (
        "recipients import: error: batch 1 (lines 1-1000): HTTP 401: Unauthorized. "
        "The server refused the API key: check --key or RECIPIENTS_API_KEY"
    )
    assert "sk_not_the_right_one" not in result.err + result.out
    assert "Traceback" not in result.err
    assert fake_api.accepted_posts == []


def test_batch_refused_with_422_stops_with_its_status_and_message(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    # Given the server refuses the second batch as a whole
    body = {"code": "invalid_params", "message": "users: too large", "status": 422, "type": "api_error"}
    fake_api.answers[2] = (422, body, {})
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))

    # When imported one request at a time
    result = run_cli(str(source), "--concurrency", "1")

    # Then it stops at that batch, says why, and keeps batch 1 for --resume
    assert result.code == 2
    assert (
        "recipients import: error: batch 2 (lines 1001-2000): HTTP 422 invalid_params: users: too large"
        in result.err.splitlines()
    )
    assert f"saved in {source}.import-state.json; once the problem is fixed, continue with --resume" in result.err
    assert [len(post.users) for post in fake_api.accepted_posts] == [1000]
    assert sorted(ImportState.load(Path(f"{source}.import-state.json")).batches) == [1]


def test_failed_operation_gives_exit_1(tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli) -> None:
    fake_api.failed_batches.add(2)
    source = write_jsonl(tmp_path / "users.jsonl", users(2500))

    result = run_cli(str(source), "--concurrency", "1")

    assert result.code == 1
    assert "| 1 operations failed |" in result.out
    assert "batch 2 (lines 1001-2000): operation" in result.err
    assert "failed (1,000 written, 0 rejected of 1,000 rows)" in result.err


def test_truncated_error_items_are_counted_and_reported(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    fake_api.error_items_limit = 2
    source = write_jsonl(tmp_path / "users.jsonl", [{"id": f"bad#{n}"} for n in range(5)])

    result = run_cli(str(source))

    assert result.code == 1
    assert "| 5 rejected |" in result.out
    assert len(read_jsonl(Path(f"{source}.rejects.jsonl"))) == 2
    assert "the server rejected 5 rows but listed 2; the other 3 are not in the rejects file" in result.err


def test_no_wait_leaves_operations_running_and_resume_follows_them(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    # Given operations that only complete when asked twice, and an import that does not wait
    fake_api.complete_on_get = 2
    source = write_jsonl(tmp_path / "users.jsonl", [*users(3), {"id": "x#1"}])

    first = run_cli(str(source), "--no-wait", "--concurrency", "1")

    # Then it ends once the batch is accepted, with the rejects known so far
    assert first.code == 1
    assert "1 operations still running on the server; run again with --resume to wait for them" in first.out
    assert [r["id"] for r in read_jsonl(Path(f"{source}.rejects.jsonl"))] == ["x#1"]

    # When resumed, nothing is sent again and the operation is followed to the end
    second = run_cli(str(source), "--resume")

    assert second.code == 1, second.err
    assert len(fake_api.posts) == 1
    assert second.out.startswith(f"{source}: 4 rows | 3 written | 1 rejected | 0 operations failed")
    assert [r["id"] for r in read_jsonl(Path(f"{source}.rejects.jsonl"))] == ["x#1"]


def test_stdin_needs_format_and_writes_rejects_in_the_working_directory(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = b'{"id": "u1"}\nnot json\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    result = run_cli("-", "--format", "jsonl")

    assert result.code == 1, result.err
    assert fake_api.accepted_ids == ["u1"]
    assert read_jsonl(tmp_path / "recipients-import.rejects.jsonl")[0]["line"] == 2
    assert "stdin:2: not valid JSON: Expecting value (column 1)" in result.err


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "recipients import: error: cannot open {path}: No such file or directory"),
        ("directory", "recipients import: error: cannot open {path}: Is a directory"),
        ("unknown-format", "recipients import: error: {path}: cannot tell the format from the extension; "),
    ],
)
def test_input_problems_are_one_line_on_stderr_with_exit_2(
    tmp_path: Path, run_cli: RunCli, fake_api: FakeRecipientsApi, setup: str, expected: str
) -> None:
    path = tmp_path / ("users.txt" if setup == "unknown-format" else "users.jsonl")
    if setup == "directory":
        path.mkdir()
    elif setup == "unknown-format":
        path.write_text("{}\n", encoding="utf-8")

    result = run_cli(str(path))

    assert result.code == 2
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith(expected.format(path=path))
    assert fake_api.posts == []


def test_unreachable_url_is_one_line_on_stderr_with_exit_2(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setattr("importer.client.RecipientsClient._backoff", lambda self, attempt: 0.0)
    clean_env.setenv("RECIPIENTS_API_KEY", API_KEY)
    source = write_jsonl(tmp_path / "users.jsonl", users(3))

    code = main(["import", str(source), "--url", "http://127.0.0.1:9"])

    assert code == 2
    assert capsys.readouterr().err == (
        "recipients import: error: batch 1 (lines 1-3): cannot reach http://127.0.0.1:9: Connection refused\n"
    )


def test_rejected_rows_do_not_stop_the_import_and_give_exit_1(
    tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli
) -> None:
    rows = [json.dumps(user) for user in users(1500)]
    rows[99] = "{broken"
    source = tmp_path / "users.jsonl"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")

    result = run_cli(str(source))

    assert result.code == 1
    assert len(fake_api.accepted_ids) == 1499
    assert "u100" not in fake_api.accepted_ids
    assert read_jsonl(Path(f"{source}.rejects.jsonl"))[0]["line"] == 100


def test_only_the_first_ten_bad_lines_are_printed(tmp_path: Path, run_cli: RunCli) -> None:
    source = tmp_path / "users.jsonl"
    source.write_text('{"id": "u1"}\n' + "[]\n" * 15, encoding="utf-8")

    result = run_cli(str(source))

    printed = [line for line in result.err.splitlines() if line.startswith(f"{source}:")]
    assert printed == [f"{source}:{n}: expected a JSON object, got a list" for n in range(2, 12)]
    assert f"... more rejected rows are listed in {source}.rejects.jsonl" in result.err
    assert len(read_jsonl(Path(f"{source}.rejects.jsonl"))) == 15


def test_named_pipe_is_read_from_its_first_line(tmp_path: Path, fake_api: FakeRecipientsApi, run_cli: RunCli) -> None:
    pipe = tmp_path / "users.jsonl"
    os.mkfifo(pipe)

    def feed() -> None:
        with pipe.open("w", encoding="utf-8") as file:
            file.write("".join(json.dumps(user) + "\n" for user in users(3)))

    writer = threading.Thread(target=feed)
    writer.start()
    result = run_cli(str(pipe))
    writer.join(5)

    assert result.code == 0, result.err
    assert fake_api.accepted_ids == ["u1", "u2", "u3"]
