"""The preference use cases: list, get, set (replace or deep-merge), the granular sets, unset; users and objects.

A preference set is one attribute of the recipient's item (`pref:<set id>`): getting, replacing or
unsetting it is one DynamoDB request, a merge two (identity/store.py). A set never written reads
as an empty set. Setting one creates the recipient when there is none, as Knock does. A recipient's
preferences for a tenant are the set whose id is the tenant id; getting a set with a tenant resolves
it over the tenant's defaults (preferences/hierarchy.py).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.edits import Edit, merge_edit, set_edit
from recipients.identity.merge import PREFERENCES_PREFIX, TENANT_PREFERENCE_SET, UpdatePlan, sets
from recipients.identity.models import RecipientRef, log_keys
from recipients.identity.store import check_fits, get_recipient_store
from recipients.kernel import jsontext
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger, metrics
from recipients.kernel.rules import TENANTS_COLLECTION, check_id, shortened
from recipients.preferences.hierarchy import resolved
from recipients.preferences.models import CHANNEL_TYPES, PreferenceSetRequest
from recipients.preferences.rules import check_preference_set, check_set_id, checked_set
from recipients.preferences.sets import preference_set_wire, side_loaded


def list_preference_sets(recipient: RecipientRef) -> list[dict[str, Any]]:
    item = get_recipient_store().get(recipient) or {}
    metrics.add_metric(name="PreferenceSetsListed", unit=MetricUnit.Count, value=1)
    return list(side_loaded(item).values())


def get_preference_set(recipient: RecipientRef, set_id: str, tenant: str | None = None) -> dict[str, Any]:
    """The stored set; with a tenant, the set the evaluation hierarchy resolves (preferences/hierarchy.py),
    read with the tenant's defaults in one BatchGetItem."""
    name = PREFERENCES_PREFIX + check_set_id(set_id)
    if tenant is None:
        item = get_recipient_store().get(recipient, names=[name]) or {}
        metrics.add_metric(name="PreferenceSetsFetched", unit=MetricUnit.Count, value=1)
        return preference_set_wire(set_id, _stored(item, name) or {})
    tenant_set = PREFERENCES_PREFIX + _checked_tenant(tenant)
    tenant_ref = RecipientRef(id=tenant, collection=TENANTS_COLLECTION)
    items = get_recipient_store().items([recipient, tenant_ref], [name, tenant_set, TENANT_PREFERENCE_SET])
    own, defaults = items.get(recipient, {}), items.get(tenant_ref, {})
    metrics.add_metric(name="TenantPreferenceSetsResolved", unit=MetricUnit.Count, value=1)
    body = resolved(_stored(own, name), _stored(own, tenant_set), _stored(defaults, TENANT_PREFERENCE_SET))
    return preference_set_wire(set_id, body)


def set_preference_set(recipient: RecipientRef, set_id: str, request: PreferenceSetRequest) -> dict[str, Any]:
    """Replace the set, or deep-merge into it when the body says `"__persistence_strategy__": "merge"`."""
    checked = checked_set(request)
    name = PREFERENCES_PREFIX + check_set_id(set_id)
    text = jsontext.dumps(checked.body)
    check_fits(text, "body")
    if checked.merge:
        return _edit(recipient, set_id, [merge_edit(checked.body)], "merged")
    _write(recipient, set_id, sets({name: text}), "replaced")
    return preference_set_wire(set_id, checked.body)


def set_channel_types(recipient: RecipientRef, set_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Replace the set's `channel_types` (granular route)."""
    check_preference_set({"channel_types": settings})
    return _edit(recipient, set_id, [set_edit(settings, ["channel_types"])], "channel types set")


def set_channel_type(recipient: RecipientRef, set_id: str, channel_type: str, subscribed: bool) -> dict[str, Any]:
    if channel_type not in CHANNEL_TYPES:
        raise RecipientsError.invalid_field("channel_type", f"is not a channel type: use {', '.join(CHANNEL_TYPES)}")
    return _edit(recipient, set_id, [set_edit(subscribed, ["channel_types", channel_type])], "channel type set")


def set_keyed_settings(recipient: RecipientRef, set_id: str, group: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Replace the set's `workflows` or `categories` (granular route)."""
    check_preference_set({group: settings})
    return _edit(recipient, set_id, [set_edit(settings, [group])], f"{group} set")


def set_keyed_setting(
    recipient: RecipientRef, set_id: str, group: str, key: str, setting: dict[str, Any]
) -> dict[str, Any]:
    """Replace one workflow's or category's setting: `{"subscribed": bool}`, or a setting object."""
    value: Any = setting["subscribed"] if setting.keys() == {"subscribed"} else setting
    check_preference_set({group: {key: value}})
    return _edit(recipient, set_id, [set_edit(value, [group, key])], f"{group} setting set")


def unset_preference_set(recipient: RecipientRef, set_id: str) -> None:
    """Idempotent: unsetting a set that does not exist succeeds too."""
    removed = get_recipient_store().remove(recipient, PREFERENCES_PREFIX + check_set_id(set_id))
    logger.info("preference set unset", extra={**log_keys(recipient), "set_id": set_id, "removed": removed})
    metrics.add_metric(name="PreferenceSetsUnset", unit=MetricUnit.Count, value=1)


def _checked_tenant(tenant: str) -> str:
    try:
        return check_id(tenant)
    except ValueError as exc:
        raise RecipientsError.invalid_field("tenant", f"{shortened(tenant)} is not a tenant id ({exc})") from None


def _stored(item: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The set stored as `name` on the item; None when there is none (a tenant's cleared defaults are null)."""
    return jsontext.loads(item[name]["S"]) if name in item else None


def _edit(recipient: RecipientRef, set_id: str, edits: list[Edit], how: str) -> dict[str, Any]:
    name = PREFERENCES_PREFIX + check_set_id(set_id)
    item = _write(recipient, set_id, UpdatePlan({}, {name: edits}), how)
    return preference_set_wire(set_id, jsontext.loads(item[name]["S"]))


def _write(recipient: RecipientRef, set_id: str, plan: UpdatePlan, how: str) -> dict[str, Any]:
    item = get_recipient_store().upsert(recipient, plan)
    logger.info(f"preference set {how}", extra={**log_keys(recipient), "set_id": set_id})
    metrics.add_metric(name="PreferenceSetsWritten", unit=MetricUnit.Count, value=1)
    return item
