"""What `make run` prints, read from the running server's output: by default one line per request and
per event, and with LOG=json and EVENTS=json (RECIPIENTS_LOG, RECIPIENTS_EVENTS) the functions' JSON
logs, their metric lines and each event's JSON as well."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.local_api import LOCAL_API_KEY, ApiTarget, secret_key_client, start_local_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("local-console")]


def wait_for(api: ApiTarget, pattern: str, timeout: float = 30) -> str:
    """The server's output, once `pattern` is found in it."""
    assert api.log is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = api.log.read_text(errors="replace")
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} not printed in {timeout} s; the output ends:\n{text[-3000:]}")


def json_lines(text: str) -> list[dict[str, Any]]:
    """The one-line JSON documents printed: the functions' logs and metric lines."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and line.endswith("}")]


def events_printed(text: str) -> list[dict[str, Any]]:
    """The indented JSON documents printed: the events, each under its line."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(text, found.start())[0] for found in re.finditer(r"^\{\n", text, re.MULTILINE)]


@pytest.fixture(scope="module")
def verbose_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ApiTarget:
    log = tmp_path_factory.mktemp("local-api-verbose") / "server.log"
    environment = {"RECIPIENTS_LOG": "json", "RECIPIENTS_EVENTS": "json"}
    return start_local_server(request, LOCAL_API_KEY, log, environment)


@pytest.fixture
def verbose_http(verbose_api: ApiTarget) -> Iterator[httpx.Client]:
    with secret_key_client(verbose_api) as client:
        yield client


def test_by_default_a_trigger_prints_its_request_line_and_its_event_line_and_no_function_output(
    api: ApiTarget, http: httpx.Client, new_user_id: Callable[[str], str]
) -> None:
    if not api.is_local:
        pytest.skip("reads what the local server prints")
    user = new_user_id("console")
    assert http.put(f"/v1/users/{user}", json={"name": "Ada"}).status_code == 200
    response = http.post("/v1/workflows/console-check/trigger", json={"recipients": [user]})
    assert response.status_code == 200, response.text
    run = response.json()["workflow_run_id"]

    text = wait_for(api, rf"event workflow\.triggered console-check run {run}: 1 recipient \[{user}\], 0 skipped\n")

    assert re.search(rf"^PUT /v1/users/{user} → 200 in \d+ ms$", text, re.MULTILINE)
    assert re.search(rf"^POST /v1/workflows/console-check/trigger → 200 in \d+ ms \[run {run}\]$", text, re.MULTILINE)
    printed = json_lines(text)
    assert not [record for record in printed if "_aws" in record], "metric lines are printed without LOG=json"
    assert not [record for record in printed if record.get("level") == "INFO"], "INFO logs printed without LOG=json"
    assert events_printed(text) == [], "events printed whole without EVENTS=json"


def test_with_log_json_and_events_json_the_functions_logs_metrics_and_the_event_are_printed(
    verbose_api: ApiTarget, verbose_http: httpx.Client
) -> None:
    response = verbose_http.post("/v1/workflows/console-check/trigger", json={"recipients": [{"id": "console-ada"}]})
    assert response.status_code == 200, response.text
    run = response.json()["workflow_run_id"]
    bulk = verbose_http.post("/v1/users/bulk/identify", json={"users": [{"id": "console-bob"}]})
    assert bulk.status_code == 200, bulk.text

    text = wait_for(verbose_api, rf"event workflow\.triggered console-check run {run}: 1 recipient")
    text = wait_for(verbose_api, r"BulkRowsWritten")

    operation = bulk.json()["id"]
    assert re.search(rf"^POST /v1/users/bulk/identify → 200 in \d+ ms \[bulk operation {operation}\]$", text, re.M)
    printed = json_lines(text)
    logs = [record for record in printed if record.get("message") == "workflow triggered"]
    assert [log["workflow_run_id"] for log in logs] == [run]
    assert any("WorkflowsTriggered" in record and "_aws" in record for record in printed)
    events = [event for event in events_printed(text) if event["detail-type"].startswith("workflow.")]
    assert [(event["source"], event["detail-type"], event["detail"]["workflow_run_id"]) for event in events] == [
        ("recipients", "workflow.triggered", run)
    ]
    assert events[0]["detail"]["recipients"] == [{"id": "console-ada"}]
