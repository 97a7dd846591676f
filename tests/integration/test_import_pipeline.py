"""2,500 users through the `recipients import` command, the local API, the queue and bulk_worker."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.support import finished_operation
from tests.local_api import ApiTarget, api_of_its_own, secret_key_client

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("import-pipeline")]

ROWS = 2500
BAD_LINES = {17: {"id": "bad#id", "name": "hash"}, 1200: {"id": "x", "email": "not-an-email"}, 2499: {"name": "no id"}}


def listed_ids(http: httpx.Client, prefix: str) -> list[str]:
    """Every stored id with `prefix`, read through the list endpoint page by page."""
    found: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"page_size": 50} | ({"after": after} if after else {})
        page = http.get("/v1/users", params=params).json()
        found += [entry["id"] for entry in page["entries"] if entry["id"].startswith(prefix)]
        after = page["page_info"]["after"]
        if not after:
            return found


@pytest.fixture(scope="module")
def import_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ApiTarget:
    """A local API of its own: its thousands of users (and the change events, clean-ups and rule
    deliveries that deleting them would set off) stay out of the server the other tests share."""
    return api_of_its_own(request, tmp_path_factory, "import-api")


@pytest.fixture(scope="module")
def http(import_api: ApiTarget) -> Iterator[httpx.Client]:
    with secret_key_client(import_api) as client:
        yield client


@pytest.fixture
def import_prefix(import_api: ApiTarget, http: httpx.Client) -> Iterator[str]:
    """A prefix for the imported ids. A local server's data go with it; on a deployed stage (API_URL)
    every user stored with the prefix is deleted after the test."""
    prefix = f"imp-{uuid.uuid4().hex[:8]}-"
    yield prefix
    if import_api.is_local:
        return
    stored = listed_ids(http, prefix)
    for start in range(0, len(stored), 1000):
        response = http.post("/v1/users/bulk/delete", json={"user_ids": stored[start : start + 1000]})
        assert response.status_code == 200, response.text
        assert finished_operation(http, response.json())["status"] == "completed"


def test_import_of_2500_rows_writes_every_valid_row_once_and_rejects_the_rest_with_reasons(
    import_api: ApiTarget, http: httpx.Client, tmp_path: Path, import_prefix: str
) -> None:
    # Given a JSONL file of 2,500 users, three of them bad (a '#' id, a bad email, no id)
    prefix = import_prefix
    source = tmp_path / "users.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for line in range(1, ROWS + 1):
            row = BAD_LINES.get(line, {"id": f"{prefix}{line}", "name": f"User {line}", "rank": line, "n": 0.1})
            handle.write(json.dumps(row) + "\n")

    # When it is imported with the command a data team would run
    target = ["--url", import_api.url, "--key", import_api.api_key]
    command = [sys.executable, "-m", "importer", "import", str(source), *target]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)

    # Then it finishes with some rows rejected (exit 1), and its summary has the exact counts
    assert result.returncode == 1, result.stderr
    assert "2,497 written" in result.stdout and "3 rejected" in result.stdout, result.stdout
    assert "1 locally, 2 by the server" in result.stdout, result.stdout
    # every rejected row is in the rejects file, by line, with the reason
    rejects = [json.loads(line) for line in (tmp_path / "users.jsonl.rejects.jsonl").read_text().splitlines()]
    assert sorted(reject["line"] for reject in rejects) == sorted(BAD_LINES)
    by_line = {reject["line"]: reject for reject in rejects}
    assert "#" in by_line[17]["reason"] and "email" in by_line[1200]["reason"]
    # and every valid row is stored exactly once, with its properties
    stored = listed_ids(http, prefix)
    assert len(stored) == len(set(stored)) == ROWS - len(BAD_LINES)
    assert http.get(f"/v1/users/{prefix}2000").json()["rank"] == 2000
