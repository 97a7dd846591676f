"""An in-process stand-in for the two endpoints of OUR service that the importer calls.

It implements the contract the importer relies on (api-contract.md §4.5, §5, §8):
- `POST /v1/users/bulk/identify` with `{"users": [...]}` (1-1,000 users, body <= 5,000,000 bytes)
  answers 200 with a `queued` BulkOperation; rows invalid at validation time (an id with `#` or `/`)
  are already in its `error_items` with their `index` in the request, a `reason` and `errors`.
  More than 1,000 users, or no `users` list, is a 422 for the whole batch.
- `GET /v1/bulk_operations/{id}` answers the operation; it completes on the first GET, adding the
  rows that fail while being written (`write_failures`) to `error_items`. Unknown ids are 404.
- A wrong `Authorization` header gets the gateway's 401 `{"message": "Unauthorized"}`.

Knobs for tests: `post_failures` (answers to give instead of accepting the next POSTs, e.g. one 503),
`answers` (the same, for given POST numbers), `chunk_rows` (each GET writes this many more rows, as the
real service's worker finishes an operation chunk by chunk, `processing` until the last),
`on_post` (called with the POST's number before it is answered: may block, stop the client, or return
"drop" to hang up without accepting, like a server that never received it), `failed_batches` (POST
numbers whose operation ends `failed`), `error_items_limit` (truncate error_items, as the real service
may on very bad batches).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk_test_importer"
MAX_USERS = 1000
MAX_BODY = 5_000_000


@dataclass
class Post:
    """One POST the stand-in received."""

    number: int
    users: list[dict[str, Any]]
    idempotency_key: str | None
    accepted: bool = False
    operation_id: str | None = None


@dataclass
class Operation:
    id: str
    users: list[dict[str, Any]]
    error_items: list[dict[str, Any]]
    status: str = "queued"
    success_count: int = 0
    processed_rows: int = 0
    error_count: int = 0
    fail: bool = False
    gets: int = 0


@dataclass
class FakeRecipientsApi:
    api_key: str = API_KEY
    write_failures: set[str] = field(default_factory=set)
    post_failures: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    answers: dict[int, tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    on_post: Callable[[int], str | None] | None = None
    failed_batches: set[int] = field(default_factory=set)
    error_items_limit: int | None = None
    complete_on_get: int = 1
    chunk_rows: int | None = None

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: list[Post] = []
        self.gets: list[str] = []
        self.operations: dict[str, Operation] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    def start(self) -> FakeRecipientsApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def accepted_posts(self) -> list[Post]:
        return [post for post in self.posts if post.accepted]

    @property
    def accepted_ids(self) -> list[str]:
        """Every user id of every accepted batch, in order (duplicates kept)."""
        return [user["id"] for post in self.accepted_posts for user in post.users]

    # request handling (called from the server's threads)

    def handle_post(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if path != "/v1/users/bulk/identify":
            return 404, _error(404, "not_found", "route not found"), {}
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"message": "Unauthorized"}, {}
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, _error(400, "invalid_json", "the body is not valid JSON"), {}
        users = payload.get("users") if isinstance(payload, dict) else None
        with self.lock:
            post = Post(len(self.posts) + 1, users if isinstance(users, list) else [], headers.get("Idempotency-Key"))
            self.posts.append(post)
        if self.on_post is not None and self.on_post(post.number) == "drop":
            return None
        with self.lock:
            if post.number in self.answers:
                return self.answers[post.number]
            if self.post_failures:
                return self.post_failures.pop(0)
        if not isinstance(users, list) or not 1 <= len(users) <= MAX_USERS or len(body) > MAX_BODY:
            return 422, _error(422, "invalid_params", "users: must hold 1 to 1,000 users"), {}
        error_items = [
            _error_item(user.get("id"), index, reason) for index, user in enumerate(users) if (reason := _invalid(user))
        ]
        operation = Operation(
            id=str(uuid.uuid4()),
            users=users,
            error_items=error_items,
            error_count=len(error_items),
            fail=post.number in self.failed_batches,
        )
        with self.lock:
            self.operations[operation.id] = operation
            post.accepted, post.operation_id = True, operation.id
        return 200, self.view(operation), {}

    def handle_get(self, path: str, headers: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        prefix = "/v1/bulk_operations/"
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"message": "Unauthorized"}, {}
        if not path.startswith(prefix):
            return 404, _error(404, "not_found", "route not found"), {}
        with self.lock:
            self.gets.append(path[len(prefix) :])
            operation = self.operations.get(path[len(prefix) :])
            if operation is None:
                return 404, _error(404, "not_found", "bulk operation not found"), {}
            operation.gets += 1
            if operation.status in ("queued", "processing") and operation.gets >= self.complete_on_get:
                self._write(operation)
            return 200, self.view(operation), {}

    def _write(self, operation: Operation) -> None:
        """Write the next chunk of the operation's rows (all of them without `chunk_rows`)."""
        rejected = {item["index"] for item in operation.error_items}
        end = len(operation.users) if self.chunk_rows is None else operation.processed_rows + self.chunk_rows
        for index in range(operation.processed_rows, min(end, len(operation.users))):
            user = operation.users[index]
            if index in rejected:
                continue
            if user.get("id") in self.write_failures:
                operation.error_items.append(_error_item(user["id"], index, "write failed: simulated"))
            else:
                operation.success_count += 1
        operation.error_count = len(operation.error_items)
        operation.processed_rows = min(end, len(operation.users))
        if operation.processed_rows < len(operation.users):
            operation.status = "processing"
        else:
            operation.status = "failed" if operation.fail else "completed"

    def view(self, operation: Operation) -> dict[str, Any]:
        items = operation.error_items
        if self.error_items_limit is not None:
            items = items[: self.error_items_limit]
        finished = operation.status in ("completed", "failed")
        return {
            "__typename": "BulkOperation",
            "id": operation.id,
            "name": "users.bulk_identify",
            "status": operation.status,
            "estimated_total_rows": len(operation.users),
            "processed_rows": operation.processed_rows,
            "success_count": operation.success_count,
            "error_count": operation.error_count,
            "error_items": items,
            "progress_path": f"{self.url}/v1/bulk_operations/{operation.id}",
            "inserted_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:01Z",
            "started_at": "2025-01-01T00:00:01Z" if finished else None,
            "completed_at": "2025-01-01T00:00:01Z" if operation.status == "completed" else None,
            "failed_at": "2025-01-01T00:00:01Z" if operation.status == "failed" else None,
        }


def _invalid(user: Any) -> str | None:
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id.strip():
        return "id: must be a non-blank string"
    for character in "#/":
        if character in user_id:
            return f"id: must not contain '{character}'"
    return None


def _error_item(user_id: Any, index: int, reason: str) -> dict[str, Any]:
    field_name, _, message = reason.partition(": ")
    return {
        "id": user_id,
        "collection": None,
        "index": index,
        "reason": reason,
        "errors": [{"field": field_name, "message": message}],
    }


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "status": status, "type": "api_error"}


def _handler_for(api: FakeRecipientsApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = api.handle_post(self.path, self.headers, body)
            if answer is None:
                self.close_connection = True
                return
            self._send(*answer)

        def do_GET(self) -> None:
            self._send(*api.handle_get(self.path, self.headers))

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(OSError):  # the client is gone (a test killed it)
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
