"""identity/inline.reference_only: how cancels, deletes and filters name a recipient without identifying it."""

from __future__ import annotations

from typing import Any

import pytest

from recipients.identity.inline import reference_only
from recipients.identity.models import RecipientRef
from recipients.kernel.errors import RecipientsError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ada", RecipientRef(id="ada")),
        ({"id": "ada"}, RecipientRef(id="ada")),
        ({"id": "p1", "collection": "projects"}, RecipientRef(id="p1", collection="projects")),
        ({"id": "acme", "collection": "$tenants"}, RecipientRef(id="acme", collection="$tenants")),
    ],
)
def test_a_user_id_an_id_alone_or_an_object_reference_names_a_recipient(value: Any, expected: RecipientRef) -> None:
    assert reference_only(value, "recipients.0") == expected


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"id": "ada", "name": "Ada"}, "recipients.0"),
        ({"id": 7}, "recipients.0"),
        ({"id": "a#b"}, "recipients.0.id"),
        ({"collection": "projects"}, "recipients.0"),
        ({"id": "p1", "collection": "$system"}, "recipients.0.collection"),
        ({"id": "u", "$trigger_data": {}}, "recipients.0"),
        (["ada"], "recipients.0"),
        (None, "recipients.0"),
    ],
)
def test_anything_else_is_refused_naming_the_field(value: Any, field: str) -> None:
    with pytest.raises(RecipientsError) as raised:
        reference_only(value, "recipients.0")
    assert [error.field for error in raised.value.errors] == [field]
