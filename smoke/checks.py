"""The checks, in order, each against a running API over HTTP; the key is never printed.

Every id is unique to the run (`smoke-<hex>-...`) and every user the run creates is deleted at the
end, whatever failed. A workflow run the trigger check records cannot be deleted through the API:
it is cancelled and expires with WorkflowRunRetentionDays.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

REQUEST_SECONDS = 15.0
OPERATION_SECONDS = 60.0
"""How long a bulk operation may take to finish before its check fails."""
BULK_ROWS = 10
WORKFLOW_KEY = "recipients-smoke-test"
"""The workflow the trigger check triggers (and cancels): a delivery engine should not know it."""
KNOCK_ERROR_KEYS = {"code", "message", "status", "type"}


class CheckFailed(Exception):
    """A check's answer was not the expected one; the message says what came back."""


class OutOfTime(CheckFailed):
    """The run's time budget is spent."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise CheckFailed(f"HTTP {self.status} with a body that is not JSON: {snippet(self.body)}") from error


def snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class Api:
    """The API under test: its base URL, a secret key it should accept, and the run's deadline."""

    base_url: str
    key: str
    deadline: float

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def call(self, method: str, path: str, body: Any = None, *, authorization: str | None = "key") -> Answer:
        """One request; `authorization` "key" sends the secret key, None no header, anything else as is."""
        timeout = min(REQUEST_SECONDS, self.remaining())
        if timeout <= 0:
            raise OutOfTime("the run's time budget is spent")
        headers = {"Accept": "application/json", "User-Agent": "recipients-smoke"}
        if authorization == "key":
            headers["Authorization"] = f"Bearer {self.key}"
        elif authorization is not None:
            headers["Authorization"] = authorization
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CheckFailed(f"{method} {path}: cannot reach the API ({reason})") from error

    def expect(self, answer: Answer, status: int, what: str) -> Any:
        """The answer's JSON body (None for a body-less answer) when its status is `status`."""
        if answer.status != status:
            raise CheckFailed(f"{what}: expected {status}, got {answer.status}: {snippet(answer.body)}")
        return answer.json() if answer.body else None


@dataclass
class Run:
    """One smoke run: unique ids, and every user it may have created, to delete at the end."""

    api: Api
    run_id: str = field(default_factory=lambda: f"smoke-{uuid.uuid4().hex[:12]}")
    created: list[str] = field(default_factory=list)

    def user_id(self, suffix: str) -> str:
        self.created.append(f"{self.run_id}-{suffix}")
        return self.created[-1]


