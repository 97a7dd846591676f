"""Pages of recipients, as the list routes answer them: one direction at a time, within one answer."""

from __future__ import annotations

from typing import NamedTuple, Protocol

from recipients.kernel import payload
from recipients.kernel.errors import RecipientsError
from recipients.kernel.keys import cursor_of


class Listed(Protocol):
    @property
    def id(self) -> str: ...

    def to_json(self) -> str: ...


_PAGE_INFO_BYTES = 8 * 1024
"""`page_info` and the brackets around the entries; cursors hold an id of at most 256 characters."""


class Page[Entry: Listed](NamedTuple):
    entries: list[Entry]
    after: str | None
    before: str | None


def check_one_direction(after: str | None, before: str | None) -> None:
    if after is not None and before is not None:
        raise RecipientsError.invalid_field("before", "cannot be combined with after; page one way at a time")


def within_one_answer[Entry: Listed](page: Page[Entry], forward: bool) -> Page[Entry]:
    """The page, or as much of it as one answer can carry (Lambda's 6 MB), with a cursor to the rest.

    Going back (`before`), the entries nearest the cursor are the ones kept.
    """
    texts = [entry.to_json() for entry in page.entries]
    keep = payload.fitting(texts if forward else reversed(texts), payload.MAX_BODY_BYTES - _PAGE_INFO_BYTES)
    if keep >= len(texts):
        return page
    if forward:
        kept = page.entries[:keep]
        return Page(entries=kept, after=cursor_of(kept[-1].id), before=page.before)
    kept = page.entries[len(texts) - keep :]
    return Page(entries=kept, after=page.after, before=cursor_of(kept[0].id))
