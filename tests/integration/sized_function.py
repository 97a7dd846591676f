"""A Lambda handler for the payload limit tests, run by the emulator like any function of the template.

It answers `answer(count, character)` for the `x-answer: <count>:<character>` header of its HTTP
event, and keeps every event it was invoked with in EVENTS.
"""

from __future__ import annotations

from typing import Any

EVENTS: list[dict[str, Any]] = []


def answer(count: int, character: str) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "text/plain; charset=utf-8"}, "body": character * count}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    count, _, character = event["headers"].get("x-answer", "0:x").partition(":")
    return answer(int(count), character)
