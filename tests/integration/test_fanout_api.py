"""A trigger fanning out to an object's subscribers on the running service: the template's FanoutQueue
fed to FanoutFunction by the local event source mapping, the parts read from what `make run` prints."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pytest

from tests.local_api import ApiTarget

pytestmark = pytest.mark.integration


def printed_parts(api: ApiTarget, run_id: str, timeout: float = 60) -> list[tuple[int, str, str]]:
    """(part, parts, recipients line) of every event of the run printed, once its last part is in."""
    assert api.log is not None
    line = re.compile(rf"event workflow\.triggered \S+ run {run_id} part (\d+)/(\S+): (.*)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = sorted({match.groups() for match in line.finditer(api.log.read_text(errors="replace"))})
        if any(total != "?" and int(total) == len({part for part, _, _ in parts}) for _, total, _ in parts):
            return [(int(part), total, text) for part, total, text in parts]
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish fanning out in {timeout} s")


def test_a_trigger_reaches_the_subscribers_of_its_object(
    api: ApiTarget, http: httpx.Client, new_user_id: Callable[[str], str]
) -> None:
    if not api.is_local:
        pytest.skip("reads the events the local server prints; a deployed stage's bus has its own consumers")
    project, ada, bob = new_user_id("fan-project"), new_user_id("fan-ada"), new_user_id("fan-bob")
    response = http.post(
        f"/v1/objects/projects/{project}/subscriptions", json={"recipients": [{"id": ada}, {"id": bob, "name": "Bob"}]}
    )
    assert response.status_code == 200, response.text

    trigger = {"recipients": [{"id": project, "collection": "projects"}], "actor": bob}
    response = http.post("/v1/workflows/new-comment/trigger", json=trigger)
    assert response.status_code == 200, response.text

    parts = printed_parts(api, response.json()["workflow_run_id"])
    assert [(part, total) for part, total, _ in parts] == [(1, "?"), (2, "2")]
    assert f"1 recipient [projects/{project}]" in parts[0][2]
    assert f"1 recipient [{ada}]" in parts[1][2]
