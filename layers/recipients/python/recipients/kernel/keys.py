"""The table's key scheme: every kind of item the service stores, planned in one place (README "Storage").

- One table, partition key `pk` only. A user is `user#<id>`, an object `obj#<collection>#<id>`
  (neither part may contain '#'), a workflow run `run#<id>`, a bulk operation `bulkop#<id>` and its
  error pages `bulkerr#<operation id>#<page>`.
- The sparse index `by_list` (`list_pk`, `list_sk`) lists what is listed: users under
  `user#<shard>` and objects under `obj#<collection>#<shard>`, spread over LIST_SHARDS partitions
  by a stable hash of the id (pages walk the shards in order: no scan, no hot partition); runs with
  a cancellation key under `cancel#<workflow>#<key>`, which is how cancel finds them.
- A subscription is two items, one per direction, so both lists are a `Query` (subscriptions.store):
  `sub#<object key>/<recipient key>`, listed under `sub#<object key>#<shard>` (users over
  LIST_SHARDS shards by their key's hash, objects under the shard `ob`: no hot partition for an
  object with a million subscribers, and its object subscribers first), and
  `subof#<recipient key>/<object key>`, listed under `subof#<recipient key>` by when it was made.
  Keys hold no '/' (ids cannot), so '/' parts them. A fan-out's claims on recipients are
  `claim#<run id>/<recipient key>`.
- An audience is `aud#<key>` (it exists once created), and each of its members, a user with a
  tenant or none, `audmem#<key>#<user id>#<tenant or nothing>`: one item per (user, tenant), listed
  under `audmem#<key>#<shard>` by (user id, tenant), the shard a stable hash of the user id.
- The change-event stream consumer's checkpoints are `streamchk#<stream record's event id>`: what the
  deliveries starting at that record already put on the bus (changes/checkpoint.py).
- A schedule is `sched#<id>`, listed under its workflow, `schedwf#<workflow>#<shard>` (LIST_SHARDS
  shards by a stable hash of the id: a workflow may hold a million schedules), and one item per
  recipient, `schedof#<recipient key>/<id>`, listed under `schedof#<recipient key>` by when it was
  made, which is how a recipient's schedules are listed, re-timed and deleted.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

from recipients.kernel.errors import RecipientsError
from recipients.kernel.rules import check_id

USER_PREFIX = "user#"
OBJECT_PREFIX = "obj#"
RUN_PREFIX = "run#"
CANCEL_PREFIX = "cancel#"
OPERATION_PREFIX = "bulkop#"
ERROR_PAGE_PREFIX = "bulkerr#"
AUDIENCE_PREFIX = "aud#"
MEMBER_PREFIX = "audmem#"
LIST_INDEX = "by_list"
LIST_SHARDS = 16
SUBSCRIPTION_PREFIX = "sub#"
SUBSCRIBED_PREFIX = "subof#"
CLAIM_PREFIX = "claim#"
CHECKPOINT_PREFIX = "streamchk#"
SCHEDULE_PREFIX = "sched#"
WORKFLOW_SCHEDULES_PREFIX = "schedwf#"
RECIPIENT_SCHEDULES_PREFIX = "schedof#"
OBJECT_SUBSCRIBERS_SHARD = "ob"
SUBSCRIBER_SHARDS = (OBJECT_SUBSCRIBERS_SHARD, *(f"{shard:02d}" for shard in range(LIST_SHARDS)))
"""The partitions of an object's subscribers, in list order: its object subscribers, then users'."""
_MAX_CURSOR_LENGTH = 2048  # a cursor holds a shard and a sort key: an id, or a recipient key and a time
_MAX_MEMBER_CURSOR_LENGTH = 4096  # a shard, a user id and a tenant id


def object_prefix(collection: str) -> str:
    return f"{OBJECT_PREFIX}{collection}#"


def recipient_pk(recipient_id: str, collection: str | None = None) -> str:
    """A user's item (no collection) or an object's."""
    return USER_PREFIX + recipient_id if collection is None else object_prefix(collection) + recipient_id


def list_shard(recipient_id: str) -> int:
    return zlib.crc32(recipient_id.encode("utf-8")) % LIST_SHARDS


def list_pk(prefix: str, recipient_id: str) -> str:
    """Where a recipient is listed: its kind's prefix (USER_PREFIX, or `object_prefix`) and its shard."""
    return f"{prefix}{list_shard(recipient_id):02d}"


def cancel_pk(workflow_key: str, cancellation_key: str) -> str:
    return f"{CANCEL_PREFIX}{workflow_key}#{cancellation_key}"


def error_page_pk(operation_id: str, page: str) -> str:
    return f"{ERROR_PAGE_PREFIX}{operation_id}#{page}"


def split_recipient_pk(key: str) -> tuple[str, str | None]:
    """(id, collection) of a `recipient_pk` (collection None for a user); ValueError when it is not one."""
    if key.startswith(USER_PREFIX):
        return check_id(key.removeprefix(USER_PREFIX)), None
    collection, _, object_id = key.removeprefix(OBJECT_PREFIX).partition("#")
    if not key.startswith(OBJECT_PREFIX) or not object_id:
        raise ValueError("is not a recipient key")
    return check_id(object_id), check_id(collection)


