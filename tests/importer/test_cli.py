"""The command line: help, defaults from the environment, and usage errors (exit code 2)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import importer
from importer.cli import command_name, main
from tests.importer.conftest import users, write_jsonl
from tests.importer.fake_api import API_KEY, FakeRecipientsApi


def test_import_help_lists_the_options_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["import", "--help"])

    text = capsys.readouterr().out
    assert raised.value.code == 0
    for option in (
        "--url", "--key", "--format", "--json-columns", "--batch-size", "--concurrency", "--rejects",
        "--state", "--resume", "--restart", "--force", "--no-wait", "RECIPIENTS_URL", "KNOCK_BASE_URL",
        "RECIPIENTS_API_KEY", "KNOCK_API_KEY", "130 interrupted", "prefs:json",
    ):  # fmt: skip
        assert option in text, option


def test_installed_recipients_command_shows_help() -> None:
    command = shutil.which("recipients", path=str(Path(sys.executable).parent))
    assert command is not None, "run `uv sync`: the recipients entry point is not installed"

    result = subprocess.run([command, "import", "--help"], capture_output=True, text=True, timeout=30, check=False)

    assert result.returncode == 0
    assert result.stdout.startswith("usage: recipients import [-h] [--url URL] [--key KEY]")


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "import" in capsys.readouterr().err


def test_knock_environment_variables_are_used_when_ours_are_not_set(
    tmp_path: Path, fake_api: FakeRecipientsApi, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("KNOCK_BASE_URL", fake_api.url)
    clean_env.setenv("KNOCK_API_KEY", API_KEY)
    source = write_jsonl(tmp_path / "users.jsonl", users(3))

    assert main(["import", str(source), "--quiet", "--poll-interval", "0.01"]) == 0
    assert fake_api.accepted_ids == ["u1", "u2", "u3"]


def test_recipients_variables_win_over_knock_ones(
    tmp_path: Path, fake_api: FakeRecipientsApi, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("RECIPIENTS_URL", fake_api.url)
    clean_env.setenv("KNOCK_BASE_URL", "http://127.0.0.1:9")
    clean_env.setenv("RECIPIENTS_API_KEY", API_KEY)
    clean_env.setenv("KNOCK_API_KEY", "sk_wrong")
    source = write_jsonl(tmp_path / "users.jsonl", users(3))

    assert main(["import", str(source), "--quiet", "--poll-interval", "0.01"]) == 0
    assert len(fake_api.accepted_posts) == 1


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"RECIPIENTS_API_KEY": API_KEY}, [], "no server URL: pass --url or set RECIPIENTS_URL"),
        ({"RECIPIENTS_URL": "http://127.0.0.1:9"}, [], "no API key: set RECIPIENTS_API_KEY or pass --key"),
        (
            {"RECIPIENTS_API_KEY": API_KEY},
            ["--url", "127.0.0.1:3000"],
            "--url '127.0.0.1:3000' is not an http:// or https:// URL",
        ),
        (
            {"RECIPIENTS_URL": "http://127.0.0.1:9", "RECIPIENTS_API_KEY": API_KEY},
            ["--delimiter", "ab"],
            "--delimiter must be one character",
        ),
        (
            {"RECIPIENTS_URL": "http://127.0.0.1:9", "RECIPIENTS_API_KEY": API_KEY},
            ["--json-columns", "prefs"],
            "--json-columns applies to CSV input only",
        ),
    ],
)
def test_missing_or_bad_settings_are_one_line_with_exit_2(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    source = write_jsonl(tmp_path / "users.jsonl", users(1))

    assert main(["import", str(source), *args]) == 2
    assert capsys.readouterr().err == f"recipients import: error: {message}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "1001"], "argument --batch-size: must be between 1 and 1000"),
        (["--concurrency", "0"], "argument --concurrency: must be between 1 and 64"),
        (["--resume", "--restart"], "argument --restart: not allowed with argument --resume"),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
    ],
)
def test_invalid_options_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["import", "users.jsonl", *args])

    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_stdin_needs_a_state_path_to_resume(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    clean_env.setenv("RECIPIENTS_URL", "http://127.0.0.1:9")
    clean_env.setenv("RECIPIENTS_API_KEY", API_KEY)

    assert main(["import", "-", "--format", "jsonl", "--resume"]) == 2
    assert capsys.readouterr().err == (
        "recipients import: error: --resume and --restart need --state when reading stdin\n"
    )


def test_the_command_to_run_again_is_recipients_when_that_is_on_path(tmp_path: Path) -> None:
    installed = tmp_path / "bin" / "recipients"
    installed.parent.mkdir()
    installed.touch()

    assert command_name(str(installed), lambda name: str(installed)) == "recipients"


def test_the_command_to_run_again_is_the_path_it_was_run_by_when_not_on_path(tmp_path: Path) -> None:
    assert command_name(".venv/bin/recipients", lambda name: None) == ".venv/bin/recipients"
    other = tmp_path / "recipients"
    other.touch()
    assert command_name(".venv/bin/recipients", lambda name: str(other)) == ".venv/bin/recipients"


def test_the_command_to_run_again_after_python_m_importer_is_that(tmp_path: Path) -> None:
    main_module = str(Path(importer.__file__).with_name("__main__.py"))

    assert command_name(main_module, lambda name: None) == f"{sys.executable} -m importer"