def quoted(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


KEY_HINTS = {
    401: "the API does not know this key: is its SHA-256 hash in the stack's SSM parameter?",
    403: "the API refused this key: use a secret key (sk_...)",
    503: "the API cannot read its key hashes: see the authorizer's log group for what to do",
}


def check_key_is_accepted(run: Run) -> str:
    answer = run.api.call("GET", "/v1/users?page_size=1")
    if answer.status in KEY_HINTS:
        raise CheckFailed(f"GET /v1/users: {answer.status}, {KEY_HINTS[answer.status]} {snippet(answer.body)}")
    body = run.api.expect(answer, 200, "GET /v1/users")
    if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
        raise CheckFailed(f"GET /v1/users: not a page of users: {body!r:.200}")
    return "GET /v1/users"


def check_no_key_is_refused_by_api_gateway(run: Run) -> str:
    body = run.api.expect(run.api.call("GET", "/v1/users", authorization=None), 401, "no Authorization header")
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        raise CheckFailed(f"no Authorization header: 401 without API Gateway's {{message}} body: {body!r:.200}")
    return f"API Gateway's own answer {json.dumps(body)}"


def _knock_error(answer: Answer, status: int, code: str, what: str, api: Api) -> str:
    body = api.expect(answer, status, what)
    if not isinstance(body, dict) or not set(body) >= KNOCK_ERROR_KEYS:
        raise CheckFailed(f"{what}: not a Knock error body {{code, message, status, type}}: {body!r:.200}")
    if (body["code"], body["status"], body["type"]) != (code, status, "authentication_error"):
        raise CheckFailed(f"{what}: expected {code}, {status}, authentication_error; got {body!r:.200}")
    return f"Knock error {code}"


def check_unknown_secret_key_is_a_knock_401(run: Run) -> str:
    answer = run.api.call("GET", "/v1/users", authorization=f"Bearer sk_{run.run_id}_unknown")
    return _knock_error(answer, 401, "authentication_required", "an unknown secret key", run.api)


def check_unknown_public_key_is_a_knock_401(run: Run) -> str:
    answer = run.api.call("GET", "/v1/users", authorization=f"Bearer pk_{run.run_id}_public")
    return _knock_error(answer, 401, "authentication_required", "an unknown public key", run.api)


def check_identify_get_delete(run: Run) -> str:
    user_id = run.user_id("user")
    path = f"/v1/users/{quoted(user_id)}"
    identified = run.api.expect(run.api.call("PUT", path, {"name": "Smoke Test", "smoke_run": run.run_id}), 200, "PUT")
    if identified.get("id") != user_id or identified.get("smoke_run") != run.run_id:
        raise CheckFailed(f"PUT {path}: the user came back as {identified!r:.200}")
    fetched = run.api.expect(run.api.call("GET", path), 200, f"GET {path}")
    if fetched.get("name") != "Smoke Test":
        raise CheckFailed(f"GET {path}: the user came back as {fetched!r:.200}")
    run.api.expect(run.api.call("DELETE", path), 204, f"DELETE {path}")
    run.api.expect(run.api.call("GET", path), 404, f"GET {path} after DELETE")
    return "PUT, GET, DELETE, then GET is 404"


def finished_operation(api: Api, operation: dict[str, Any], what: str) -> dict[str, Any]:
    """Poll the operation until it is completed or failed, within OPERATION_SECONDS and the run's budget."""
    deadline = min(time.monotonic() + OPERATION_SECONDS, api.deadline)
    pause = 0.1
    while True:
        path = f"/v1/bulk_operations/{quoted(str(operation.get('id')))}"
        current: dict[str, Any] = api.expect(api.call("GET", path), 200, f"GET {path}")
        if current.get("status") in ("completed", "failed"):
            return current
        if time.monotonic() + pause > deadline:
            raise CheckFailed(
                f"{what}: still {current.get('status')} after {OPERATION_SECONDS:.0f} s: {current!r:.200}"
            )
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def check_bulk_identify_completes(run: Run) -> str:
    users = [{"id": run.user_id(f"bulk-{index}"), "name": f"Smoke {index}"} for index in range(BULK_ROWS)]
    started = run.api.expect(run.api.call("POST", "/v1/users/bulk/identify", {"users": users}), 200, "bulk identify")
    done = finished_operation(run.api, started, "bulk identify")
    counts = (done.get("status"), done.get("success_count"), done.get("error_count"))
    if counts != ("completed", BULK_ROWS, 0):
        raise CheckFailed(f"bulk identify ended {counts} (status, success_count, error_count): {done!r:.300}")
    last = users[-1]["id"]
    run.api.expect(run.api.call("GET", f"/v1/users/{quoted(last)}"), 200, "GET a bulk-identified user")
    return f"{BULK_ROWS} rows completed"


def check_trigger(run: Run) -> str:
    recipient = {"id": run.user_id("recipient"), "name": "Smoke Recipient"}
    body = {"recipients": [recipient], "data": {"smoke_run": run.run_id}, "cancellation_key": run.run_id}
    path = f"/v1/workflows/{WORKFLOW_KEY}"
    triggered = run.api.expect(run.api.call("POST", f"{path}/trigger", body), 200, "trigger")
    if not isinstance(triggered, dict) or not triggered.get("workflow_run_id"):
        raise CheckFailed(f"trigger: no workflow_run_id in {triggered!r:.200}")
    run.api.expect(run.api.call("POST", f"{path}/cancel", {"cancellation_key": run.run_id}), 204, "cancel")
    return f"{WORKFLOW_KEY} triggered and cancelled"


def clean_up(run: Run) -> str:
    """Delete every user the run may have created (an unknown id counts as deleted)."""
    if not run.created:
        return "nothing to delete"
    body = {"user_ids": run.created}
    started = run.api.expect(run.api.call("POST", "/v1/users/bulk/delete", body), 200, "bulk delete")
    done = finished_operation(run.api, started, "bulk delete")
    if (done.get("status"), done.get("success_count")) != ("completed", len(run.created)):
        raise CheckFailed(f"bulk delete of the run's users ended {done!r:.300}")
    return f"{len(run.created)} users deleted"


CHECKS: list[tuple[str, Callable[[Run], str]]] = [
    ("200 with the key", check_key_is_accepted),
    ("401 without a key", check_no_key_is_refused_by_api_gateway),
    ("401 for an unknown secret key", check_unknown_secret_key_is_a_knock_401),
    ("401 for an unknown public key", check_unknown_public_key_is_a_knock_401),
    ("identify, get, delete", check_identify_get_delete),
    ("bulk identify to completion", check_bulk_identify_completes),
    ("trigger", check_trigger),
]


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool
    detail: str
    milliseconds: float


def run_checks(run: Run) -> Iterator[Outcome]:
    """Each check's outcome as it finishes, then the clean-up's, which always runs."""
    try:
        for name, check in CHECKS:
            yield _outcome(name, check, run)
    finally:
        yield _outcome("clean up", clean_up, _with_fresh_budget(run))


def _with_fresh_budget(run: Run) -> Run:
    """Clean-up gets its own time (a bulk delete), even when a check spent the run's budget."""
    budget = max(run.api.remaining(), REQUEST_SECONDS + OPERATION_SECONDS)
    run.api = Api(run.api.base_url, run.api.key, time.monotonic() + budget)
    return run


def _outcome(name: str, check: Callable[[Run], str], run: Run) -> Outcome:
    started = time.perf_counter()
    try:
        detail, passed = check(run), True
    except CheckFailed as failure:
        detail, passed = str(failure), False
    except Exception as error:  # a bug or an answer of the wrong shape: report it as this check's failure
        detail, passed = f"{type(error).__name__}: {error}", False
    return Outcome(name, passed, detail, (time.perf_counter() - started) * 1000)