def subscription_pk(object_key: str, recipient_key: str) -> str:
    """An object's subscription of one recipient; both are `recipient_pk`s."""
    return f"{SUBSCRIPTION_PREFIX}{object_key}/{recipient_key}"


def subscribed_pk(recipient_key: str, object_key: str) -> str:
    """The same subscription seen from the recipient."""
    return f"{SUBSCRIBED_PREFIX}{recipient_key}/{object_key}"


def subscriber_shard(recipient_key: str) -> str:
    if recipient_key.startswith(OBJECT_PREFIX):
        return OBJECT_SUBSCRIBERS_SHARD
    return f"{zlib.crc32(recipient_key.encode('utf-8')) % LIST_SHARDS:02d}"


def subscribers_list_pk(object_key: str, shard: str) -> str:
    return f"{SUBSCRIPTION_PREFIX}{object_key}#{shard}"


def subscribed_list_pk(recipient_key: str) -> str:
    return f"{SUBSCRIBED_PREFIX}{recipient_key}"


def claim_pk(run_id: str, recipient_key: str) -> str:
    return f"{CLAIM_PREFIX}{run_id}/{recipient_key}"


def checkpoint_pk(event_id: str) -> str:
    return CHECKPOINT_PREFIX + event_id


def audience_pk(audience_key: str) -> str:
    return AUDIENCE_PREFIX + audience_key


def member_sk(user_id: str, tenant: str | None) -> str:
    """A member's place within its shard: by user id, then tenant (none first)."""
    return f"{user_id}#{tenant or ''}"


def member_pk(audience_key: str, user_id: str, tenant: str | None) -> str:
    return f"{MEMBER_PREFIX}{audience_key}#{member_sk(user_id, tenant)}"


def member_list_pk(audience_key: str, shard: int) -> str:
    return f"{MEMBER_PREFIX}{audience_key}#{shard:02d}"


def schedule_pk(schedule_id: str) -> str:
    return SCHEDULE_PREFIX + schedule_id


def workflow_schedules_pk(workflow_key: str, shard: int) -> str:
    """One shard of a workflow's schedules; a schedule's shard is `list_shard` of its id."""
    return f"{WORKFLOW_SCHEDULES_PREFIX}{workflow_key}#{shard:02d}"


def recipient_schedule_pk(recipient_key: str, schedule_id: str) -> str:
    return f"{RECIPIENT_SCHEDULES_PREFIX}{recipient_key}/{schedule_id}"


def recipient_schedules_pk(recipient_key: str) -> str:
    return RECIPIENT_SCHEDULES_PREFIX + recipient_key


class ListPosition(NamedTuple):
    """Where a page starts: a shard and the id to continue after (or before)."""

    shard: int
    id: str

    def to_cursor(self) -> str:
        return _encode_cursor([self.shard, self.id])

    @classmethod
    def from_cursor(
        cls, cursor: str, parameter: str, *, shards: int = LIST_SHARDS, check: Callable[[str], str] = check_id
    ) -> ListPosition:
        """The position a cursor holds: a shard below `shards` and a sort key `check` accepts."""
        try:
            shard, recipient_id = _decode_cursor(cursor, _MAX_CURSOR_LENGTH)
            if _is_shard(shard, shards) and isinstance(recipient_id, str):
                return cls(shard, check(recipient_id))
        except (binascii.Error, ValueError, TypeError, RecursionError):
            pass
        raise _not_a_cursor(parameter)


class MemberPosition(NamedTuple):
    """Where a page of an audience's members starts: a shard and the member to continue after (or before)."""

    shard: int
    user_id: str
    tenant: str | None

    @property
    def sort_key(self) -> str:
        return member_sk(self.user_id, self.tenant)

    def to_cursor(self) -> str:
        return _encode_cursor([self.shard, self.user_id, self.tenant])

    @classmethod
    def of(cls, user_id: str, tenant: str | None) -> MemberPosition:
        return cls(list_shard(user_id), user_id, tenant)

    @classmethod
    def from_cursor(cls, cursor: str, parameter: str) -> MemberPosition:
        try:
            shard, user_id, tenant = _decode_cursor(cursor, _MAX_MEMBER_CURSOR_LENGTH)
            if _is_shard(shard) and isinstance(user_id, str) and (tenant is None or isinstance(tenant, str)):
                return cls(shard, check_id(user_id), None if tenant is None else check_id(tenant))
        except (binascii.Error, ValueError, TypeError, RecursionError):
            pass
        raise _not_a_cursor(parameter)


def _encode_cursor(parts: list[object]) -> str:
    raw = json.dumps(parts, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, max_length: int) -> Any:
    if len(cursor) > max_length:
        raise ValueError("too long")
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _is_shard(value: object, shards: int = LIST_SHARDS) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < shards


def _not_a_cursor(parameter: str) -> RecipientsError:
    return RecipientsError.invalid_field(parameter, "is not a cursor returned by this API")


def cursor_of(recipient_id: str) -> str:
    """The cursor of the position just after (or, as `before`, just before) this recipient in a list."""
    return ListPosition(list_shard(recipient_id), recipient_id).to_cursor()
