"""The two ways an import stops early, each with its own exit code."""

from __future__ import annotations


class ImportFailed(Exception):
    """Bad usage, unreadable input, a refused request or an unreachable server: exit code 2.

    The message is one line, meant for stderr as it is; it never contains the API key.
    """


class ApiError(ImportFailed):
    """The server answered with an error status that retrying will not fix."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        self.status = status
        self.code = code
        self.detail = message
        super().__init__(f"HTTP {status}{f' {code}' if code else ''}: {message}")


class Aborted(Exception):
    """A request gave up waiting to retry because the import is stopping (Ctrl-C or another error)."""
