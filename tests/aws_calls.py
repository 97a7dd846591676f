"""Every AWS API call made by any boto3 client of this process, recorded while `recording()` is open.

The hook goes into botocore's built-in handlers, the way moto registers its own, so every client
made afterwards carries it: the layer's clients and the ones Powertools makes for itself
(parameters, idempotency). tests/conftest.py imports this module before anything makes a client.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore import handlers


@dataclass(frozen=True)
class AwsCall:
    """One API call: `action` as IAM names it (`dynamodb:UpdateItem`) and the parameters sent."""

    action: str
    params: dict[str, Any]


_lock = threading.Lock()
_recordings: list[list[AwsCall]] = []


def _record(params: dict[str, Any], model: Any, **_: Any) -> None:
    """`provide-client-params`: the caller's parameters, before validation and before moto answers."""
    with _lock:
        if not _recordings:
            return
        prefix = model.service_model.signing_name  # IAM's service prefix: dynamodb, sqs, events, ssm, s3
        call = AwsCall(f"{prefix}:{model.name}", dict(params))
        for calls in _recordings:
            calls.append(call)


@contextmanager
def recording() -> Iterator[list[AwsCall]]:
    """The calls made, from any thread, until the block ends."""
    calls: list[AwsCall] = []
    with _lock:
        _recordings.append(calls)
    try:
        yield calls
    finally:
        with _lock:
            del _recordings[next(i for i, open_calls in enumerate(_recordings) if open_calls is calls)]


handlers.BUILTIN_HANDLERS.append(("provide-client-params", _record))
