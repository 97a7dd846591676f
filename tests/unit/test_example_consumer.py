"""The example consumer (examples/consumer/) handles each part of a run once, whatever EventBridge redelivers."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "consumer"


@pytest.fixture
def consumer(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    boto3.client("dynamodb").create_table(
        TableName="seen-parts",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "run_part", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "run_part", "KeyType": "HASH"}],
    )
    monkeypatch.setenv("SEEN_PARTS_TABLE", "seen-parts")
    spec = importlib.util.spec_from_file_location("example_consumer", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module


def event(part: int, recipients: list[dict[str, Any]]) -> dict[str, Any]:
    detail = {"workflow_key": "new-comment", "workflow_run_id": "r1", "part": part, "parts": 2}
    return {"source": "recipients", "detail-type": "workflow.triggered", "detail": {**detail, "recipients": recipients}}


def test_a_part_delivered_twice_is_handled_once_and_the_next_part_still_is(
    consumer: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    first = event(1, [{"id": "ada"}, {"id": "p1", "collection": "projects"}])

    assert consumer.lambda_handler(first, None) == {"delivered": "r1#1"}
    assert consumer.lambda_handler(first, None) == {"skipped": "r1#1"}
    assert consumer.lambda_handler(event(2, [{"id": "bob"}]), None) == {"delivered": "r1#2"}

    assert capsys.readouterr().out.splitlines() == [
        "new-comment run r1 part 1: ada",
        "new-comment run r1 part 1: projects/p1",
        "new-comment run r1 part 2: bob",
    ]


def test_a_part_whose_handling_failed_is_handled_by_the_retry(
    consumer: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(detail: dict[str, Any]) -> None:
        raise RuntimeError("the mail provider is down")

    with monkeypatch.context() as patch:
        patch.setattr(consumer, "deliver", failing)
        with pytest.raises(RuntimeError):
            consumer.lambda_handler(event(1, [{"id": "ada"}]), None)

    assert consumer.lambda_handler(event(1, [{"id": "ada"}]), None) == {"delivered": "r1#1"}
