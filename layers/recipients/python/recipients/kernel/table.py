"""The one table-access core every feature's storage is built on: attributes in, items out.

DynamoDB's failures become the service's at this boundary: throttling a retryable 503, a failed
condition `ConditionFailed`, an item past 400 KB `ItemTooLarge`; anything else stays an unexpected
error (a 500). Features know their key scheme (kernel/keys.py) and their items, never boto3's errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from recipients.kernel.errors import RecipientsError
from recipients.kernel.keys import LIST_INDEX

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_ITEM_BYTES = 400 * 1024
"""DynamoDB's cap on one item, attribute names and values together."""
MAX_SET_ATTRIBUTES = 250
"""Attributes one UpdateItem sets, besides a few keys: under DynamoDB's 300 operators and 4 KB of
expression (see `set_expression`)."""
BATCH_GET_KEYS = 100
BATCH_WRITE_ITEMS = 25
BATCH_ATTEMPTS = 8
_RETRYABLE = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}


class ConditionFailed(Exception):
    """A conditional write's condition did not hold. `item` is the item as it was, when it was asked for."""

    def __init__(self, item: dict[str, Any] | None = None) -> None:
        super().__init__("condition failed")
        self.item = item


class ItemTooLarge(Exception):
    """The write would take an item past DynamoDB's 400 KB."""


