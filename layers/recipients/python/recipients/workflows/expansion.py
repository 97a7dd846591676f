"""The walk of a run's fan-out: every subscriber of the trigger's objects, and of the objects among
them (depth 2), in one fixed order, each once, and cut into parts that fit an event.

Order: the trigger's objects in trigger order; under each, its subscribers as the subscriptions list
them (object subscribers first, then users over their shards), and right after an object subscriber
that is taken, its own subscribers. A place in that order is a `Key`; a part is the range of keys
after one key up to another, so a part can be read again, the same, after a crash.

Who is left out: the trigger's recipients (already in the run), its actor, subscriptions made after
the trigger, and anyone taken already. With one object to expand, its subscribers cannot repeat, and a
depth-2 subscriber is left out if it subscribes to that object itself; otherwise every recipient is
claimed in the table for its run at the place the walk found it (RunStore.claim): found at another
place, it is left out there; found at the same place again (the walk resumed after a crash), it is kept.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple

from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.keys import ListPosition
from recipients.subscriptions.service import is_subscribed, subscribers_after
from recipients.workflows.store import get_run_store

if TYPE_CHECKING:
    from recipients.subscriptions.store import StoredSubscription


class Key(NamedTuple):
    """A place in the walk: the object expanded, the subscription read under it, and whether (and how
    far) the walk is inside that subscriber's own subscribers. Keys order as the walk visits them."""

    source: int
    shard: int = -1
    sort_key: str = ""
    inside: int = 0
    child_shard: int = -1
    child_sort_key: str = ""

    def position(self) -> ListPosition | None:
        return ListPosition(self.shard, self.sort_key) if self.shard >= 0 else None

    def child_position(self) -> ListPosition | None:
        return ListPosition(self.child_shard, self.child_sort_key) if self.child_shard >= 0 else None


START = Key(0)


class Offer(Enum):
    TAKEN = "taken"
    LEFT_OUT = "left out"
    FULL = "full"


class Plan(NamedTuple):
    """What a run's fan-out needs, as the trigger hands it over."""

    run_id: str
    sources: list[RecipientRef]
    excluded: frozenset[RecipientRef]
    """The trigger's recipients and actor."""
    triggered_at: str
    room: int
    """Bytes of recipients one event carries besides the run's fields."""
    expires_at: int


class Part(NamedTuple):
    recipients: list[dict[str, Any]]
    end: Key
    exhausted: bool


class Filling:
    """One part being filled, from a key (exclusive) up to `end` (inclusive) when it is read again."""

    def __init__(self, plan: Plan, start: Key, end: Key | None = None) -> None:
        self._plan, self._end = plan, end
        self._sources = frozenset(plan.sources)
        self._claims = len(plan.sources) > 1
        self.recipients: list[dict[str, Any]] = []
        self.last = start
        self._size = 0

    def fill(self) -> Part:
        start = self.last
        for source in range(start.source, len(self._plan.sources)):
            resumed = source == start.source
            after = start.position() if resumed else None
            if resumed and start.inside:
                assert after is not None
                parent = RecipientRef.from_key(start.sort_key)
                if not self._children(source, after, parent, start.child_position()):
                    return Part(self.recipients, self.last, exhausted=False)
            for position, subscription in subscribers_after(self._plan.sources[source], after):
                key = Key(source, position.shard, position.id)
                offer = self._offer(key, subscription, depth=1)
                if offer is Offer.FULL:
                    return Part(self.recipients, self.last, exhausted=False)
                if offer is Offer.TAKEN and self._expands(subscription.recipient):
                    self.last = Key(source, position.shard, position.id, inside=1)
                    if not self._children(source, position, subscription.recipient, None):
                        return Part(self.recipients, self.last, exhausted=False)
        return Part(self.recipients, self.last, exhausted=True)

    def _expands(self, recipient: RecipientRef) -> bool:
        """An object subscriber's own subscribers join (depth 2), unless it is expanded as a trigger object."""
        return recipient.collection is not None and recipient not in self._sources

    def _children(self, source: int, parent_at: ListPosition, parent: RecipientRef, after: ListPosition | None) -> bool:
        """Offer the parent's subscribers; False when the part is full."""
        for position, subscription in subscribers_after(parent, after):
            key = Key(source, parent_at.shard, parent_at.id, 1, position.shard, position.id)
            if self._offer(key, subscription, depth=2) is Offer.FULL:
                return False
        return True

    def _offer(self, key: Key, subscription: StoredSubscription, depth: int) -> Offer:
        if self._end is not None and key > self._end:
            return Offer.FULL
        recipient = subscription.recipient
        if recipient in self._plan.excluded or subscription.inserted_at > self._plan.triggered_at:
            self.last = key
            return Offer.LEFT_OUT
        wire = _wire(subscription)
        length = len(jsontext.dumps(wire).encode()) + 1
        if self.recipients and self._end is None and self._size + length > self._plan.room:
            return Offer.FULL  # checked before claiming: the next part claims it
        if not self._claimed(recipient, depth, key):
            self.last = key
            return Offer.LEFT_OUT
        self.recipients.append(wire)
        self._size += length
        self.last = key
        return Offer.TAKEN

    def _claimed(self, recipient: RecipientRef, depth: int, key: Key) -> bool:
        if depth == 1 and not self._claims:
            return True
        if depth == 2 and not self._claims and is_subscribed(recipient, self._plan.sources[0], self._plan.triggered_at):
            return False  # it gets the run as a subscriber of the trigger's object
        place = jsontext.dumps(list(key))
        return get_run_store().claim(self._plan.run_id, recipient.key(), place, self._plan.expires_at)


def _wire(subscription: StoredSubscription) -> dict[str, Any]:
    """A subscriber as a run event lists it: its reference and the subscription it came through."""
    wire: dict[str, Any] = subscription.recipient.to_wire()
    wire["subscription"] = {"object": subscription.object.to_wire(), "properties": subscription.properties}
    return wire
