"""A recipient as requests name it: a user id, an object reference, or an inline user or object
(`RecipientRequest`), checked; used by triggers, cancels and subscriptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from recipients.identity.merge import UpdatePlan
from recipients.identity.models import RecipientRef
from recipients.kernel.errors import FieldError, RecipientsError, field_errors
from recipients.kernel.rules import check_collection, check_id

TRIGGER_DATA_KEY = "$trigger_data"
RECIPIENT_FORMS = "must be a user id, a user {id, ...} or an object {id, collection, ...}"


class Recipient(NamedTuple):
    """One recipient of a request, checked."""

    ref: RecipientRef
    plan: UpdatePlan | None
    """Set when the entry is inline: what identifying it writes."""
    trigger_data: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = self.ref.to_wire()
        if self.trigger_data is not None:
            wire["trigger_data"] = self.trigger_data
        return wire


def parse_reference(value: Any, field: str, forms: str = RECIPIENT_FORMS) -> Recipient | None:
    """A user id or an object reference `{id, collection}` (with its $trigger_data, if any); None when
    `value` is an object of another shape (an inline recipient). Errors name `field`."""
    if isinstance(value, str):
        return Recipient(RecipientRef(id=checked(check_id, value, field)), None)
    if not isinstance(value, dict):
        raise RecipientsError.invalid_field(field, forms)
    trigger_data = value.get(TRIGGER_DATA_KEY)
    if trigger_data is not None and not isinstance(trigger_data, dict):
        raise RecipientsError.invalid_field(f"{field}.{TRIGGER_DATA_KEY}", "must be an object")
    body = {key: item for key, item in value.items() if key != TRIGGER_DATA_KEY}
    if not ("collection" in body and set(body) <= {"id", "collection"}):
        return None
    if not isinstance(body.get("id"), str) or not isinstance(body["collection"], str):
        raise RecipientsError.invalid_field(field, "an object reference needs a string id and collection")
    ref = RecipientRef(
        id=checked(check_id, body["id"], f"{field}.id"),
        collection=checked(check_collection, body["collection"], f"{field}.collection"),
    )
    return Recipient(ref, None, trigger_data)


REFERENCE_FORMS = "must be a user id, a user {id} or an object reference {id, collection}"


def reference_only(value: Any, field: str) -> RecipientRef:
    """A recipient named without identifying it (cancels, deletes, filters): a user id, `{"id"}` alone
    (a user: the SDKs' reference types make `collection` optional) or `{id, collection}`."""
    if isinstance(value, dict) and set(value) == {"id"} and isinstance(value["id"], str):
        return RecipientRef(id=checked(check_id, value["id"], f"{field}.id"))
    entry = parse_reference(value, field, forms=REFERENCE_FORMS)
    if entry is None or entry.trigger_data is not None:
        raise RecipientsError.invalid_field(field, REFERENCE_FORMS)
    return entry.ref


def checked(check: Callable[[str], str], value: str, field: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise RecipientsError.invalid_field(field, str(exc)) from exc


def parse_recipient(value: Any, field: str) -> Recipient:
    """A user id, an inline user, an object reference or an inline object; errors name `field`."""
    reference = parse_reference(value, field)
    if reference is not None:
        return reference
    # Imported with the first inline recipient: the users and objects models are the identify rules
    from pydantic import ValidationError

    from recipients.identity.identify import plan_identify
    from recipients.objects.requests import InlineIdentifyObjectRequest
    from recipients.users.requests import InlineIdentifyUserRequest

    body = {key: item for key, item in value.items() if key != TRIGGER_DATA_KEY}
    model = InlineIdentifyObjectRequest if "collection" in body else InlineIdentifyUserRequest
    try:
        request = model.model_validate(body)
        plan = plan_identify(request)
    except ValidationError as exc:
        raise RecipientsError.invalid(field_errors(exc.errors(), prefix=field)) from exc
    except RecipientsError as exc:
        raise RecipientsError.invalid(
            [FieldError(f"{field}.{error.field}", error.message) for error in exc.errors], code=exc.code
        ) from exc
    collection = request.collection if isinstance(request, InlineIdentifyObjectRequest) else None
    return Recipient(RecipientRef(id=request.id, collection=collection), plan, value.get(TRIGGER_DATA_KEY))
