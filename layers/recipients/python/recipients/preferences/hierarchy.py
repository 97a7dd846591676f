"""The evaluation hierarchy (contract §2): what a recipient's preferences are for a tenant.

Knock addresses a recipient's own preferences for a tenant as the preference set whose id is the
tenant id (`PUT …/preferences/<tenant id>`), and a tenant's defaults as its `settings.preference_set`.
With a tenant, the recipient's tenant set is deep-merged over the tenant's defaults: the recipient's
values win, except where the tenant's value says `"__strategy__": "replace"`, which then wins whole.
When neither exists, the recipient's set answers as it would without a tenant. There is no
environment-level default set in this service, so nothing lies below these: unset is opted in.
"""

from __future__ import annotations

from typing import Any

from recipients.preferences.models import STRATEGY_KEY


def merged_over(higher: dict[str, Any], lower: dict[str, Any]) -> dict[str, Any]:
    """`higher` deep-merged over `lower` (a new object): objects key by key, any other value of `higher`
    wins. A null in `higher` is unset and leaves `lower`'s value; a value of `lower` holding
    `"__strategy__": "replace"` is kept whole, whatever `higher` says."""
    result = dict(lower)
    for key, value in higher.items():
        below = result.get(key)
        if value is None or _replaces(below):
            continue
        result[key] = merged_over(value, below) if isinstance(value, dict) and isinstance(below, dict) else value
    return result


def resolved(
    requested: dict[str, Any] | None, tenant_set: dict[str, Any] | None, tenant_defaults: dict[str, Any] | None
) -> dict[str, Any]:
    """The stored body answered for a GET with a tenant: the recipient's tenant set over the tenant's
    defaults, or the requested set when neither exists (None: not stored)."""
    if tenant_set is None and tenant_defaults is None:
        return requested or {}
    return merged_over(tenant_set or {}, tenant_defaults or {})


def _replaces(value: Any) -> bool:
    return isinstance(value, dict) and value.get(STRATEGY_KEY) == "replace"