class Table:
    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, pk: str, *, consistent: bool = False, names: list[str] | None = None) -> dict[str, Any] | None:
        """One GetItem: the item, or only the attributes `names` (and `pk`, so that an item holding none of
        them still reads as existing); None when there is no item."""
        projection: dict[str, Any] = {}
        if names is not None:
            placeholders = {f"#p{i}": name for i, name in enumerate(names)}
            projection = {"ProjectionExpression": ",".join(["pk", *placeholders])}
            if placeholders:
                projection["ExpressionAttributeNames"] = placeholders
        with _translated():
            response = self.client.get_item(
                TableName=self.name, Key={"pk": {"S": pk}}, ConsistentRead=consistent, **projection
            )
        return response.get("Item")

    def put(self, item: dict[str, Any]) -> None:
        with _translated():
            self.client.put_item(TableName=self.name, Item=item)

    def update(self, pk: str, **arguments: Any) -> dict[str, Any]:
        """One UpdateItem of the item `pk` (arguments as boto3 takes them); the attributes it returns."""
        with _translated():
            response = self.client.update_item(TableName=self.name, Key={"pk": {"S": pk}}, **arguments)
        return dict(response.get("Attributes", {}))

    def set_attributes(self, pk: str, attributes: dict[str, str], **arguments: Any) -> dict[str, Any]:
        """SET string attributes (at most MAX_SET_ATTRIBUTES and a few keys) in one UpdateItem."""
        expression, names, values = set_expression(attributes)
        values.update(arguments.pop("ExpressionAttributeValues", {}))
        return self.update(
            pk,
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            **arguments,
        )

    def delete(self, pk: str) -> bool:
        """One DeleteItem; False when there was nothing to delete."""
        with _translated():
            response = self.client.delete_item(TableName=self.name, Key={"pk": {"S": pk}}, ReturnValues="ALL_OLD")
        return bool(response.get("Attributes"))

    def transact(self, items: list[dict[str, Any]]) -> None:
        """TransactWriteItems; any action's failed condition (or a conflicting write) is ConditionFailed."""
        try:
            self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except self.client.exceptions.ClientError as exc:
            reasons = {reason.get("Code") for reason in exc.response.get("CancellationReasons", [])}
            if {"ConditionalCheckFailed", "TransactionConflict"} & reasons:
                raise ConditionFailed() from exc
            if "ValidationError" in reasons:
                raise ItemTooLarge() from exc
            raise translate(exc) from exc

    def query_list(self, list_pk: str, boundary: str | None, limit: int, *, forward: bool) -> Iterator[dict[str, Any]]:
        """Up to `limit` items listed under `list_pk` in the `by_list` index, after (or before) `boundary`."""
        condition = "list_pk = :pk"
        values: dict[str, Any] = {":pk": {"S": list_pk}}
        if boundary is not None:
            condition += " AND list_sk > :sk" if forward else " AND list_sk < :sk"
            values[":sk"] = {"S": boundary}
        request: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
        }
        while limit > 0:
            with _translated():
                response = self.client.query(**request, Limit=limit)
            for item in response.get("Items", []):
                yield item
                limit -= 1
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def batch_get(
        self,
        pks: list[str],
        *,
        projection: str | None = None,
        names: list[str] | None = None,
        consistent: bool = False,
    ) -> list[dict[str, Any]]:
        """The items with these keys that exist: BatchGetItem, 100 keys a request, unprocessed keys retried.
        `names` projects each item on `pk` and those attributes, as `get` does."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(pks), BATCH_GET_KEYS):
            keys: dict[str, Any] = {"Keys": [{"pk": {"S": pk}} for pk in pks[start : start + BATCH_GET_KEYS]]}
            if names is not None:
                placeholders = {f"#p{i}": name for i, name in enumerate(names)}
                keys["ProjectionExpression"] = ",".join(["pk", *placeholders])
                if placeholders:
                    keys["ExpressionAttributeNames"] = placeholders
            elif projection is not None:
                keys["ProjectionExpression"] = projection
            if consistent:
                keys["ConsistentRead"] = True
            for response in self._until_processed(self.client.batch_get_item, {self.name: keys}, "UnprocessedKeys"):
                found.extend(response.get("Responses", {}).get(self.name, []))
        return found

    def batch_write(self, items: list[dict[str, Any]]) -> None:
        """Put every item: BatchWriteItem, 25 items a request, unprocessed items retried."""
        for start in range(0, len(items), BATCH_WRITE_ITEMS):
            puts = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_ITEMS]]
            self._until_processed(self.client.batch_write_item, {self.name: puts}, "UnprocessedItems")

    def batch_delete(self, pks: list[str]) -> None:
        """Delete every item with these keys (there or not): BatchWriteItem, 25 keys a request, unprocessed retried."""
        for start in range(0, len(pks), BATCH_WRITE_ITEMS):
            deletes = [{"DeleteRequest": {"Key": {"pk": {"S": pk}}}} for pk in pks[start : start + BATCH_WRITE_ITEMS]]
            self._until_processed(self.client.batch_write_item, {self.name: deletes}, "UnprocessedItems")

    def _until_processed(
        self, send: Callable[..., Any], request: dict[str, Any], unprocessed: str
    ) -> list[dict[str, Any]]:
        """Send a batch request again with what DynamoDB left unprocessed, backing off, until nothing is left."""
        responses: list[dict[str, Any]] = []
        for attempt in range(BATCH_ATTEMPTS):
            if attempt:
                time.sleep(min(1.0, 0.05 * 2**attempt))
            with _translated():
                response = send(RequestItems=request)
            responses.append(response)
            request = dict(response.get(unprocessed) or {})
            if not request:
                return responses
        raise RecipientsError.unavailable("the recipients table is busy; retry with backoff")


@contextmanager
def _translated() -> Iterator[None]:
    """DynamoDB's errors as the service's, for the request made inside the block. botocore's
    ClientError is recognised by its `response`, so that importing this module loads no botocore."""
    try:
        yield
    except Exception as error:
        response = getattr(error, "response", None)
        if not (isinstance(response, dict) and "Error" in response):
            raise
        code = str(response["Error"].get("Code", ""))
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(response.get("Item")) from error
        if code == "ValidationException" and "size" in str(error).lower():
            raise ItemTooLarge() from error
        if code in _RETRYABLE:
            raise RecipientsError.unavailable("the recipients table is busy; retry with backoff") from error
        raise


def parts_of(attributes: dict[str, str], size: int = MAX_SET_ATTRIBUTES) -> list[dict[str, str]]:
    """`attributes` in consecutive parts of at most `size` (one empty part when there are none)."""
    names = list(attributes)
    parts = [{name: attributes[name] for name in names[start : start + size]} for start in range(0, len(names), size)]
    return parts or [{}]


def set_expression(attributes: dict[str, str]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """`SET #a0=:v0,...`: every name and value a placeholder, so custom names can never clash with
    DynamoDB's syntax or reserved words. 255 actions take about 3.3 KB of expression."""
    names = {f"#a{i}": name for i, name in enumerate(attributes)}
    values = {f":v{i}": {"S": value} for i, value in enumerate(attributes.values())}
    return "SET " + ",".join(f"#a{i}=:v{i}" for i in range(len(attributes))), names, values


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it (names and values in UTF-8), for items of strings and numbers."""
    size = 0
    for name, value in item.items():
        text = value.get("S", value.get("N", ""))
        size += len(name.encode()) + len(str(text).encode())
    return size


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: ClientError) -> Exception:
    """Throttling becomes a retryable 503; anything else stays an unexpected error (500)."""
    if error_code(exc) in _RETRYABLE:
        return RecipientsError.unavailable("the recipients table is busy; retry with backoff")
    return exc


@lru_cache(maxsize=1)
def get_table() -> Table:
    """The recipients table, once per container (its client is made here, on first use)."""
    from recipients.kernel.aws import dynamodb
    from recipients.kernel.settings import table_settings

    return Table(dynamodb(), table_settings().recipients_table_name)
