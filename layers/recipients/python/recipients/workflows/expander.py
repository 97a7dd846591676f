"""The fan-out expander: it puts the parts of a run's subscribers that a queued fan-out message
(workflows/fanout.py) describes.

Exactly once: before a part is put, its range in the walk is recorded on the run with a conditional
write (the part before it must be the last recorded). A redelivered message reads the record, puts
the last recorded part again (the same range, so the same recipients under the same number) and
goes on from its end; an expander that loses the race to record a part stops. A part's put runs
while the next part is read, and ends before that one is recorded. Only the last part
carries `parts`; the parts before it say `"parts": null`. An expander that runs short of time
queues a continuation of itself, which says which part it put last, so that part is not put again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.aws import sqs
from recipients.kernel.observability import logger, metrics
from recipients.workflows import bus
from recipients.workflows.expansion import START, Filling, Key, Plan
from recipients.workflows.settings import fanout_settings
from recipients.workflows.store import FanoutState, get_run_store

if TYPE_CHECKING:
    from concurrent.futures import Future

TRIGGERED = "workflow.triggered"
TIME_MARGIN_SECONDS = 30.0
"""Stop this long before the function's timeout and queue a continuation."""


def expand(body: str, seconds_left: Any, expires_at: int) -> None:
    """Put the parts of the fan-out a message describes, from where its run's record says it stands."""
    message = jsontext.loads(body)
    base: dict[str, Any] = message["base"]
    plan = Plan(
        run_id=str(base["workflow_run_id"]),
        sources=[RecipientRef.model_validate(ref) for ref in message["sources"]],
        excluded=frozenset(RecipientRef.model_validate(ref) for ref in message["excluded"]),
        triggered_at=str(base["triggered_at"]),
        room=bus.MAX_EVENT_BYTES - part_overhead(base),
        expires_at=expires_at,
    )
    store = get_run_store()
    state = store.fanout_state(plan.run_id)
    if state is not None and message.get("put") != state.part:  # the last recorded part's put may not have happened
        again = Filling(plan, Key(*state.start), Key(*state.end)).fill()
        _put(base, again.recipients, state.part, state.done)
    if state is not None and state.done:
        return
    previous = state.part if state is not None else None
    end = Key(*state.end) if state is not None else START
    count = state.recipients if state is not None else 0
    number = state.part + 1 if state is not None else int(message["first_part"])
    from concurrent.futures import ThreadPoolExecutor  # with the first message, as kernel/parallel.py does

    with ThreadPoolExecutor(max_workers=1) as putter:
        putting: Future[None] | None = None  # the last recorded part's put, while the next part is read
        while True:
            part = Filling(plan, end).fill()
            if putting is not None:
                putting.result()  # a part is on the bus before the next is recorded: a failed put is redone
            count += len(part.recipients)
            recorded = FanoutState(number, list(end), list(part.end), part.exhausted, count)
            if not store.record_fanout(plan.run_id, recorded, previous):
                logger.info("fan-out part recorded by another delivery", extra={"workflow_run_id": plan.run_id})
                return
            putting = putter.submit(_put, base, part.recipients, number, part.exhausted)
            if part.exhausted:
                putting.result()
                logger.info(
                    "fan-out done", extra={"workflow_run_id": plan.run_id, "parts": number, "recipients": count}
                )
                metrics.add_metric(name="FanoutRecipients", unit=MetricUnit.Count, value=count)
                return
            previous, end, number = number, part.end, number + 1
            if seconds_left() < TIME_MARGIN_SECONDS:
                putting.result()
                _continue({**message, "put": previous})
                return


def part_overhead(base: dict[str, Any]) -> int:
    """What an event of the run takes besides its recipients."""
    return bus.event_size(TRIGGERED, jsontext.dumps({**base, "part": 0, "parts": 0, "recipients": []})) + 16


def _put(base: dict[str, Any], recipients: list[dict[str, Any]], number: int, last: bool) -> None:
    detail = jsontext.dumps({**base, "recipients": recipients, "part": number, "parts": number if last else None})
    bus.publish(TRIGGERED, [detail])
    metrics.add_metric(name="FanoutParts", unit=MetricUnit.Count, value=1)


def _continue(message: dict[str, Any]) -> None:
    """The message again, saying which part was put last: the run's record says where to go on from."""
    sqs().send_message(QueueUrl=fanout_settings().fanout_queue_url, MessageBody=jsontext.dumps(message))
    logger.info("fan-out continues in a new invocation")


def remaining_seconds(context: Any) -> Any:
    """Seconds the invocation has left, read afresh each time it is called."""
    return lambda: context.get_remaining_time_in_millis() / 1000
