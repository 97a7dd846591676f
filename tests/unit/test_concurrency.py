"""Concurrent writes to one user: identifies of different keys lose nothing; identify racing delete stays consistent.

Each request runs in its own thread, as concurrent Lambda invocations would, through the use cases
the handlers call (`check_identify_user` + `identify_user`, `service.delete_user`),
against moto in-process. Not through `lambda_handler`: a function's resolver keeps the current event
on the module's `app`, which is right for Lambda (one event at a time per container) but would mix
up requests served by threads of one process. Nor through the local API: it runs one invocation at
a time, so nothing there would be concurrent.

moto applies a DynamoDB request in several unguarded Python steps (find the item, create it if
missing, set each attribute), so two threads writing one item can corrupt each other's request
inside moto: a lost attribute or "dictionary changed size during iteration". DynamoDB applies each
request to an item atomically. `atomic_requests` restores that, and only that, with one lock around
each request moto serves: the layer's requests still interleave freely between one another, so a
read-then-write in the layer, or a write of the whole item, would lose updates here as it would in AWS.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from moto.dynamodb.responses import DynamoHandler

from recipients.identity.models import RecipientRef
from recipients.kernel.errors import RecipientsError
from recipients.preferences import service as preferences
from recipients.preferences.models import CHANNEL_TYPES, PreferenceSetRequest
from recipients.users import service
from recipients.users.identify import check_identify_user, identify_user
from recipients.users.models import User
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import get_user_store

CONCURRENT_IDENTIFIES = 50
ROUNDS = 40
IDENTIFIES_PER_ROUND = 8
ITEM_KEYS = {"pk", "id", "list_pk", "list_sk", "updated_at"}
"""The attributes every stored user has besides its properties."""

StoredUser = Callable[[str], dict[str, Any] | None]


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto serves one DynamoDB request at a time, as DynamoDB applies each request to an item atomically."""
    lock = threading.Lock()
    serve = DynamoHandler.call_action

    def one_at_a_time(handler: DynamoHandler) -> Any:
        with lock:
            return serve(handler)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)


