"""The table-access core: expressions within DynamoDB's limits, batch requests retried."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from recipients.kernel.aws import dynamodb
from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.kernel.table import BATCH_ATTEMPTS, Table, get_table, parts_of, set_expression


@pytest.fixture
def table(recipients_table: str) -> Table:
    return get_table()


def test_every_update_expression_stays_within_dynamodb_limits() -> None:
    # Given the most attributes one write can carry, and the keys an object write adds
    keys = {"id": "x", "collection": "c", "list_pk": "p", "list_sk": "s", "updated_at": "t"}
    for part in parts_of({f"prop:{i}": "1" for i in range(1000)}):
        expression, names, values = set_expression({**part, **keys})
        # Then each expression is under 4 KB and 300 operators, and every name is a placeholder
        assert len(expression.encode()) < 4096
        assert expression.count("=") < 300
        assert set(names.values()) == {*part, *keys}


def test_batch_get_sends_the_unprocessed_keys_again_until_none_are_left(
    table: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given DynamoDB leaves one of two keys unprocessed the first time
    monkeypatch.setattr("recipients.kernel.table.time.sleep", lambda seconds: None)
    name = table.name
    item = {"pk": {"S": "user#b"}}
    with Stubber(dynamodb()) as stubber:
        stubber.add_response(
            "batch_get_item",
            {"Responses": {name: [{"pk": {"S": "user#a"}}]}, "UnprocessedKeys": {name: {"Keys": [item]}}},
        )
        stubber.add_response(
            "batch_get_item", {"Responses": {name: [item]}}, {"RequestItems": {name: {"Keys": [item]}}}
        )
        # When both are read
        found = table.batch_get(["user#a", "user#b"])
        stubber.assert_no_pending_responses()
    # Then both come back, the second from the retry of exactly what was left
    assert found == [{"pk": {"S": "user#a"}}, item]


def test_batch_write_that_stays_unprocessed_raises_unavailable(table: Table, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("recipients.kernel.table.time.sleep", lambda seconds: None)
    put = {"PutRequest": {"Item": {"pk": {"S": "x"}}}}
    with Stubber(dynamodb()) as stubber:
        for _ in range(BATCH_ATTEMPTS):
            stubber.add_response("batch_write_item", {"UnprocessedItems": {"recipients-test": [put]}})
        with pytest.raises(RecipientsError) as caught:
            table.batch_write([{"pk": {"S": "x"}}])
        stubber.assert_no_pending_responses()
    assert caught.value.kind is ErrorKind.UNAVAILABLE
