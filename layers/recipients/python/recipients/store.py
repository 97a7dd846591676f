"""The one data-access class: DynamoDB behind methods that take and return models.

Key design (see README "Storage"):
- base table, partition key `pk` only: a user is the item `user#<id>`. Get, identify and delete
  each address exactly one item, so each is exactly one request.
- every property is its own attribute (`prop:<name>`, `chan:<channel>`, `pref:<set>`) holding
  JSON text, so identify SETs only the keys sent and values round-trip exactly at any depth.
- the sparse index `by_list` (`list_pk` = `user#<shard>`, `list_sk` = id) spreads users over
  LIST_SHARDS partitions by a stable hash of the id; pages walk the shards in order, so listing
  never scans the table and no single partition takes every write.
- an object is the item `obj#<collection>#<id>` (neither may contain '#'), stored like a user and
  listed through the same index under `obj#<collection>#<shard>`.
- a workflow run is the item `run#<id>`; with a cancellation key it is also in the `by_list` index
  under `cancel#<workflow>#<key>`, which is how cancel finds it.
- bulk operations and their error items are kept by `bulk_store.py`, in the same table.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from recipients import jsontext
from recipients.errors import FieldError, RecipientsError
from recipients.merge import (
    CHANNEL_DATA_PREFIX,
    MAX_ITEM_BYTES,
    MAX_KEYS_PER_WRITE,
    PREFERENCES_PREFIX,
    PROPERTY_PREFIX,
    UpdatePlan,
)
from recipients.models import (
    RecipientObject,
    RecipientRef,
    SkippedRecipient,
    User,
    WorkflowRun,
)
from recipients.validation import check_id, now_timestamp

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb import DynamoDBClient

USER_PREFIX = "user#"
OBJECT_PREFIX = "obj#"
MERGED_PREFIXES = (PROPERTY_PREFIX, CHANNEL_DATA_PREFIX, PREFERENCES_PREFIX)
RUN_PREFIX = "run#"
CANCEL_PREFIX = "cancel#"
BATCH_GET_KEYS = 100
BATCH_WRITE_ITEMS = 25
BATCH_ATTEMPTS = 8
SKIPPED_BYTES = 300_000
"""Listed skipped recipients a run keeps; skipped_count stays exact beyond it."""
LIST_INDEX = "by_list"
LIST_SHARDS = 16
_MAX_CURSOR_LENGTH = 2048  # a cursor holds a shard and an id of at most 256 characters
_RETRYABLE = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}


@dataclass(frozen=True)
class ListPosition:
    """Where a page starts: a shard and the id to continue after (or before)."""

    shard: int
    id: str

    def to_cursor(self) -> str:
        raw = json.dumps([self.shard, self.id], ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, cursor: str, parameter: str) -> ListPosition:
        try:
            if len(cursor) > _MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            shard, user_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if isinstance(shard, int) and 0 <= shard < LIST_SHARDS and isinstance(user_id, str):
                return cls(shard, check_id(user_id))
        except (binascii.Error, ValueError, TypeError, RecursionError):
            pass
        raise RecipientsError.invalid_field(parameter, "is not a cursor returned by this API")


Entry = TypeVar("Entry", User, RecipientObject)


@dataclass(frozen=True)
class Page(Generic[Entry]):
    entries: list[Entry]
    after: str | None
    before: str | None


def list_shard(user_id: str) -> int:
    return zlib.crc32(user_id.encode("utf-8")) % LIST_SHARDS


class Store:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def identify_user(self, user_id: str, plan: UpdatePlan) -> User:
        """One UpdateItem: SET the planned attributes plus id, list keys and updated_at. No read."""
        keys = {"id": user_id, "list_pk": _list_pk(USER_PREFIX, user_id), "list_sk": user_id}
        return _user_from_item(self._upsert(USER_PREFIX + user_id, keys, plan, "user"))

    def get_user(self, user_id: str) -> User | None:
        item = self._get(USER_PREFIX + user_id)
        return _user_from_item(item) if item else None

    def delete_user(self, user_id: str) -> bool:
        """Hard delete in one DeleteItem; False when there was nothing to delete."""
        return self._delete(USER_PREFIX + user_id)

    def set_object(self, collection: str, object_id: str, plan: UpdatePlan) -> RecipientObject:
        """One UpdateItem, as identify_user."""
        prefix = _object_prefix(collection)
        keys = {"id": object_id, "collection": collection, "list_pk": _list_pk(prefix, object_id), "list_sk": object_id}
        return _object_from_item(self._upsert(prefix + object_id, keys, plan, "object"))

    def get_object(self, collection: str, object_id: str) -> RecipientObject | None:
        item = self._get(_object_prefix(collection) + object_id)
        return _object_from_item(item) if item else None

    def delete_object(self, collection: str, object_id: str) -> bool:
        return self._delete(_object_prefix(collection) + object_id)

    def _upsert(self, pk: str, keys: dict[str, str], plan: UpdatePlan, what: str) -> dict[str, Any]:
        """SET the plan's attributes with the keys and updated_at: one UpdateItem per MAX_KEYS_PER_WRITE
        attributes (an identify sends at most that many, so it is one request; a bulk row that
        coalesces several rows of one id may need more). No read, no condition."""
        item: dict[str, Any] = {}
        for part in parts_of(plan.attributes):
            expression, names, values = set_expression({**part, **keys, "updated_at": now_timestamp()})
            try:
                response = self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": pk}},
                    UpdateExpression=expression,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
            except self._client.exceptions.ClientError as exc:
                if error_code(exc) == "ValidationException" and "size" in str(exc).lower():
                    raise _too_large(f"the {what} would exceed the 400 KB item limit; nothing was written") from exc
                raise translate(exc) from exc
            item = response["Attributes"]
        return item

    def _get(self, pk: str) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(TableName=self._table, Key={"pk": {"S": pk}})
        except self._client.exceptions.ClientError as exc:
            raise translate(exc) from exc
        return response.get("Item")

    def _delete(self, pk: str) -> bool:
        try:
            response = self._client.delete_item(TableName=self._table, Key={"pk": {"S": pk}}, ReturnValues="ALL_OLD")
        except self._client.exceptions.ClientError as exc:
            raise translate(exc) from exc
        return bool(response.get("Attributes"))

    def merge_users(self, primary_id: str, secondary_id: str) -> User:
        """Copy into the primary every property, channel and preference set it lacks, delete the secondary.

        Shallow: a key the primary has (even as null) is kept whole. Both items are read; then the
        copies are written MAX_KEYS_PER_WRITE at a time, each write conditioned on the primary not
        having changed since the last, and the last one in a transaction with the secondary's delete,
        conditioned on the secondary not having changed either. A concurrent write makes it fail
        with a conflict; a retry then copies only what is still missing, so it completes the merge.
        """
        primary, secondary = self._user_item(primary_id), self._user_item(secondary_id)
        copied = {
            name: value["S"]
            for name, value in secondary.items()
            if name.startswith(MERGED_PREFIXES) and name not in primary
        }
        merged_bytes = item_bytes(primary) + sum(
            len(name.encode()) + len(text.encode()) for name, text in copied.items()
        )
        if merged_bytes > MAX_ITEM_BYTES:  # refused before any write: a partial merge could never complete
            raise _too_large(
                f"the merged user would take {merged_bytes:,} bytes; a user holds at most 400 KB", "from_user_id"
            )
        seen = primary["updated_at"]["S"]
        *earlier, last = parts_of(copied)
        try:
            for part in earlier:
                seen = self._copy_into(USER_PREFIX + primary_id, part, seen)
            merged_at = now_timestamp()
            expression, names, values = set_expression({**last, "updated_at": merged_at})
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": USER_PREFIX + primary_id}},
                            "UpdateExpression": expression,
                            "ConditionExpression": "updated_at = :seen",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": {**values, ":seen": {"S": seen}},
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": USER_PREFIX + secondary_id}},
                            "ConditionExpression": "updated_at = :seen",
                            "ExpressionAttributeValues": {":seen": secondary["updated_at"]},
                        }
                    },
                ]
            )
        except self._client.exceptions.ClientError as exc:
            reasons = [reason.get("Code") for reason in exc.response.get("CancellationReasons", [])]
            if error_code(exc) == "ConditionalCheckFailedException" or {
                "ConditionalCheckFailed",
                "TransactionConflict",
            } & set(reasons):
                raise RecipientsError.conflict("a user changed while they were being merged; retry") from exc
            if "ValidationError" in reasons:
                raise _too_large("the merged user would exceed the 400 KB item limit", "from_user_id") from exc
            raise translate(exc) from exc
        merged = {**primary, **{name: {"S": text} for name, text in copied.items()}, "updated_at": {"S": merged_at}}
        return _user_from_item(merged)

    def _copy_into(self, pk: str, attributes: dict[str, str], seen: str) -> str:
        """SET `attributes` on condition updated_at is still `seen`; the new updated_at."""
        now = now_timestamp()
        expression, names, values = set_expression({**attributes, "updated_at": now})
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": pk}},
            UpdateExpression=expression,
            ConditionExpression="updated_at = :seen",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**values, ":seen": {"S": seen}},
        )
        return now

    def _user_item(self, user_id: str) -> dict[str, Any]:
        try:
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": USER_PREFIX + user_id}}, ConsistentRead=True
            ).get("Item")
        except self._client.exceptions.ClientError as exc:
            raise translate(exc) from exc
        if not item:
            raise RecipientsError.not_found("user", user_id)
        return item

    def list_users(self, page_size: int, after: str | None = None, before: str | None = None) -> Page[User]:
        return self._list(USER_PREFIX, _user_from_item, page_size, after, before)

    def list_objects(
        self, collection: str, page_size: int, after: str | None = None, before: str | None = None
    ) -> Page[RecipientObject]:
        return self._list(_object_prefix(collection), _object_from_item, page_size, after, before)

    def _list(
        self,
        prefix: str,
        parse: Callable[[dict[str, Any]], Entry],
        page_size: int,
        after: str | None,
        before: str | None,
    ) -> Page[Entry]:
        """A page in (shard, id) order. Reads page_size + 1 items to know whether more follow."""
        if before is not None:
            start = ListPosition.from_cursor(before, "before")
            found = [parse(item) for item in self._walk(prefix, start, page_size + 1, forward=False)]
            has_more = len(found) > page_size
            entries = list(reversed(found[:page_size]))
            return Page(
                entries=entries,
                after=cursor_of(entries[-1]) if entries else None,
                before=cursor_of(entries[0]) if has_more and entries else None,
            )
        after_position = ListPosition.from_cursor(after, "after") if after is not None else None
        found = [parse(item) for item in self._walk(prefix, after_position, page_size + 1, forward=True)]
        entries = found[:page_size]
        return Page(
            entries=entries,
            after=cursor_of(entries[-1]) if len(found) > page_size else None,
            before=cursor_of(entries[0]) if after is not None and entries else None,
        )

    def _walk(self, prefix: str, start: ListPosition | None, limit: int, *, forward: bool) -> Iterator[dict[str, Any]]:
        """Yield up to `limit` items from `start` (exclusive), crossing shards in order."""
        if start is None:
            shards = range(LIST_SHARDS)
        else:
            shards = range(start.shard, LIST_SHARDS) if forward else range(start.shard, -1, -1)
        remaining = limit
        for shard in shards:
            boundary = start.id if start is not None and shard == start.shard else None
            for item in self._query_shard(f"{prefix}{shard:02d}", boundary, remaining, forward=forward):
                yield item
                remaining -= 1
            if remaining == 0:
                return

    def _query_shard(
        self, list_pk: str, boundary: str | None, limit: int, *, forward: bool
    ) -> Iterator[dict[str, Any]]:
        condition = "list_pk = :pk"
        values: dict[str, Any] = {":pk": {"S": list_pk}}
        if boundary is not None:
            condition += " AND list_sk > :sk" if forward else " AND list_sk < :sk"
            values[":sk"] = {"S": boundary}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
        }
        while limit > 0:
            try:
                response = self._client.query(**request, Limit=limit)
            except self._client.exceptions.ClientError as exc:
                raise translate(exc) from exc
            for item in response.get("Items", []):
                yield item
                limit -= 1
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- workflow runs -------------------------------------------------------------------------

    def missing_recipients(self, refs: list[RecipientRef]) -> set[RecipientRef]:
        """The users and objects among `refs` that do not exist: BatchGetItem of their keys only."""
        by_pk = {_recipient_pk(ref): ref for ref in refs}
        found = {item["pk"]["S"] for item in batch_get(self._client, self._table, list(by_pk), projection="pk")}
        return {ref for pk, ref in by_pk.items() if pk not in found}

    def record_run(self, run: WorkflowRun, skipped_count: int, expires_at: int) -> None:
        item: dict[str, Any] = {
            "pk": {"S": RUN_PREFIX + run.id},
            "id": {"S": run.id},
            "workflow_key": {"S": run.workflow_key},
            "status": {"S": run.status},
            "recipient_count": {"N": str(run.recipient_count)},
            "skipped_count": {"N": str(skipped_count)},
            "skipped": {"L": [{"S": text} for text in _within(SKIPPED_BYTES, run.skipped)]},
            "inserted_at": {"S": run.inserted_at},
            "expires_at": {"N": str(expires_at)},
        }
        if run.cancellation_key is not None:
            item["cancellation_key"] = {"S": run.cancellation_key}
            item["list_pk"] = {"S": _cancel_pk(run.workflow_key, run.cancellation_key)}
            item["list_sk"] = {"S": run.id}
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except self._client.exceptions.ClientError as exc:
            raise translate(exc) from exc

    def get_run(self, run_id: str) -> WorkflowRun | None:
        item = self._get(RUN_PREFIX + run_id)
        if item is None:
            return None
        return WorkflowRun(
            id=item["id"]["S"],
            workflow_key=item["workflow_key"]["S"],
            status=item["status"]["S"],
            recipient_count=int(item["recipient_count"]["N"]),
            skipped=[SkippedRecipient.model_validate_json(entry["S"]) for entry in item["skipped"]["L"]],
            cancellation_key=item.get("cancellation_key", {}).get("S"),
            inserted_at=item["inserted_at"]["S"],
            cancelled_at=item.get("cancelled_at", {}).get("S"),
            cancelled_recipients=[
                RecipientRef.model_validate_json(text)
                for text in sorted(item.get("cancelled_recipients", {}).get("SS", []))
            ],
        )

    def runs_with_cancellation_key(self, workflow_key: str, cancellation_key: str) -> list[str]:
        """Ids of the runs of `workflow_key` triggered with `cancellation_key`."""
        pk = _cancel_pk(workflow_key, cancellation_key)
        return [item["list_sk"]["S"] for item in self._query_shard(pk, None, limit=10_000, forward=True)]

    def cancel_run(self, run_id: str, recipients: list[RecipientRef] | None) -> None:
        """Mark the whole run cancelled, or add `recipients` to the ones cancelled in it."""
        values: dict[str, Any] = {":now": {"S": now_timestamp()}}
        if recipients is None:
            update = "SET #status = :cancelled, cancelled_at = if_not_exists(cancelled_at, :now)"
            values[":cancelled"] = {"S": "cancelled"}
        else:
            update = "ADD cancelled_recipients :refs SET updated_at = :now"
            values[":refs"] = {"SS": sorted({ref.model_dump_json() for ref in recipients})}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": RUN_PREFIX + run_id}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"} if recipients is None else {},
                ExpressionAttributeValues=values,
            )
        except self._client.exceptions.ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":  # expired in between: nothing to cancel
                return
            raise translate(exc) from exc


def _within(budget: int, items: list[SkippedRecipient]) -> list[str]:
    """The JSON of the first items that fit in `budget` bytes (an item holds at most 400 KB)."""
    texts: list[str] = []
    for item in items:
        text = item.model_dump_json()
        budget -= len(text.encode())
        if budget < 0:
            break
        texts.append(text)
    return texts


def parts_of(attributes: dict[str, str], size: int = MAX_KEYS_PER_WRITE) -> list[dict[str, str]]:
    """`attributes` in consecutive parts of at most `size` (one empty part when there are none).

    With the keys and updated_at around it, a part is at most MAX_KEYS_PER_WRITE + 5 SET actions:
    under DynamoDB's 300 operators an expression, and (see `set_expression`) under its 4 KB length.
    """
    names = list(attributes)
    return [
        {name: attributes[name] for name in names[start : start + size]} for start in range(0, len(names), size)
    ] or [{}]


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


def _too_large(message: str, field: str = "properties") -> RecipientsError:
    return RecipientsError.invalid([FieldError(field, message)], code="properties_too_large")


def _recipient_pk(ref: RecipientRef) -> str:
    return USER_PREFIX + ref.id if ref.collection is None else _object_prefix(ref.collection) + ref.id


def _cancel_pk(workflow_key: str, cancellation_key: str) -> str:
    return f"{CANCEL_PREFIX}{workflow_key}#{cancellation_key}"


def _object_prefix(collection: str) -> str:
    return f"{OBJECT_PREFIX}{collection}#"


def _list_pk(prefix: str, recipient_id: str) -> str:
    return f"{prefix}{list_shard(recipient_id):02d}"


def cursor_of(entry: User | RecipientObject) -> str:
    """The cursor of the position just after (or, as `before`, just before) `entry` in a list."""
    return ListPosition(list_shard(entry.id), entry.id).to_cursor()


def _user_from_item(item: dict[str, Any]) -> User:
    fields: dict[str, Any] = {"id": item["id"]["S"], "updated_at": item["updated_at"]["S"]}
    for name, value in item.items():
        if name.startswith(PROPERTY_PREFIX):
            fields[name[len(PROPERTY_PREFIX) :]] = jsontext.loads(value["S"])
    return User.model_validate(fields)


def _object_from_item(item: dict[str, Any]) -> RecipientObject:
    properties = {
        name[len(PROPERTY_PREFIX) :]: jsontext.loads(value["S"])
        for name, value in item.items()
        if name.startswith(PROPERTY_PREFIX)
    }
    return RecipientObject(
        id=item["id"]["S"],
        collection=item["collection"]["S"],
        created_at=properties.pop("created_at", None),
        updated_at=item["updated_at"]["S"],
        properties=properties,
    )


def batch_get(
    client: DynamoDBClient, table: str, pks: list[str], *, projection: str | None = None, consistent: bool = False
) -> list[dict[str, Any]]:
    """The items of `table` with these keys that exist: BatchGetItem, 100 keys a request, unprocessed keys retried."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(pks), BATCH_GET_KEYS):
        keys: dict[str, Any] = {"Keys": [{"pk": {"S": pk}} for pk in pks[start : start + BATCH_GET_KEYS]]}
        if projection is not None:
            keys["ProjectionExpression"] = projection
        if consistent:
            keys["ConsistentRead"] = True
        for response in _until_processed(client, client.batch_get_item, {table: keys}, "UnprocessedKeys"):
            found.extend(response.get("Responses", {}).get(table, []))
    return found


