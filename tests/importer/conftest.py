"""Fixtures for the importer's tests: the stand-in API, a clean environment, and a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from importer.cli import main
from tests.importer.fake_api import API_KEY, FakeRecipientsApi

ENV_VARIABLES = ("RECIPIENTS_URL", "KNOCK_BASE_URL", "RECIPIENTS_API_KEY", "KNOCK_API_KEY")


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def fake_api() -> Iterator[FakeRecipientsApi]:
    api = FakeRecipientsApi().start()
    yield api
    api.stop()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def run_cli(
    fake_api: FakeRecipientsApi, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliResult]:
    """`recipients import ARGS --url <stand-in>` in this process, with the stand-in's key in the environment."""
    clean_env.setenv("RECIPIENTS_API_KEY", API_KEY)

    def run(*args: str) -> CliResult:
        code = main(["import", *args, "--url", fake_api.url, "--poll-interval", "0.01"])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


def write_jsonl(path: Path, rows: Iterable[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def users(count: int, prefix: str = "u") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{n}", "name": f"User {n}", "plan": "pro"} for n in range(1, count + 1)]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
