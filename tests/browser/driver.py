"""Signs user tokens both ways a backend can, and runs the browser page (page/app.mjs) in headless Chromium.

The npm project is `tests/browser/`: `package.json` pins `@knocklabs/client` and `playwright-core`,
`package-lock.json` is committed, and `make browser` / `make test` install it with `npm ci` (and
Debian's chromium with apt-get when `/usr/bin/chromium` is missing; `CHROMIUM_PATH` names another
Chromium). `drive.mjs` serves `page/` and the client's own ES modules from `node_modules/` on 127.0.0.1
(another origin than the API's), launches Chromium once, runs the page's scenario once per run, each
in a fresh browser context, and prints what each saw; `drive.mjs` and `page/app.mjs` say what goes in
and comes out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.contract.node_sdk import NODE_PROJECT
from tests.local_api import ApiTarget

BROWSER_PROJECT = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")  # as drive.mjs reads it
DRIVE_TIMEOUT_SECONDS = 120
SIGN_TIMEOUT_SECONDS = 30

# @knocklabs/node's signUserToken, as a Node backend calls it; the key comes on stdin, not the command line.
_NODE_SIGN = """
import { signUserToken } from "@knocklabs/node";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { userId, signingKey } = JSON.parse(input);
process.stdout.write(await signUserToken(userId, { signingKey, expiresInSeconds: 600 }));
"""


@dataclass(frozen=True)
class SigningKey:
    """An RSA key pair: user tokens are signed with the private key, the API verifies them with the public one."""

    private_pem: str
    private_path: Path
    public_pem: str


@dataclass(frozen=True)
class BrowserApi:
    """The browser tests' local API (its URL and secret key) and the public key a browser uses with it."""

    target: ApiTarget
    public_key: str


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("the browser tests need Node 20 and npm: install them, then run make browser")
    return node


def _run(command: list[str], what: str, timeout: int, **options: Any) -> str:
    __tracebackhide__ = True
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, **options)
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else expired.stderr
        pytest.fail(f"{what} ran over {timeout} s; its stderr:\n{stderr or ''}")
    if finished.returncode != 0:
        pytest.fail(f"{what} exited {finished.returncode}; its stderr:\n{finished.stderr}")
    return finished.stdout


def sign_with_node_sdk(user_id: str, private_pem: str) -> str:
    """A user token from `@knocklabs/node`'s `signUserToken` (tests/contract/node's pinned SDK)."""
    __tracebackhide__ = True
    if not (NODE_PROJECT / "node_modules" / "@knocklabs" / "node").is_dir():
        pytest.fail("@knocklabs/node is not installed in tests/contract/node/: make browser installs it (npm ci)")
    payload = json.dumps({"userId": user_id, "signingKey": private_pem})
    command = [_node(), "--input-type=module", "-e", _NODE_SIGN]
    return _run(command, "signUserToken", SIGN_TIMEOUT_SECONDS, cwd=NODE_PROJECT, input=payload).strip()


def sign_with_cli(user_id: str, private_key: Path) -> str:
    """A user token from `recipients sign-user-token USER_ID --key PEMFILE` (the console script of this venv)."""
    __tracebackhide__ = True
    script = Path(sys.executable).parent / "recipients"
    if not script.exists():
        pytest.fail(f"no recipients command beside {sys.executable}: run the tests with the project's virtualenv")
    command = [str(script), "sign-user-token", user_id, "--key", str(private_key)]
    return _run(command, "recipients sign-user-token", SIGN_TIMEOUT_SECONDS).strip()


def run_in_browser(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each run's `{origin, results, console, pageErrors, failedRequests}` by name (drive.mjs), one Chromium for all."""
    __tracebackhide__ = True
    for package in ("@knocklabs/client", "playwright-core"):
        if not (BROWSER_PROJECT / "node_modules" / package).is_dir():
            pytest.fail(f"{package} is not installed in tests/browser/: make browser installs it (npm ci)")
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: make browser installs Debian's chromium package")
    command = [_node(), "drive.mjs"]
    stdout = _run(command, "the browser", DRIVE_TIMEOUT_SECONDS, cwd=BROWSER_PROJECT, input=json.dumps({"runs": runs}))
    answers: dict[str, Any] = json.loads(stdout)
    return answers


CONSOLE_TIMEOUT_SECONDS = 300
ARTIFACTS = BROWSER_PROJECT / "artifacts"  # screenshots; git ignores it, CI keeps it


def run_console(scenario: dict[str, Any]) -> dict[str, Any]:
    """What `console.mjs` saw driving the web console through `scenario` (its input, documented there)."""
    __tracebackhide__ = True
    if not (BROWSER_PROJECT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed in tests/browser/: make browser installs it (npm ci)")
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: make browser installs Debian's chromium package")
    ARTIFACTS.mkdir(exist_ok=True)
    payload = json.dumps({**scenario, "artifacts": str(ARTIFACTS)})
    stdout = _run([_node(), "console.mjs"], "the console", CONSOLE_TIMEOUT_SECONDS, cwd=BROWSER_PROJECT, input=payload)
    seen: dict[str, Any] = json.loads(stdout)
    return seen