def batch_write(client: DynamoDBClient, table: str, items: list[dict[str, Any]]) -> None:
    """Put every item: BatchWriteItem, 25 items a request, unprocessed items retried."""
    for start in range(0, len(items), BATCH_WRITE_ITEMS):
        puts = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_ITEMS]]
        _until_processed(client, client.batch_write_item, {table: puts}, "UnprocessedItems")


def _until_processed(
    client: DynamoDBClient, send: Callable[..., Any], request: dict[str, Any], unprocessed: str
) -> list[dict[str, Any]]:
    """Send a batch request again with what DynamoDB left unprocessed, backing off, until nothing is left."""
    responses: list[dict[str, Any]] = []
    for attempt in range(BATCH_ATTEMPTS):
        if attempt:
            time.sleep(min(1.0, 0.05 * 2**attempt))
        try:
            response = send(RequestItems=request)
        except client.exceptions.ClientError as exc:
            raise translate(exc) from exc
        responses.append(response)
        request = dict(response.get(unprocessed) or {})
        if not request:
            return responses
    raise RecipientsError.unavailable("the recipients table is busy; retry with backoff")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: ClientError) -> Exception:
    """Throttling becomes a retryable 503; anything else stays an unexpected error (500)."""
    if error_code(exc) in _RETRYABLE:
        return RecipientsError.unavailable("the recipients table is busy; retry with backoff")
    return exc


@lru_cache(maxsize=1)
def get_store() -> Store:
    from recipients.aws import dynamodb
    from recipients.settings import table_settings

    return Store(dynamodb(), table_settings().recipients_table_name)