@pytest.fixture
def threads_switch_often() -> Iterator[None]:
    """Threads hand over the interpreter every microsecond instead of every 5 ms, so requests interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def identify(user_id: str, body: dict[str, Any]) -> User:
    """What the identify handler does once the request has parsed."""
    request = IdentifyUserRequest.model_validate(body)
    return identify_user(user_id, check_identify_user(user_id, request))


def delete(user_id: str) -> bool:
    """What the delete handler does: True for 204, False for 404."""
    try:
        service.delete_user(user_id)
    except RecipientsError as error:
        assert error.code == "resource_missing"
        return False
    return True


def all_at_once(pool: ThreadPoolExecutor, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, all released together; their results in order."""
    start = threading.Barrier(len(calls))

    def released(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    return list(pool.map(released, calls))


@pytest.mark.usefixtures("atomic_requests", "threads_switch_often")
def test_50_concurrent_identifies_of_distinct_keys_on_one_user_lose_none(
    recipients_table: str, dynamodb_requests: list[str]
) -> None:
    # Given 50 identifies of one new user, each setting a key of its own
    calls = [partial(identify, "crowded", {f"key_{i}": i}) for i in range(CONCURRENT_IDENTIFIES)]

    # When they all run at once
    with ThreadPoolExecutor(max_workers=CONCURRENT_IDENTIFIES) as pool:
        answers = all_at_once(pool, calls)

    # Then each identify was one UpdateItem: nothing was read before it wrote
    assert dynamodb_requests == ["UpdateItem"] * CONCURRENT_IDENTIFIES
    # and every answer holds its own key, and the user holds every key with its value
    assert all(answer.model_extra[f"key_{i}"] == i for i, answer in enumerate(answers))  # type: ignore[index]
    user = get_user_store().get_user("crowded")
    assert user is not None
    assert user.model_extra == {f"key_{i}": i for i in range(CONCURRENT_IDENTIFIES)}


@pytest.mark.usefixtures("atomic_requests", "threads_switch_often")
def test_identifies_racing_a_delete_leave_either_no_user_or_exactly_those_identified_after_it(
    recipients_table: str, stored_user: StoredUser
) -> None:
    """The invariant, round after round.

    Each round starts from an identified user holding only `seed`, then runs at once one delete and
    identifies that each set a key of their own. Each request applies atomically, so they happen in
    some order, and the delete splits the identifies into those before it and those after it. Each
    identify answers the user as its write left it, so it tells which side it was on: before the delete
    it still sees `seed`, after it the user started blank. Then:

    - the delete answers 204 (the user existed, and nothing else deletes it);
    - every identify answers 200 with its own key; one before the delete sees `seed` and keys of
      identifies before the delete only, one after it sees no `seed` and keys of identifies after it only;
    - if no identify came after the delete, the user does not exist; otherwise it exists, complete
      (id, listing keys, updated_at), with exactly the keys of the identifies after the delete:
      none lost, nothing from before the delete left over.
    """
    outcomes = {"deleted": 0, "identified again": 0}
    with ThreadPoolExecutor(max_workers=IDENTIFIES_PER_ROUND + 1) as pool:
        for round_number in range(ROUNDS):
            # Given a user that exists with one property
            user_id = f"contested-{round_number}"
            identify(user_id, {"seed": round_number})
            keys = [f"key_{i}" for i in range(IDENTIFIES_PER_ROUND)]
            calls: list[Callable[[], Any]] = [partial(identify, user_id, {key: True}) for key in keys]
            # the delete starts at a different place among the identifies each round
            delete_at = round_number % (IDENTIFIES_PER_ROUND + 1)
            calls.insert(delete_at, partial(delete, user_id))

            # When the delete and the identifies run at once
            results = all_at_once(pool, calls)

            # Then the answers tell a consistent story
            deleted = results.pop(delete_at)
            assert deleted is True, f"round {round_number}: the delete did not find the user"
            answers: dict[str, User] = dict(zip(keys, results, strict=True))
            after = {key for key, answer in answers.items() if "seed" not in (answer.model_extra or {})}
            for key, answer in answers.items():
                seen = set(answer.model_extra or {})
                side = after if key in after else (set(keys) - after) | {"seed"}
                assert key in seen and seen <= side, f"round {round_number}: {key} saw {sorted(seen)}"
            # and the user is gone, or holds exactly what was identified after the delete
            item = stored_user(user_id)
            if not after:
                assert item is None, f"round {round_number}: no identify came after the delete"
                outcomes["deleted"] += 1
                continue
            assert item is not None, f"round {round_number}: {sorted(after)} came after the delete"
            assert set(item) == ITEM_KEYS | {f"prop:{key}" for key in after}, f"round {round_number}"
            user = get_user_store().get_user(user_id)
            assert user is not None and user.model_extra == dict.fromkeys(after, True)
            outcomes["identified again"] += 1
    print(f"{ROUNDS} rounds: {outcomes}")


CONCURRENT_MERGES = 12


@pytest.mark.usefixtures("atomic_requests", "threads_switch_often")
def test_concurrent_merges_into_one_preference_set_lose_nothing(
    recipients_table: str, dynamodb_requests: list[str]
) -> None:
    # Given merges into one set, each adding a workflow of its own and a key inside a shared workflow
    user = RecipientRef(id="merged")

    def merge(number: int) -> dict[str, Any]:
        body = {
            "__persistence_strategy__": "merge",
            "workflows": {f"w{number}": False, "shared": {"channel_types": {CHANNEL_TYPES[number % 6]: True}}},
        }
        return preferences.set_preference_set(user, "default", PreferenceSetRequest.model_validate(body))

    # When they all run at once
    with ThreadPoolExecutor(max_workers=CONCURRENT_MERGES) as pool:
        all_at_once(pool, [partial(merge, number) for number in range(CONCURRENT_MERGES)])

    requests = list(dynamodb_requests)

    # Then the set holds what every merge added: a merge that lost a race read again and merged into that
    workflows = preferences.get_preference_set(user, "default")["workflows"]
    assert {key for key in workflows if key != "shared"} == {f"w{number}" for number in range(CONCURRENT_MERGES)}
    assert workflows["shared"] == {"channel_types": dict.fromkeys(CHANNEL_TYPES, True)}
    # and each attempt was a read then a conditional write: one per merge, plus one per race lost
    assert requests.count("GetItem") == requests.count("UpdateItem") >= CONCURRENT_MERGES
