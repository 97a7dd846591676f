"""The state file: round trip, atomic writes, accepted lines, and refusing unsafe resumes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from importer.errors import ImportFailed
from importer.state import AcceptedLines, BatchRecord, Fingerprint, ImportState, load_for_run


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.jsonl"
    path.write_text('{"id": "u1"}\n{"id": "u2"}\n', encoding="utf-8")
    return path


def state_for(path: Path) -> ImportState:
    state = ImportState(input=Fingerprint.of(str(path)), format="jsonl")
    state.batches[1] = BatchRecord(1, 1, 1000, 1000, [[1, 1000]], "op-1", "completed", True, 998, 2)
    state.batches[2] = BatchRecord(2, 1001, 2003, 1000, [[1001, 500], [1504, 500]], "op-2", reported=[3, "id:x"])
    state.local_rejected, state.read_through_line = 3, 2003
    return state


def test_state_round_trips_through_the_file(input_file: Path, tmp_path: Path) -> None:
    state = state_for(input_file)
    path = tmp_path / "state.json"

    state.save(path)
    loaded = ImportState.load(path)

    assert loaded.batches == state.batches
    assert loaded.input == state.input
    assert (loaded.run_id, loaded.local_rejected, loaded.read_through_line) == (state.run_id, 3, 2003)
    assert loaded.batches[2].line_runs().line_at(500) == 1504


def test_save_replaces_the_file_and_leaves_no_temp_file(input_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("old", encoding="utf-8")

    state_for(input_file).save(path)

    assert ImportState.load(path).batches[1].operation_id == "op-1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "users.jsonl"]


def test_not_a_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 99}', encoding="utf-8")

    with pytest.raises(ImportFailed, match="is not a state file of this importer .*; use --restart"):
        ImportState.load(path)


def test_accepted_lines_skip_only_lines_inside_accepted_batches() -> None:
    accepted = AcceptedLines([(1, 1000), (2001, 3000)])

    assert [line in accepted for line in (1, 1000, 1001, 2000, 2001, 3000, 3001)] == [
        True,
        True,
        False,
        False,
        True,
        True,
        False,
    ]


def test_fingerprint_notices_size_mtime_and_first_line_changes(input_file: Path) -> None:
    before = Fingerprint.of(str(input_file))
    assert before.size == 26 and before.mtime_ns is not None

    # same size, same first line, other mtime
    os.utime(input_file, ns=(before.mtime_ns, before.mtime_ns + 10**9))
    assert Fingerprint.of(str(input_file)).changes_from(before) == ["modification time changed"]

    # appended rows
    with input_file.open("a", encoding="utf-8") as file:
        file.write('{"id": "u3"}\n')
    assert Fingerprint.of(str(input_file)).changes_from(before)[0] == "size 26 -> 39 bytes"

    # first line edited, size kept
    input_file.write_text('{"id": "u9"}\n{"id": "u2"}\n', encoding="utf-8")
    os.utime(input_file, ns=(before.mtime_ns, before.mtime_ns))
    assert Fingerprint.of(str(input_file)).changes_from(before) == ["first line changed"]


def test_without_resume_an_existing_state_stops_the_import(input_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state_for(input_file).save(path)

    with pytest.raises(ImportFailed, match="Use --resume to continue it, or --restart"):
        load_for_run(path, Fingerprint.of(str(input_file)), resume=False, restart=False, force=False)


def test_resume_returns_the_saved_state(input_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state_for(input_file).save(path)

    state = load_for_run(path, Fingerprint.of(str(input_file)), resume=True, restart=False, force=False)

    assert state is not None
    assert sorted(state.batches) == [1, 2]


def test_resume_refuses_a_changed_file_unless_forced(input_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state_for(input_file).save(path)
    with input_file.open("a", encoding="utf-8") as file:
        file.write('{"id": "u3"}\n')
    now = Fingerprint.of(str(input_file))

    with pytest.raises(ImportFailed, match=r"the input changed since the import started \(size 26 -> 39 bytes"):
        load_for_run(path, now, resume=True, restart=False, force=False)
    assert load_for_run(path, now, resume=True, restart=False, force=True) is not None


def test_resume_without_a_state_file_says_there_is_nothing_to_resume(input_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="--resume: no state file at"):
        load_for_run(tmp_path / "none.json", Fingerprint.of(str(input_file)), resume=True, restart=False, force=False)


def test_restart_ignores_the_state_file(input_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state_for(input_file).save(path)

    assert load_for_run(path, Fingerprint.of(str(input_file)), resume=False, restart=True, force=False) is None


def test_state_of_another_input_is_not_resumed(input_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state_for(input_file).save(path)
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "u1"}\n', encoding="utf-8")

    with pytest.raises(ImportFailed, match=f"belongs to an import of {input_file}; choose another file with --state"):
        load_for_run(path, Fingerprint.of(str(other)), resume=True, restart=False, force=False)
