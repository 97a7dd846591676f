"""Runs scenarios written with the official Node SDK, `@knocklabs/node`, against the API under test.

The npm project is `tests/contract/node/`: `package.json` pins the SDK, `package-lock.json` is
committed, and `make contract` / `make test` install it with `npm ci` whenever the lock changes
(`node_modules/` is not committed). A scenario is `tests/contract/node/scenarios/<name>.mjs` whose
default export is an async function: it gets the JSON input the test sends and returns what the test
asserts on (anything JSON can carry). `run.mjs` imports it, feeds it the input from stdin and prints
its answer on stdout; `support.mjs` has what scenarios share:

- `knockClient(options)`: `new Knock({apiKey, baseURL, maxRetries: 0, ...options})` for the API
  (`apiUrl` and `apiKey` are exported too, for other clients, such as the browser one);
- `attempt(promise)`: `{value}` (null for a 204), or `{error: {class, status, body}}` for an SDK
  status error (`class` is the SDK's error class, e.g. `NotFoundError`; `body` the parsed answer);
- `collect(page)`: every entry of a paginated list; `waitForOperation(knock, id)`: a bulk
  operation polled with `bulkOperations.get` until it has finished.

Adding one: write `scenarios/<name>.mjs` (making several calls in one scenario: each run starts
Node, about 0.1 s), then in a test `result = node_sdk("<name>", {"userId": new_user_id("node-x")})`.
Ids made by the `new_user_id` and `new_collection` fixtures are cleaned up after the test as usual.
The API's URL and key reach Node as `RECIPIENTS_API_URL` and `RECIPIENTS_API_KEY` (with any other
variables passed in `env`); a scenario that throws fails the test with Node's stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.local_api import ApiTarget

NODE_PROJECT = Path(__file__).resolve().parent / "node"
TIMEOUT_SECONDS = 60


def run_node_scenario(
    api: ApiTarget, scenario: str, payload: object = None, *, env: dict[str, str] | None = None
) -> Any:
    """Run `scenarios/<scenario>.mjs` on `payload` against `api`; return the JSON it answered."""
    __tracebackhide__ = True  # a failure shows the test's line and Node's stderr, not this function
    node = shutil.which("node")
    if node is None:
        pytest.fail("the Node SDK tests need Node 20 and npm: install them, then run make contract")
    if not (NODE_PROJECT / "node_modules" / "@knocklabs" / "node").is_dir():
        pytest.fail(f"@knocklabs/node is not installed in {NODE_PROJECT.name}/: make contract installs it (npm ci)")
    # Without the SDK's own KNOCK_* variables (KNOCK_BRANCH would add a header), with the API's URL and key
    environment = {name: value for name, value in os.environ.items() if not name.startswith("KNOCK_")}
    environment.update({"RECIPIENTS_API_URL": api.url, "RECIPIENTS_API_KEY": api.api_key, **(env or {})})
    try:
        finished = subprocess.run(
            [node, "run.mjs", scenario],
            cwd=NODE_PROJECT,
            env=environment,
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else expired.stderr
        pytest.fail(f"Node scenario {scenario} ran over {TIMEOUT_SECONDS} s; its stderr:\n{stderr or ''}")
    if finished.returncode != 0:
        pytest.fail(f"Node scenario {scenario} exited {finished.returncode}; its stderr:\n{finished.stderr}")
    return json.loads(finished.stdout)
