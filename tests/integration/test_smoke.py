"""`make smoke` (python -m smoke) against the API the integration tests run on: it passes, quickly,
cleans up, and when something is wrong it says what and exits 1, never printing the key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.local_api import ApiTarget

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_smoke(*arguments: str, key: str | None) -> tuple[subprocess.CompletedProcess[str], float]:
    environment = {name: value for name, value in os.environ.items() if name != "RECIPIENTS_API_KEY"}
    if key is not None:
        environment["RECIPIENTS_API_KEY"] = key
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "smoke", *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result, time.monotonic() - started


def test_smoke_passes_within_its_own_budget_and_leaves_no_user(api: ApiTarget, http: httpx.Client) -> None:
    # When the smoke test runs against the API with its key
    result, seconds = run_smoke(api.url, key=api.api_key)

    # Then every check passed, one line each, within the run's own time budget (it fails a check that
    # overruns it; how long it took is printed, not asserted: this machine is shared)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    checks = [line for line in lines if line.startswith(("ok", "FAIL"))]
    assert len(checks) == 8 and all(line.startswith("ok ") for line in checks), result.stdout
    assert lines[-1].startswith("8 checks, all passed")
    print(f"smoke run: {seconds:.1f} s")
    # and the key appears nowhere, and none of the users it made is left
    assert api.api_key not in result.stdout + result.stderr
    run_id = re.fullmatch(r"smoke test of \S+, ids (smoke-[0-9a-f]{12})-\*", lines[0])
    assert run_id, lines[0]
    made = ["user", "recipient", *(f"bulk-{index}" for index in range(10))]
    assert [http.get(f"/v1/users/{run_id[1]}-{suffix}").status_code for suffix in made] == [404] * len(made)


def test_smoke_with_an_unknown_key_fails_says_why_and_never_prints_the_key(api: ApiTarget) -> None:
    # Given a secret key the API does not know
    key = f"sk_smoke_unknown_{uuid.uuid4().hex}"

    # When the smoke test runs with it
    result, _ = run_smoke(api.url, key=key)

    # Then it exits 1, the first check says what is wrong, the key checks that need no key still pass
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("FAIL  200 with the key: GET /v1/users: 401, the API does not know this key")
    assert any(line.startswith("ok    401 for an unknown secret key") for line in lines), result.stdout
    assert lines[-1].endswith(tuple("s" for _ in [0])) and "FAILED" in lines[-1]
    assert key not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("arguments", "key", "message"),
    [
        ((), "sk_x", "the following arguments are required: url"),
        (("http://127.0.0.1:1",), None, "give a secret key (sk_...)"),
        (("http://127.0.0.1:1",), "pk_public", "give a secret key (sk_...)"),
        (("ftp://example.com",), "sk_x", "is not an http(s) base URL"),
        (("https://example.com/?stage=1",), "sk_x", "is not an http(s) base URL"),
    ],
)
def test_smoke_without_what_it_needs_exits_2_with_a_usage_message(
    arguments: tuple[str, ...], key: str | None, message: str
) -> None:
    result, _ = run_smoke(*arguments, key=key)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_make_smoke_without_url_and_key_prints_its_usage() -> None:
    environment = {name: value for name, value in os.environ.items() if name not in ("URL", "KEY", "MAKEFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "smoke"], cwd=REPO_ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "usage: make smoke URL=https://" in result.stdout
