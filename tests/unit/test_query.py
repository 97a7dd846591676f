"""Lists of references read from a raw query string (recipients/http/query.py), in every form clients send."""

from __future__ import annotations

from typing import Any

import pytest

from recipients.http.query import reference_list
from recipients.kernel.errors import RecipientsError

P1, T1 = {"collection": "projects", "id": "p1"}, {"collection": "teams", "id": "t1"}


@pytest.mark.parametrize(
    ("raw_query", "expected"),
    [
        ("objects[]=a&objects[]=b", ["a", "b"]),
        # Stainless and the JS client: one element's keys, then the next element's
        ("objects[][collection]=projects&objects[][id]=p1&objects[][collection]=teams&objects[][id]=t1", [P1, T1]),
        ("objects[][collection]=projects&objects[][id]=p1&objects[][id]=t1&objects[][collection]=teams", [P1, T1]),
        # the Python SDK: httpx groups repeated keys, so every element's `collection`, then every `id`
        ("objects[][collection]=projects&objects[][collection]=teams&objects[][id]=p1&objects[][id]=t1", [P1, T1]),
        (
            "objects%5B%5D%5Bid%5D=p1&objects%5B%5D%5Bid%5D=t1&objects%5B%5D%5Bcollection%5D=projects"
            "&objects%5B%5D%5Bcollection%5D=teams",
            [P1, T1],
        ),
        ("objects[]=u1&objects[][id]=p1&objects[][collection]=projects", ["u1", P1]),
        (
            "objects[]=u1&objects[]=u2&objects[][id]=p1&objects[][id]=t1&objects[][collection]=projects"
            "&objects[][collection]=teams",
            ["u1", "u2", P1, T1],
        ),
        # indexed, as the Node SDK sends arrays that start with an object
        ("objects[0][id]=p1&objects[0][collection]=projects&objects[1]=u1", [P1, "u1"]),
        ("objects[1][id]=t1&objects[1][collection]=teams&objects[0][collection]=projects&objects[0][id]=p1", [P1, T1]),
        ("other[]=x&objects=y&include[]=preferences", []),
    ],
)
def test_reference_list_reads_every_encoding(raw_query: str, expected: list[Any]) -> None:
    assert reference_list(raw_query, "objects") == expected


def test_reference_list_refuses_an_index_given_as_an_id_and_an_object() -> None:
    with pytest.raises(RecipientsError) as raised:
        reference_list("objects[0]=u1&objects[0][id]=p1", "objects")
    assert [error.field for error in raised.value.errors] == ["objects.0"]


def test_reference_list_takes_at_most_100_entries() -> None:
    with pytest.raises(RecipientsError) as raised:
        reference_list("&".join(f"objects[]=u{index}" for index in range(101)), "objects")
    assert [error.field for error in raised.value.errors] == ["objects"]
