"""The two API calls the importer makes, with retries.

Retried, with exponential backoff and `Retry-After` honoured: 408, 409, 429, 5xx, connection errors
and timeouts. Not retried: 401/403 (the key), 404 (the URL or the operation), and any other 4xx
(the request itself is wrong). Until the server has answered once, a connection error is retried only
briefly: a wrong `--url` fails in about a second instead of after minutes of backoff.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from email.message import Message
from typing import Any

from importer import __version__
from importer.errors import Aborted, ApiError, ImportFailed

RETRY_STATUSES = frozenset({408, 409, 429})
MAX_RETRY_AFTER = 120.0
FIRST_CONTACT_RETRIES = 2


def check_url(url: str) -> str:
    """The base URL without a trailing slash, or `ImportFailed` when it cannot be one."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImportFailed(f"--url {url!r} is not an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ImportFailed(f"--url {url!r} must not have a query or fragment")
    return url.rstrip("/")


class RecipientsClient:
    """`POST /v1/users/bulk/identify` and `GET /v1/bulk_operations/{id}`, returning the BulkOperation."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        retries: int = 8,
        stop: threading.Event | None = None,
        on_retry: Callable[[str], None] | None = None,
        max_backoff: float = 30.0,
    ) -> None:
        self.base_url = check_url(base_url)
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": f"recipients-import/{__version__}",
        }
        self.timeout = timeout
        self.retries = retries
        self.max_backoff = max_backoff
        self._stop = stop or threading.Event()
        self._on_retry = on_retry
        self._reached = False

    def bulk_identify(self, body: bytes, idempotency_key: str) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        return self._call("POST", "/v1/users/bulk/identify", body, headers)

    def get_bulk_operation(self, operation_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/bulk_operations/{urllib.parse.quote(operation_id, safe='')}", None, {})

    def _call(self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]) -> dict[str, Any]:
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                status, response_headers, data = self._send(method, url, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                problem = _describe(exc)
                if not self._reached and attempt >= FIRST_CONTACT_RETRIES:
                    raise ImportFailed(f"cannot reach {self.base_url}: {problem}") from None
                delay = self._backoff(attempt)
            else:
                self._reached = True
                if 200 <= status < 300:
                    return _operation(status, data, method, url)
                if status not in RETRY_STATUSES and status < 500:
                    raise _api_error(status, data, method, url)
                problem = str(_api_error(status, data, method, url))
                after = _retry_after(response_headers)
                delay = self._backoff(attempt) if after is None else after
            attempt += 1
            if attempt > self.retries:
                raise ImportFailed(f"{method} {url}: giving up after {attempt} attempts; last: {problem}")
            if self._on_retry and self._reached:  # before first contact, only the final verdict is worth a line
                self._on_retry(f"{method} {path}: {problem}; retrying in {delay:.1f} s")
            if self._stop.wait(delay):
                raise Aborted()

    def _send(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Message, bytes]:
        if self._stop.is_set():
            raise Aborted()
        request = urllib.request.Request(url, data=body, method=method, headers={**self._headers, **headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read()

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff, 0.5 * 2.0**attempt) * random.uniform(0.5, 1.0)


def _describe(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return "timed out"
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return str(text)


def _retry_after(headers: Message) -> float | None:
    """Seconds to wait from `Retry-After-Ms`, or `Retry-After` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return min(MAX_RETRY_AFTER, max(0.0, float(str(milliseconds)) / 1000))
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(str(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(str(value))
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _operation(status: int, data: bytes, method: str, url: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or "status" not in value:
        raise ApiError(status, f"{method} {url} did not answer with a BulkOperation: {_snippet(data)}")
    return value


def _api_error(status: int, data: bytes, method: str, url: str) -> ApiError:
    """An error from a Knock-shaped body `{code, message, status, type, errors?}` or a gateway's `{message}`."""
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    code: str | None = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
        code = body.get("code") if isinstance(body.get("code"), str) else None
        details = [
            f"{item.get('field')}: {item.get('message')}"
            for item in body.get("errors") or []
            if isinstance(item, dict) and item.get("message")
        ]
        if details and not all(detail in message for detail in details):
            message += f" ({'; '.join(details[:5])}{'; ...' if len(details) > 5 else ''})"
    else:
        message = _snippet(data) or http.client.responses.get(status, "no body")
    if status == 401:
        message += ". The server refused the API key: check --key or RECIPIENTS_API_KEY"
    elif status == 403:
        message += ". The API key may not call this endpoint: use a secret key (sk_...)"
    elif status == 404 and "/v1/bulk_operations/" not in url:
        message += f" at {method} {url}. Check --url: it is the service's base URL, without /v1"
    return ApiError(status, message, code)


def _snippet(data: bytes) -> str:
    text = " ".join(data.decode("utf-8", errors="replace").split())
    return text[:200] + ("..." if len(text) > 200 else "")
