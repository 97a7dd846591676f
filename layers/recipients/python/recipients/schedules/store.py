"""Storage of schedules: the schedule item, listed under its workflow's shards, and one item per
recipient listed under the recipient by when it was made (kernel/keys.py).

- Writing schedules is one BatchWriteItem per 12 schedules (two items each); reading them one
  BatchGetItem per 100. Neither list reads the other: the recipient's item carries the workflow and
  tenant its filters need, and the schedule's id, which a page then reads in one BatchGetItem.
- A firing advances a schedule with one conditional UpdateItem: only the firing of the occurrence the
  schedule is armed for succeeds, so a firing delivered twice advances it once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.keys import (
    LIST_SHARDS,
    list_shard,
    recipient_schedule_pk,
    recipient_schedules_pk,
    schedule_pk,
    workflow_schedules_pk,
)
from recipients.kernel.listing import ShardedList
from recipients.kernel.table import ConditionFailed, Table, get_table

_OPTIONAL = ("actor_key", "tenant", "data", "scheduled_at", "ending_at", "last_occurrence_at", "next_occurrence_at")


class StoredSchedule(NamedTuple):
    id: str
    workflow: str
    recipient: RecipientRef
    repeats: list[dict[str, Any]]
    inserted_at: str
    updated_at: str
    actor: RecipientRef | None = None
    tenant: str | None = None
    data: dict[str, Any] | None = None
    scheduled_at: str | None = None
    ending_at: str | None = None
    last_occurrence_at: str | None = None
    next_occurrence_at: str | None = None


def schedule_from_item(item: dict[str, Any]) -> StoredSchedule:
    values = {name: item[name]["S"] for name in _OPTIONAL if name in item}
    actor_key = values.pop("actor_key", None)
    data = values.pop("data", None)
    return StoredSchedule(
        id=item["id"]["S"],
        workflow=item["workflow"]["S"],
        recipient=RecipientRef.from_key(item["recipient_key"]["S"]),
        repeats=jsontext.loads(item["repeats"]["S"]),
        inserted_at=item["inserted_at"]["S"],
        updated_at=item["updated_at"]["S"],
        actor=RecipientRef.from_key(actor_key) if actor_key is not None else None,
        data=jsontext.loads(data) if data is not None else None,
        **values,
    )


def schedule_item(schedule: StoredSchedule) -> dict[str, Any]:
    """The schedule's own item, as listed under its workflow."""
    values: dict[str, str | None] = {
        "id": schedule.id,
        "workflow": schedule.workflow,
        "recipient_key": schedule.recipient.key(),
        "repeats": jsontext.dumps(schedule.repeats),
        "inserted_at": schedule.inserted_at,
        "updated_at": schedule.updated_at,
        "actor_key": schedule.actor.key() if schedule.actor is not None else None,
        "tenant": schedule.tenant,
        "data": jsontext.dumps(schedule.data) if schedule.data is not None else None,
        "scheduled_at": schedule.scheduled_at,
        "ending_at": schedule.ending_at,
        "last_occurrence_at": schedule.last_occurrence_at,
        "next_occurrence_at": schedule.next_occurrence_at,
    }
    item = {name: {"S": value} for name, value in values.items() if value is not None}
    item["pk"] = {"S": schedule_pk(schedule.id)}
    item["list_pk"] = {"S": workflow_schedules_pk(schedule.workflow, list_shard(schedule.id))}
    item["list_sk"] = {"S": schedule.id}
    return item


def _recipient_item(schedule: StoredSchedule) -> dict[str, Any]:
    recipient_key = schedule.recipient.key()
    item = {
        "pk": {"S": recipient_schedule_pk(recipient_key, schedule.id)},
        "list_pk": {"S": recipient_schedules_pk(recipient_key)},
        "list_sk": {"S": f"{schedule.inserted_at}/{schedule.id}"},
        "schedule_id": {"S": schedule.id},
        "workflow": {"S": schedule.workflow},
    }
    if schedule.tenant is not None:
        item["tenant"] = {"S": schedule.tenant}
    return item


def _check_schedule_id(value: str) -> str:
    if len(value) != 36:
        raise ValueError("is not a schedule id")
    return value


def _check_recipient_place(value: str) -> str:
    inserted_at, _, schedule_id = value.partition("/")
    if not inserted_at or len(schedule_id) != 36:
        raise ValueError("is not a schedule's place")
    return value


class ScheduleStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(self, schedules: list[StoredSchedule]) -> None:
        """Write each schedule whole, with its recipient's item."""
        self._table.batch_write([item for each in schedules for item in (schedule_item(each), _recipient_item(each))])

    def get_many(self, schedule_ids: list[str]) -> dict[str, StoredSchedule]:
        """The schedules with these ids that exist (consistent reads), by id."""
        unique = list(dict.fromkeys(schedule_ids))
        items = self._table.batch_get([schedule_pk(entry) for entry in unique], consistent=True)
        return {item["id"]["S"]: schedule_from_item(item) for item in items}

    def get(self, schedule_id: str) -> StoredSchedule | None:
        item = self._table.get(schedule_pk(schedule_id), consistent=True)
        return schedule_from_item(item) if item is not None else None

    def remove(self, schedules: list[StoredSchedule]) -> None:
        pks = [schedule_pk(entry.id) for entry in schedules]
        pks += [recipient_schedule_pk(entry.recipient.key(), entry.id) for entry in schedules]
        self._table.batch_delete(pks)

    def advance(self, schedule_id: str, occurrence: str, following: str | None, now: str) -> bool:
        """Record `occurrence` as the last and `following` as the next, if the schedule is still armed for
        `occurrence`; False when it is not (deleted, changed, or another firing got there first)."""
        names = {"#next": "next_occurrence_at", "#last": "last_occurrence_at", "#updated": "updated_at"}
        values: dict[str, Any] = {":occurrence": {"S": occurrence}, ":now": {"S": now}}
        expression = "SET #last = :occurrence, #updated = :now"
        if following is None:
            expression += " REMOVE #next"
        else:
            expression = expression.replace("SET ", "SET #next = :following, ")
            values[":following"] = {"S": following}
        try:
            self._table.update(
                schedule_pk(schedule_id),
                UpdateExpression=expression,
                ConditionExpression="#next = :occurrence",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:
            return False
        return True

    def by_workflow(self, workflow_key: str) -> ShardedList:
        partitions = [workflow_schedules_pk(workflow_key, shard) for shard in range(LIST_SHARDS)]
        return ShardedList(self._table, partitions, check=_check_schedule_id)

    def by_recipient(self, recipient: RecipientRef) -> ShardedList:
        """A recipient's schedules by when they were made (one partition; pages walk it newest first)."""
        return ShardedList(self._table, [recipient_schedules_pk(recipient.key())], check=_check_recipient_place)


@lru_cache(maxsize=1)
def get_schedule_store() -> ScheduleStore:
    return ScheduleStore(get_table())
