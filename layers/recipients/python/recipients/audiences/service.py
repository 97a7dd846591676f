"""The audience use cases: add members (identifying inline users), list them with their users, remove them.

A body is checked whole before anything is read or written. A member whose user carries more than
its id (properties, channel data, preferences) upserts that user as identify does; a bare id only
records the membership, so a member may be a user that does not exist (listed with `user: null`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from aws_lambda_powertools.metrics import MetricUnit

from recipients.audiences.models import (
    AddAudienceMembersRequest,
    AudienceMember,
    AudienceMemberPage,
    AudienceMemberRequest,
    RemoveAudienceMembersRequest,
)
from recipients.audiences.store import Member, MemberPage, get_audience_store
from recipients.identity.identify import plan_identify
from recipients.identity.merge import PROPERTY_PREFIX, UpdatePlan, stored_values
from recipients.identity.models import PageInfo, RecipientRef
from recipients.identity.pages import check_one_direction
from recipients.identity.store import get_recipient_store
from recipients.kernel import jsontext, payload
from recipients.kernel.errors import FieldError, RecipientsError
from recipients.kernel.observability import logger, metrics
from recipients.kernel.parallel import in_parallel
from recipients.users.models import User

WRITE_THREADS = 16
_PAGE_INFO_BYTES = 16 * 1024
"""`page_info` and the brackets around the entries; a member's cursor holds two ids of at most 256 characters."""


class CheckedMember(NamedTuple):
    member: Member
    plan: UpdatePlan | None
    """What upserting the user writes; None for a user given by id only."""


def add_members(key: str, request: AddAudienceMembersRequest, *, create_audience: bool) -> None:
    """Check every member, make sure of the audience, identify the inline users, then write the members."""
    checked = [_checked(index, member) for index, member in enumerate(request.members)]
    store = get_audience_store()
    if create_audience:
        store.create(key)
    elif not store.exists(key):
        raise _audience_not_found(key)
    identified = _identify_all([entry for entry in checked if entry.plan is not None])
    members = list(dict.fromkeys(entry.member for entry in checked))  # BatchWriteItem refuses a key twice
    store.add(key, members)
    logger.info(
        "audience members added", extra={"audience_key": key, "members": len(members), "identified": identified}
    )
    metrics.add_metric(name="AudienceMembersAdded", unit=MetricUnit.Count, value=len(members))


def remove_members(key: str, request: RemoveAudienceMembersRequest) -> None:
    members = list(dict.fromkeys(Member(entry.user.id, entry.tenant) for entry in request.members))
    store = get_audience_store()
    if not store.exists(key):
        raise _audience_not_found(key)
    store.remove(key, members)
    logger.info("audience members removed", extra={"audience_key": key, "members": len(members)})
    metrics.add_metric(name="AudienceMembersRemoved", unit=MetricUnit.Count, value=len(members))


def list_members(key: str, page_size: int, after: str | None, before: str | None) -> AudienceMemberPage:
    """A page of members, each with its user (one BatchGetItem a page); an empty page checks the audience exists."""
    check_one_direction(after, before)
    store = get_audience_store()
    found = store.page(key, page_size, after, before)
    if not found.members and not store.exists(key):
        raise _audience_not_found(key)
    users = store.user_items(list(dict.fromkeys(member.user_id for member in found.members)))
    entries = [
        AudienceMember(
            added_at=member.added_at,
            user_id=member.user_id,
            user=_user(users.get(member.user_id)),
            tenant=member.tenant,
        )
        for member in found.members
    ]
    entries, after_cursor, before_cursor = _within_one_answer(entries, found, forward=before is None)
    metrics.add_metric(name="AudienceMemberPagesListed", unit=MetricUnit.Count, value=1)
    return AudienceMemberPage(
        entries=entries, page_info=PageInfo(after=after_cursor, before=before_cursor, page_size=page_size)
    )


def _checked(index: int, member: AudienceMemberRequest) -> CheckedMember:
    try:
        plan = plan_identify(member.user)
    except RecipientsError as exc:
        field = f"members.{index}.user"
        raise RecipientsError.invalid(
            [FieldError(f"{field}.{error.field}", error.message) for error in exc.errors], code=exc.code
        ) from exc
    written = plan if plan.attributes or plan.edits else None
    return CheckedMember(Member(member.user.id, member.tenant), written)


def _identify_all(inline: list[CheckedMember]) -> int:
    """Upsert the inline users, WRITE_THREADS at once; the entries of one user in the order sent."""
    groups: dict[str, list[UpdatePlan]] = {}
    for entry in inline:
        assert entry.plan is not None
        groups.setdefault(entry.member.user_id, []).append(entry.plan)
    in_parallel(_identify_user, list(groups.items()), WRITE_THREADS)
    return len(groups)


def _identify_user(group: tuple[str, list[UpdatePlan]]) -> None:
    user_id, plans = group
    for plan in plans:
        get_recipient_store().upsert(RecipientRef(id=user_id), plan)


def _user(item: dict[str, Any] | None) -> User | None:
    if item is None:
        return None
    fields: dict[str, Any] = {"id": item["id"]["S"], "updated_at": item["updated_at"]["S"]}
    fields.update(stored_values(item, PROPERTY_PREFIX))
    return User.model_validate(fields)


def _within_one_answer(
    entries: list[AudienceMember], page: MemberPage, *, forward: bool
) -> tuple[list[AudienceMember], str | None, str | None]:
    """The entries, or as many as one answer carries (Lambda's 6 MB), with a cursor to the rest.
    Going back (`before`), the entries nearest the cursor are the ones kept."""
    texts = [jsontext.dumps(entry.to_wire()) for entry in entries]
    keep = payload.fitting(texts if forward else reversed(texts), payload.MAX_BODY_BYTES - _PAGE_INFO_BYTES)
    if keep >= len(texts):
        return entries, page.after, page.before
    if forward:
        return entries[:keep], page.members[keep - 1].cursor, page.before
    start = len(entries) - keep
    return entries[start:], page.after, page.members[start].cursor


def _audience_not_found(key: str) -> RecipientsError:
    return RecipientsError.not_found("audience", key)
