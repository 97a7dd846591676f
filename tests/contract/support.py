"""Helpers shared by the SDK contract tests."""

from __future__ import annotations

import time

import knockapi
from knockapi import Knock


def wait_for_operation(knock: Knock, operation_id: str, timeout: float = 30.0) -> knockapi.types.BulkOperation:
    """Poll bulk_operations.get until the operation has finished (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        operation = knock.bulk_operations.get(operation_id)
        if operation.status in ("completed", "failed") or time.monotonic() > deadline:
            return operation
        time.sleep(0.2)
