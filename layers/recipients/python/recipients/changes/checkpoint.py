"""What a delivery of stream records already put on the bus, so that a redelivery puts nothing twice.

Lambda hands a shard's records to one invocation at a time, in order, and delivers them again in two
ways: from the lowest record a partial batch response failed (with every record after it), or, when
an invocation fails or is repeated, the same batch from its first record. So a delivery's outcome is
written under the event ids of the records a redelivery can start at (its first record and its lowest
failed one), and each invocation reads the checkpoint of its own first record: one GetItem and one
BatchWriteItem per invocation, not a write per record.

A checkpoint says: every record of the shard from the keyed one up to sequence `through` was put (or
made no event), and so were the records `put` above it. It expires after CHECKPOINT_DAYS, past the
event source mapping's MaximumRecordAgeInSeconds, after which no record is delivered again.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from recipients.kernel import jsontext
from recipients.kernel.keys import checkpoint_pk
from recipients.kernel.rules import expires_in
from recipients.kernel.table import Table, get_table

CHECKPOINT_DAYS = 2


class Checkpoint(NamedTuple):
    through: int = -1
    put: frozenset[int] = frozenset()

    def covers(self, sequence: int) -> bool:
        return sequence <= self.through or sequence in self.put

    @classmethod
    def of(cls, done: set[int], sequences: list[int]) -> Checkpoint:
        """The checkpoint of a delivery of `sequences` (in order) of which `done` were put or made no event."""
        through = -1
        for sequence in sequences:
            if sequence not in done:
                break
            through = sequence
        return cls(through, frozenset(sequence for sequence in done if sequence > through))

    def merged(self, earlier: Checkpoint) -> Checkpoint:
        """This delivery's checkpoint together with what an earlier delivery from the same record put."""
        through = max(self.through, earlier.through)
        return Checkpoint(through, frozenset(s for s in self.put | earlier.put if s > through))


class CheckpointStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def read(self, event_id: str) -> Checkpoint:
        item = self._table.get(checkpoint_pk(event_id), consistent=True)
        if item is None:
            return Checkpoint()
        return Checkpoint(int(item["through"]["S"]), frozenset(jsontext.loads(item["put"]["S"])))

    def write(self, event_ids: list[str], checkpoint: Checkpoint) -> None:
        """The same checkpoint under each of these records (one BatchWriteItem for up to 25)."""
        values = {
            "through": {"S": str(checkpoint.through)},  # sequence numbers have up to 40 digits; N holds 38
            "put": {"S": jsontext.dumps(sorted(checkpoint.put))},
            "expires_at": {"N": str(expires_in(CHECKPOINT_DAYS))},
        }
        unique = dict.fromkeys(event_ids)
        self._table.batch_write([{"pk": {"S": checkpoint_pk(event_id)}, **values} for event_id in unique])


@lru_cache(maxsize=1)
def get_checkpoint_store() -> CheckpointStore:
    return CheckpointStore(get_table())
