"""Storage of workflow runs: items `run#<id>`, and with a cancellation key listed under
`cancel#<workflow>#<key>` in the `by_list` index, which is how cancel finds them (kernel/keys.py)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.keys import RUN_PREFIX, cancel_pk, claim_pk
from recipients.kernel.rules import now_timestamp
from recipients.kernel.table import ConditionFailed, Table, get_table
from recipients.workflows.models import SkippedRecipient, WorkflowRun

SKIPPED_BYTES = 300_000
"""Listed skipped recipients a run keeps; skipped_count stays exact beyond it."""


class FanoutState(NamedTuple):
    """How far a run's fan-out is: the last part recorded, the walk's range for it (start exclusive, end
    inclusive), whether it was the last, and the recipients of the fan-out so far."""

    part: int
    start: list[Any]
    end: list[Any]
    done: bool
    recipients: int


class RunStore:
    def __init__(self, table: Table) -> None:
        self._table = table

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
            item["list_pk"] = {"S": cancel_pk(run.workflow_key, run.cancellation_key)}
            item["list_sk"] = {"S": run.id}
        self._table.put(item)

    def get_run(self, run_id: str) -> WorkflowRun | None:
        item = self._table.get(RUN_PREFIX + run_id)
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
        listed = self._table.query_list(cancel_pk(workflow_key, cancellation_key), None, limit=10_000, forward=True)
        return [item["list_sk"]["S"] for item in listed]

    def fanout_state(self, run_id: str) -> FanoutState | None:
        """Where the run's fan-out stands (consistent read); None before its first part is recorded."""
        item = self._table.get(RUN_PREFIX + run_id, consistent=True, names=["fanout"])
        if item is None or "fanout" not in item:
            return None
        return FanoutState(*jsontext.loads(item["fanout"]["S"]))

    def record_fanout(self, run_id: str, state: FanoutState, previous_part: int | None) -> bool:
        """Record the next part's range before it is put, if no other expander recorded it first; the
        last part also settles the run's recipient count. False when another expander got there first."""
        values: dict[str, Any] = {":state": {"S": jsontext.dumps(list(state))}, ":part": {"N": str(state.part)}}
        update = "SET fanout = :state, fanout_part = :part"
        if state.done:
            update += ", recipient_count = recipient_count + :count"
            values[":count"] = {"N": str(state.recipients)}
        if previous_part is None:
            condition = "attribute_exists(pk) AND attribute_not_exists(fanout_part)"
        else:
            condition = "fanout_part = :previous"
            values[":previous"] = {"N": str(previous_part)}
        try:
            self._table.update(
                RUN_PREFIX + run_id,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:
            return False
        return True

    def claim(self, run_id: str, recipient_key: str, place: str, expires_at: int) -> bool:
        """Claim a recipient for a run's fan-out at one place in its walk: True unless it was claimed at
        another place. The walk reads a place again only after a crash, and then claims it again."""
        try:
            self._table.update(
                claim_pk(run_id, recipient_key),
                UpdateExpression="SET place = :place, expires_at = :expires",
                ConditionExpression="attribute_not_exists(place) OR place = :place",
                ExpressionAttributeValues={":place": {"S": place}, ":expires": {"N": str(expires_at)}},
            )
        except ConditionFailed:
            return False
        return True

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
            self._table.update(
                RUN_PREFIX + run_id,
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"} if recipients is None else {},
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:  # expired in between: nothing to cancel
            return


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


@lru_cache(maxsize=1)
def get_run_store() -> RunStore:
    return RunStore(get_table())
