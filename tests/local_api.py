"""The API the integration and contract tests talk to: the local server, or a deployed stage.

With `API_URL` (and `RECIPIENTS_API_KEY`) set, tests run against that stage. Otherwise one local
server per test session is started with `python -m local.server` in a child process, exactly as
`make run` starts it. A child process rather than threads in this one, because the pytest process
is not a clean host for it: tests/conftest.py imports `recipients` (whose boto3 clients are made at
import and must point at moto server) and unit tests' `mock_aws` resets moto's in-process state,
which an in-process moto server shares.

Conftests import the fixtures from here: `from tests.local_api import ...  # noqa: F401`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_API_KEY = "sk_test_local"
STARTUP_SECONDS = 60
_URL_LINE = re.compile(r"Recipients local API: (http://\S+)")
_TARGET_KEY = pytest.StashKey["ApiTarget"]()
REQUEST_TIMEOUT_SECONDS = 120
"""The local API runs one invocation at a time, so on a busy machine a call can wait behind a bulk
worker batch (up to 1,000 rows written to moto server) that another test queued."""


@dataclass(frozen=True)
class ApiTarget:
    url: str
    api_key: str
    is_local: bool
    log: Path | None = None
    """The local server's output (what `make run` prints), when the tests started it."""


def _wait_for_url(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        found = _URL_LINE.search(log.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the local API did not start; its output:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_local_server(
    request: pytest.FixtureRequest, key: str, log: Path, environment: Mapping[str, str] | None = None
) -> ApiTarget:
    """`python -m local.server` on a free port, its output in `log`; stopped when the requesting fixture's
    scope ends (an idle server still polls its queues and stream, which slows the tests still running).

    `environment`: variables set for the server on top of this process's (e.g. `RECIPIENTS_SIGNING_PUBLIC_KEY`).

    A fixture finalizer rather than a config cleanup: under pytest-xdist a worker's config cleanup runs
    after the worker said it was done, and execnet interrupts (SIGINT) a worker still busy 5 s later.
    """
    # Without the POWERTOOLS_* variables tests/conftest.py sets for in-process tests: each function gets
    # its own from the template, as under `make run`.
    child_environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_ENDPOINT_URL", "POWERTOOLS_"))
    }
    child_environment.update({"PORT": "0", "RECIPIENTS_API_KEY": key, "PYTHONUNBUFFERED": "1"})
    child_environment.pop("MOTO_PORT", None)
    child_environment.update(environment or {})
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.server"], cwd=REPO_ROOT, env=child_environment, stdout=sink, stderr=sink
        )
    request.addfinalizer(lambda: _stop(process))
    return ApiTarget(_wait_for_url(process, log), key, is_local=True, log=log)


def api_of_its_own(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str) -> ApiTarget:
    """The stage `API_URL` names, or a local server for one suite alone (what it writes stays out of
    the other tests' lists); `name` names its log's folder.

    Ask for it from a module-scoped fixture in a module marked with an `xdist_group` of its own: its
    tests then run together on one worker, and the server stops when the last of them ends."""
    deployed = os.environ.get("API_URL")
    if deployed:
        key = os.environ.get("RECIPIENTS_API_KEY")
        if not key:
            pytest.fail("API_URL is set: set RECIPIENTS_API_KEY to a secret key of that stage too")
        return ApiTarget(deployed.rstrip("/"), key, is_local=False)
    log = tmp_path_factory.mktemp(name) / "server.log"
    return start_local_server(request, os.environ.get("RECIPIENTS_API_KEY") or LOCAL_API_KEY, log)


@pytest.fixture(scope="session")
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ApiTarget:
    """Where the API is, and a secret key it accepts.

    Each conftest that imports this fixture gets its own definition of it, so the target lives in the
    session's stash: the integration and contract suites share one server.
    """
    config = request.config
    if _TARGET_KEY not in config.stash:
        deployed = os.environ.get("API_URL")
        if deployed:
            key = os.environ.get("RECIPIENTS_API_KEY")
            if not key:
                pytest.fail("API_URL is set: set RECIPIENTS_API_KEY to a secret key of that stage too")
            config.stash[_TARGET_KEY] = ApiTarget(deployed.rstrip("/"), key, is_local=False)
        else:
            key = os.environ.get("RECIPIENTS_API_KEY") or LOCAL_API_KEY
            log = tmp_path_factory.mktemp("local-api") / "server.log"
            config.stash[_TARGET_KEY] = start_local_server(request, key, log)
    return config.stash[_TARGET_KEY]


def secret_key_client(api: ApiTarget) -> httpx.Client:
    """An httpx client for `api` that sends its secret key."""
    return httpx.Client(
        base_url=api.url, headers={"Authorization": f"Bearer {api.api_key}"}, timeout=REQUEST_TIMEOUT_SECONDS
    )


@pytest.fixture(scope="session")
def http(api: ApiTarget) -> Iterator[httpx.Client]:
    """An httpx client for the API that sends the secret key."""
    with secret_key_client(api) as client:
        yield client


@pytest.fixture(scope="session")
def anonymous_http(api: ApiTarget) -> Iterator[httpx.Client]:
    """An httpx client for the API that sends no Authorization header unless told to."""
    with httpx.Client(base_url=api.url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        yield client


@pytest.fixture
def new_user_id(http: httpx.Client) -> Iterator[Callable[[str], str]]:
    """Makes uuid-suffixed user ids; every id it made is deleted after the test (if it exists)."""
    made: list[str] = []

    def make(prefix: str = "user") -> str:
        made.append(f"{prefix}-{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield make
    for user_id in made:
        response = http.delete(f"/v1/users/{user_id}")
        assert response.status_code in (204, 404), f"cleanup of {user_id}: {response.status_code} {response.text}"


@pytest.fixture
def new_collection(http: httpx.Client) -> Iterator[Callable[[str], str]]:
    """Makes uuid-suffixed collection names, so a test sees only its own objects; the objects listed
    in them are deleted after the test."""
    made: list[str] = []

    def make(prefix: str = "objects") -> str:
        made.append(f"{prefix}-{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield make
    for collection in made:
        for object_id in _listed_object_ids(http, collection):
            response = http.delete(f"/v1/objects/{collection}/{quote(object_id, safe='')}")
            assert response.status_code in (204, 404), f"cleanup of {collection}/{object_id}: {response.text}"


def _listed_object_ids(http: httpx.Client, collection: str) -> list[str]:
    ids: list[str] = []
    params: dict[str, str | int] = {"page_size": 50}
    while True:
        response = http.get(f"/v1/objects/{collection}", params=params)
        assert response.status_code == 200, f"listing {collection}: {response.status_code} {response.text}"
        page = response.json()
        ids += [entry["id"] for entry in page["entries"]]
        if not page["page_info"]["after"]:
            return ids
        params = {"page_size": 50, "after": page["page_info"]["after"]}
